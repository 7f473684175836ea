import type {Readable} from 'node:stream'

import {PortleakError} from './errors.js'
import {isKnownEncoding} from './input/encoding.js'
import {digestPending, ingest, type Progress, settleDigests} from './input/ingest.js'
import {byPath as pathOrder} from './input/sources.js'
import {analyzeCase} from './analysis/analyze.js'
import {isoOrNull} from './analysis/findings.js'
import {type CaseSnapshot, CaseBuilder} from './model/case-builder.js'
import {maxOf, minOf} from './model/extremes.js'
import {decideMachines, HOW_TEXT, type Machine, type MachineInput, machineAddress, machineKey} from './model/machines.js'
import type {PortRange} from './model/port-ranges.js'
import {sameSnapshot} from './model/timeline.js'
import {withZone, zoneOffsetMinutes, zoneTimes} from './model/time-zone.js'
import type {Analysis, FleetDocument, FleetMachine, InputSummary} from './model/types.js'
import {getParser} from './formats/registry.js'
import type {ConnectionRecord, DateOrder, FormatId} from './formats/types.js'
import {quoteEvidence} from './report/quote.js'

export type PipelineOptions = {
  format?: string | undefined
  encoding?: string | undefined
  dateOrder?: DateOrder | undefined
  tz?: string | undefined
  dynamicRange?: string | undefined
  host?: string | undefined
  /** Read every input as one machine's (`--one-machine`): no split by host, folder or address. */
  oneMachine?: boolean | undefined
  signal?: AbortSignal | undefined
  maxBytes?: number | undefined
  onProgress?: ((p: Progress) => void) | undefined
  stdin?: (() => Readable) | undefined
  /**
   * Called with every connection row as it is read (the record object is reused: copy what you keep),
   * with its input and the index of its snapshot within that input (-1 outside snapshots).
   */
  onConnection?: ((c: ConnectionRecord, at: {path: string; snapshot: number}) => void) | undefined
  /**
   * Called when a snapshot ends with how each of its TIME_WAIT rows without an owner was attributed
   * (pid -1: unattributed), after its rows went to `onConnection`.
   */
  onTimeWait?: ((line: number, pid: number, name: string | null, how: 'lineage' | 'remote-affinity' | 'unattributed' | 'owner') => void) | undefined
  /** Quote the first evidence lines of each finding, read again from the inputs (default true; see src/report/quote.ts). */
  quotes?: boolean | undefined
}

/** The `portleak/inspect@1` document. Extend, never rename or drop fields. */
export type InspectDocument = {schema: 'portleak/inspect@1'; inputs: InputSummary[]}

/** The error for a `--format` id the registry does not hold: it points at `portleak formats`. */
export const unknownFormat = (id: string) => new PortleakError(`unknown format '${id}'`, 'EUSAGE', ['Run `portleak formats` to list the format ids.'])

export function checkOptions(o: PipelineOptions): {format: FormatId | undefined} {
  if (o.format && !getParser(o.format)) throw unknownFormat(o.format)
  if (o.encoding && !isKnownEncoding(o.encoding))
    throw new PortleakError(`unknown encoding '${o.encoding}'`, 'EUSAGE', ['Use utf-8, utf-16le, utf-16be or a code page such as cp850, cp1252, cp932.'])
  // A zone no clock has is refused before any input is read, whatever the inputs hold.
  if (o.tz) zoneOffsetMinutes(o.tz, 0)
  return {format: o.format as FormatId | undefined}
}

/** Reads every input and describes it: format, encoding, snapshots, time range, counts, skipped lines. */
export async function inspectInputs(inputs: readonly string[], o: PipelineOptions): Promise<InspectDocument> {
  const {format} = checkOptions(o)
  const summaries = await ingest(inputs, {...o, format}, () => null)
  return {schema: 'portleak/inspect@1', inputs: summaries.map((s) => zoneTimes(s, o.tz))}
}

/**
 * `49152-65535` or `49152+16384` → a range; validated like netsh does (start ≥ 1025, ≥ 255 ports, end ≤ 65535).
 * Each error names what is wrong (the shape, a port out of 1–65535, the start, the size) and what to type.
 */
export function parseRange(text: string): PortRange {
  const m = /^\s*(\d+)\s*([-+])\s*(\d+)\s*$/.exec(text)
  const fail = (what: string, fix = 'Type --dynamic-range START-END, e.g. --dynamic-range 49152-65535 (the Windows default).') =>
    new PortleakError(`--dynamic-range '${text}' ${what}`, 'EUSAGE', [fix])
  if (!m) throw fail('is not START-END (e.g. 49152-65535)')
  const start = Number(m[1])
  const count = m[2] === '+' ? Number(m[3]) : Number(m[3]) - start + 1
  const end = start + count - 1
  if (start > 65535 || end > 65535) throw fail(`is out of range: ports are 1–65535, and ${start > 65535 ? start : end} is above 65535`)
  if (m[2] === '-' && count < 1) throw fail(`ends before it starts (${m[3]} < ${start})`, `Type the lower port first: --dynamic-range ${m[3]}-${start}.`)
  if (start < 1025) throw fail(`starts at ${start}; Windows starts the dynamic range at 1025 or above`)
  if (count < 255) throw fail(`holds ${count} port${count === 1 ? '' : 's'}; Windows needs at least 255`)
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

/** One machine (or timeline) of an upload, analyzed. */
export type MachineAnalysis = {fleet: FleetMachine; analysis: Analysis}

/** Every machine of an upload, analyzed apart; one machine when the inputs are one machine's. */
export type Fleet = {inputs: InputSummary[]; machines: MachineAnalysis[]}

/** Formats that set the case's ranges: read in a first pass, before any snapshot is counted. */
const SETTINGS_FORMATS: ReadonlySet<FormatId> = new Set(['netsh-dynamicport', 'netsh-excludedportrange'])

/**
 * Reads every input, tells the machines apart (host names in the data, folder and file names, local
 * addresses), keeps loops that run side by side as separate timelines, and analyzes each on its own.
 * `--host` keeps one machine; `oneMachine` reads everything as one machine's (the inputs' own split off).
 */
export async function runFleet(inputs: readonly string[], o: PipelineOptions): Promise<Fleet> {
  const fleet = await readFleet(inputs, o)
  if (o.quotes !== false) await quoteEvidence(fleet.machines.map((m) => m.analysis), inputs, {signal: o.signal})
  return fleet
}

async function readFleet(inputs: readonly string[], o: PipelineOptions): Promise<Fleet> {
  const {format} = checkOptions(o)
  const flagRange = o.dynamicRange ? parseRange(o.dynamicRange) : null
  const tz = (iso: string) => withZone(iso, o.tz)
  if (o.tz) tz('2000-01-01T00:00:00.000')
  const c = new CaseBuilder(flagRange, await knownRanges(inputs, o, format))
  if (o.onTimeWait) c.agg.onTimeWait = o.onTimeWait
  const tap = o.onConnection
  const summaries = await ingest(inputs, {...o, format, everyRow: tap !== undefined, lateDigests: true}, ({path, format: f}) => {
    const sink = c.sinkFor(path, f)
    // Rows a parser repeats from the snapshot before (memo entries, not records) are tapped too.
    if (tap) sink.tap((r, snapshot) => tap(r, {path, snapshot}))
    return sink
  })
  c.doneReading()
  // The analysis lists its inputs in path order, so that its bytes do not depend on the order they were named in
  // (`inspect` lists them as given).
  summaries.sort(pathOrder)
  if (summaries.length === 0) throw new PortleakError('no input files found', 'EUSAGE', ['Name files, directories or archives.'])
  if (summaries.every((s) => s.format === null)) {
    const first = summaries[0]!
    throw new PortleakError(`${first.path}: ${first.error}`, 'EFORMAT')
  }
  // Dropped in one pass, found by path through a map: a zip of many identical entries drops nearly all of them.
  const byPath = new Map(c.inputs.map((i) => [i.path, i.index]))
  const dropped = new Set<number>()
  // A large loop's digest may still be computed (ingest's lateDigests): it is needed now only where another
  // input has the same size, as a copy of it would; the others are awaited once the analysis is done.
  await settleDigests(summaries.filter((s) => digestPending(s) && summaries.some((t) => t !== s && t.bytes === s.bytes)))
  markDuplicates(summaries, (path) => {
    const index = byPath.get(path)
    if (index !== undefined) dropped.add(index)
  })
  c.dropInput(dropped)
  markCutOff(c, summaries)
  const zoned = summaries.map((s) => zoneTimes(s, o.tz))
  const units = chooseUnits(c, dropped, o)
  if (units.length === 1 && units[0]!.all) {
    const u = units[0]!
    const analysis = analyzeCase(c, zoned, {flagRange, host: o.host ?? u.machine.name ?? undefined, tz})
    await settleZoned(summaries, zoned)
    return {inputs: analysis.document.inputs, machines: [{fleet: fleetRow(u, analysis, c, tz), analysis}]}
  }
  const machines = units.map((u) => {
    const mine = new Set(u.inputs)
    const view = c.only((i) => mine.has(i))
    const paths = new Set(u.inputs.map((i) => c.inputs[i]!.path))
    const analysis = analyzeCase(view, zoned.filter((s) => paths.has(s.path)), {flagRange, host: u.machine.name ?? undefined, tz})
    return {fleet: fleetRow(u, analysis, c, tz), analysis}
  })
  await settleZoned(summaries, zoned)
  return {inputs: zoned, machines}
}

/**
 * Waits for the digests still being computed. The documents list the zoned summaries: where `--tz` made
 * a copy (zoneTimes), the copy takes the digest and final size too.
 */
async function settleZoned(summaries: readonly InputSummary[], zoned: readonly InputSummary[]): Promise<void> {
  await settleDigests(summaries)
  summaries.forEach((s, i) => {
    const z = zoned[i]!
    if (z === s) return
    z.sha256 = s.sha256
    z.bytes = s.bytes
  })
}

/** The fleet document for several machines; null for one (its document is the `analysis@1` one). */
export function fleetDocument(f: Fleet): FleetDocument | null {
  if (f.machines.length === 1) return null
  return {schema: 'portleak/fleet@1', inputs: f.inputs, machines: f.machines.map((m) => m.fleet), analyses: f.machines.map((m) => m.analysis.document)}
}

/** Reads every input into one case and analyzes it: the one machine there is, or the one `--host` names. */
export async function runAnalysis(inputs: readonly string[], o: PipelineOptions): Promise<Analysis> {
  const fleet = await runFleet(inputs, o)
  if (fleet.machines.length === 1) return fleet.machines[0]!.analysis
  const names = fleet.machines.map((m) => machineLabel(m.fleet))
  throw new PortleakError(`the inputs come from ${names.length} machines or timelines (${names.join(', ')}); this view shows one`, 'EUSAGE', [
    `Pick one with --host ${fleet.machines.find((m) => m.fleet.machine)?.fleet.machine ?? 'NAME'}, or see them all with \`portleak analyze\`.`,
  ])
}

/** The fleet table's name for a machine: its name, `(unnamed)`, and the timeline when it has several. */
export const machineLabel = (m: FleetMachine) => `${m.machine ?? '(unnamed)'}${m.timeline ? ` · timeline ${m.timeline}` : ''}`

/**
 * The first pass: reads only the inputs that set the dynamic range (their heads tell), so that every
 * snapshot is counted against every range the upload names, whatever order the inputs come in.
 * Standard input cannot be read twice: there the ranges are learnt as they come.
 */
async function knownRanges(inputs: readonly string[], o: PipelineOptions, format: FormatId | undefined): Promise<PortRange[]> {
  if (inputs.includes('-') || (format !== undefined && !SETTINGS_FORMATS.has(format))) return []
  const pre = new CaseBuilder(null)
  await ingest(inputs, {format, encoding: o.encoding, signal: o.signal, onlyFormats: SETTINGS_FORMATS}, ({path, format: f}) => pre.sinkFor(path, f))
  return pre.ranges.filter((r) => r.proto === 'TCP' && !r.excluded).map((r) => ({start: r.start, count: r.count}))
}

/** A machine and the inputs of one of its timelines; `all`: the whole case, nothing filtered. */
type Unit = {machine: Machine; timeline: number | null; inputs: number[]; all: boolean; notes: string[]}

function chooseUnits(c: CaseBuilder, dropped: ReadonlySet<number>, o: PipelineOptions): Unit[] {
  const facts = machineInputs(c, dropped)
  const machines = o.oneMachine
    ? [{name: o.host ?? null, key: null, inputs: facts.map((f) => f.index), how: new Map(facts.map((f) => [f.index, 'unnamed' as const]))}]
    : decideMachines(facts)
  let chosen = machines
  if (o.host && !o.oneMachine) {
    chosen = machines.filter((m) => m.key !== null && m.key === machineKey(o.host!))
    if (chosen.length === 0) {
      const named = machines.filter((m) => m.name !== null).map((m) => m.name!)
      if (named.length > 0) {
        throw new PortleakError(`--host ${o.host}: no input is that machine's (machines: ${named.join(', ')})`, 'EUSAGE', [`Use one of: ${named.join(', ')}.`])
      }
      chosen = machines
    }
  }
  // --one-machine: the old merge, one case of everything (loops side by side interleaved into one series).
  const units = o.oneMachine ? chosen.map((m) => ({machine: m, timeline: null, inputs: m.inputs, all: false, notes: []})) : chosen.flatMap((m) => timelinesOf(c, m, facts))
  // One unit holding every input: analyzed as the whole case (exactly as a single machine always was).
  if (units.length === 1 && units[0]!.inputs.length === facts.length) units[0]!.all = true
  return units
}

/** What the machine decision needs to know of each input (one pass over the snapshots). */
function machineInputs(c: CaseBuilder, dropped: ReadonlySet<number>): MachineInput[] {
  const facts = new Map<number, {start: number; end: number; rows: boolean; addresses: Set<string>}>()
  for (const i of c.inputs) if (!dropped.has(i.index)) facts.set(i.index, {start: Infinity, end: -Infinity, rows: false, addresses: new Set()})
  for (const s of c.snapshots) {
    const f = facts.get(s.input)
    if (!f || c.summaries.rows(s.summary) === 0) continue
    f.rows = true
    if (s.time !== null) (f.start = Math.min(f.start, s.time), f.end = Math.max(f.end, s.time))
    for (const a of c.summaries.ephemeralAddrs(s.summary)) if (machineAddress(a)) f.addresses.add(a)
  }
  return [...facts].map(([index, f]) => {
    const input = c.inputs[index]!
    const span = f.start <= f.end ? {start: f.start, end: f.end} : null
    return {index, path: input.path, format: input.format, host: input.host, rows: f.rows, span, addresses: [...f.addresses].sort()}
  })
}

/**
 * Splits a machine's loops into timelines: a loop whose snapshots interleave in time with another's is
 * one source only when it repeats the other's snapshots (the same collection twice, folded later);
 * otherwise it is another timeline. Evidence that is not a loop goes with every timeline.
 */
function timelinesOf(c: CaseBuilder, m: Machine, facts: readonly MachineInput[]): Unit[] {
  const byIndex = new Map(facts.map((f) => [f.index, f]))
  const loops = m.inputs.map((i) => byIndex.get(i)!).filter((f) => f.rows).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const lines: MachineInput[][] = []
  for (const f of loops) {
    const line = lines.find((l) => l.every((g) => !interleaved(c, f, g)))
    if (line) line.push(f)
    else lines.push([f])
  }
  const others = m.inputs.filter((i) => !byIndex.get(i)!.rows)
  if (lines.length <= 1) return [{machine: m, timeline: null, inputs: m.inputs, all: false, notes: []}]
  return lines.map((l, k) => ({
    machine: m,
    timeline: k + 1,
    inputs: [...l.map((f) => f.index), ...others].sort((a, b) => a - b),
    all: false,
    notes: [`${lines.length} loops of this machine run side by side without repeating each other's snapshots: each is its own timeline`],
  }))
}

/** Two loops whose spans overlap and that do not share their snapshots in the overlap. */
function interleaved(c: CaseBuilder, a: MachineInput, b: MachineInput): boolean {
  if (!a.span || !b.span || a.span.start > b.span.end || b.span.start > a.span.end) return false
  const lo = Math.max(a.span.start, b.span.start)
  const hi = Math.min(a.span.end, b.span.end)
  const inOverlap = (i: number) => c.snapshots.filter((s) => s.input === i && c.summaries.rows(s.summary) > 0 && s.time !== null && s.time >= lo && s.time <= hi)
  const as = inOverlap(a.index)
  const bs = inOverlap(b.index)
  const byTime = new Map<number, CaseSnapshot[]>()
  for (const t of as) byTime.set(t.time!, [...(byTime.get(t.time!) ?? []), t])
  const shared = bs.filter((s) => byTime.get(s.time!)?.some((t) => sameSnapshot(c.summaries, t, s))).length
  return shared * 2 < Math.min(as.length, bs.length)
}

function fleetRow(u: Unit, analysis: Analysis, c: CaseBuilder, tz: (iso: string) => string): FleetMachine {
  const d = analysis.document
  const top = d.findings[0]
  const tl = analysis.timeline
  const times = [
    ...tl.times,
    ...tl.events.map((e) => e.time),
    ...tl.handles.flatMap((h) => h.points.map((p) => p.time)),
  ].filter((t): t is number => t !== null)
  const inputs = u.all ? c.inputs.map((i) => i.index).filter((i) => u.machine.how.has(i)) : u.inputs
  return {
    machine: u.machine.name,
    timeline: u.timeline,
    verdict: d.verdict.status,
    peakUtilization: d.verdict.peakUtilization,
    topCulprit: top ? {pid: top.pid, process: top.process, state: top.state, severity: top.severity} : null,
    evidenceSpan: times.length > 0 ? {start: isoOrNull(minOf(times), tz)!, end: isoOrNull(maxOf(times), tz)!} : null,
    inputs: inputs.map((i) => ({path: c.inputs[i]!.path, how: HOW_TEXT[u.machine.how.get(i) ?? 'unnamed']})),
    notes: u.notes,
  }
}

/** The last snapshot against the median row count of the (at least 3, at most 5) complete ones just before it. */
const CUT_OFF_HISTORY = 3
const CUT_OFF_WINDOW = 5
const CUT_OFF_SHARE = 0.5

/**
 * A loop stopped while netstat was writing leaves a last snapshot with far fewer rows than the ones
 * before it. Such a snapshot is marked truncated (left out of trends and "now" values) and counted in
 * its input's `truncatedSnapshots`. Parsers already mark one cut mid-row or without a line end.
 */
function markCutOff(c: CaseBuilder, summaries: InputSummary[]): void {
  const byInput = new Map<number, CaseSnapshot[]>()
  for (const s of c.snapshots) {
    const list = byInput.get(s.input)
    if (list) list.push(s)
    else byInput.set(s.input, [s])
  }
  for (const [input, list] of byInput) {
    const last = list.at(-1)!
    const before = list.slice(0, -1).filter((s) => c.summaries.rows(s.summary) > 0 && !s.truncated).slice(-CUT_OFF_WINDOW)
    if (last.truncated || c.summaries.rows(last.summary) === 0 || before.length < CUT_OFF_HISTORY) continue
    const rows = before.map((s) => c.summaries.rows(s.summary)).sort((a, b) => a - b)
    const median = rows[rows.length >> 1]!
    if (c.summaries.rows(last.summary) >= median * CUT_OFF_SHARE) continue
    last.truncated = true
    const s = summaries.find((x) => x.path === c.inputs[input]!.path)
    if (s) {
      s.truncatedSnapshots++
      s.notes = {...s.notes, cutOff: `the last snapshot holds ${c.summaries.rows(last.summary)} rows where the ones just before hold about ${median}: the loop was stopped while writing it`}
    }
  }
}
