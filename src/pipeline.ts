import type {Readable} from 'node:stream'

import {PortleakError} from './errors.js'
import {isKnownEncoding} from './input/encoding.js'
import {ingest, type Progress} from './input/ingest.js'
import {analyzeCase} from './analysis/analyze.js'
import {CaseBuilder} from './model/case-builder.js'
import {hostKey, type PortRange} from './model/slots.js'
import {withZone, zoneTimes} from './model/time-zone.js'
import type {Analysis, InputSummary} from './model/types.js'
import {getParser} from './parsers/registry.js'
import type {ConnectionRecord, DateOrder, FormatId} from './parsers/types.js'

export type PipelineOptions = {
  format?: string | undefined
  encoding?: string | undefined
  dateOrder?: DateOrder | undefined
  tz?: string | undefined
  dynamicRange?: string | undefined
  host?: string | undefined
  signal?: AbortSignal | undefined
  maxBytes?: number | undefined
  onProgress?: ((p: Progress) => void) | undefined
  stdin?: (() => Readable) | undefined
  /**
   * Called with every connection row as it is read (the record object is reused: copy what you keep),
   * with its input and the index of its snapshot within that input (-1 outside snapshots).
   */
  onConnection?: ((c: ConnectionRecord, at: {path: string; snapshot: number}) => void) | undefined
}

/** The `portleak/inspect@1` document. Extend, never rename or drop fields. */
export type InspectDocument = {schema: 'portleak/inspect@1'; inputs: InputSummary[]}

export function checkOptions(o: PipelineOptions): {format: FormatId | undefined} {
  if (o.format && !getParser(o.format)) throw new PortleakError(`unknown format '${o.format}'`, 'EUSAGE', ['Run `portleak formats` to list the format ids.'])
  if (o.encoding && !isKnownEncoding(o.encoding))
    throw new PortleakError(`unknown encoding '${o.encoding}'`, 'EUSAGE', ['Use utf-8, utf-16le, utf-16be or a code page such as cp850, cp1252, cp932.'])
  return {format: o.format as FormatId | undefined}
}

/** Reads every input and describes it: format, encoding, snapshots, time range, counts, skipped lines. */
export async function inspectInputs(inputs: readonly string[], o: PipelineOptions): Promise<InspectDocument> {
  const {format} = checkOptions(o)
  const summaries = await ingest(inputs, {...o, format}, () => null)
  return {schema: 'portleak/inspect@1', inputs: summaries.map((s) => zoneTimes(s, o.tz))}
}

/** `49152-65535` or `49152+16384` → a range; validated like netsh does (start ≥ 1025, ≥ 255 ports, end ≤ 65535). */
export function parseRange(text: string): PortRange {
  const m = /^\s*(\d{1,5})\s*([-+])\s*(\d{1,5})\s*$/.exec(text)
  const bad = () => new PortleakError(`--dynamic-range '${text}' is not START-END (e.g. 49152-65535)`, 'EUSAGE')
  if (!m) throw bad()
  const start = Number(m[1])
  const count = m[2] === '+' ? Number(m[3]) : Number(m[3]) - start + 1
  if (start < 1025 || count < 255 || start + count - 1 > 65535) throw bad()
  return {start, count}
}

/**
 * A byte-identical copy of an earlier input (same SHA-256: the same file uploaded twice) is read,
 * listed, and counted once: its summary says `duplicateOf`, and `drop` removes its records.
 */
function markDuplicates(summaries: InputSummary[], drop: (path: string) => void): void {
  const first = new Map<string, string>()
  for (const s of summaries) {
    if (s.format === null || s.sha256 === '' || s.bytes === 0) continue
    const original = first.get(s.sha256)
    if (original === undefined) first.set(s.sha256, s.path)
    else {
      s.notes = {...s.notes, duplicateOf: original}
      drop(s.path)
    }
  }
}

/** Reads every input into one case and analyzes it. */
export async function runAnalysis(inputs: readonly string[], o: PipelineOptions): Promise<Analysis> {
  const {format} = checkOptions(o)
  const flagRange = o.dynamicRange ? parseRange(o.dynamicRange) : null
  const tz = (iso: string) => withZone(iso, o.tz)
  if (o.tz) tz('2000-01-01T00:00:00.000')
  const c = new CaseBuilder(flagRange)
  const tap = o.onConnection
  const summaries = await ingest(inputs, {...o, format}, ({path, format: f}) => {
    const sink = c.sinkFor(path, f)
    if (!tap) return sink
    const forward = sink.connection.bind(sink)
    sink.connection = (r) => {
      tap(r, {path, snapshot: sink.currentSnapshot})
      forward(r)
    }
    return sink
  })
  if (summaries.length === 0) throw new PortleakError('no input files found', 'EUSAGE', ['Name files, directories or archives.'])
  if (summaries.every((s) => s.format === null)) {
    const first = summaries[0]!
    throw new PortleakError(`${first.path}: ${first.error}`, 'EFORMAT')
  }
  // Dropped in one pass, found by path through a map: a zip of many identical entries drops nearly all of them.
  const byPath = new Map(c.inputs.map((i) => [i.path, i.index]))
  const dropped = new Set<number>()
  markDuplicates(summaries, (path) => {
    const index = byPath.get(path)
    if (index !== undefined) dropped.add(index)
  })
  c.dropInput(dropped)
  const hosts = [...new Set(c.inputs.map((i) => i.host).filter((h): h is string => h !== null).map(hostKey))].sort()
  if (hosts.length > 1 && !o.host) {
    throw new PortleakError(`the inputs come from ${hosts.length} machines (${hosts.join(', ')}); refusing to merge them`, 'EUSAGE', [
      `Analyze one machine at a time with --host ${hosts[0]}.`,
    ])
  }
  return analyzeCase(
    c,
    summaries.map((s) => zoneTimes(s, o.tz)),
    {flagRange, host: o.host, tz},
  )
}
