import type {
  ConnectionRecord,
  DateOrder,
  EventRecord,
  Format,
  HandleCountRecord,
  HandleRecord,
  LineParser,
  PortRangeRecord,
  ProcessRecord,
  RecordSink,
  SkipReason,
  SnapshotMark,
  WallTime,
} from '../types.js'
import {copyConnection} from './records.js'

type Tagged<K extends string, T> = {readonly kind: K; readonly snapshot: number} & Readonly<T>

/** Every record a parser produced, copied, tagged with its kind and the snapshot index (-1 = none). */
export type CollectedRecord =
  | Tagged<'connection', ConnectionRecord>
  | Tagged<'process', ProcessRecord>
  | Tagged<'handle', HandleRecord>
  | Tagged<'handleCount', HandleCountRecord>
  | Tagged<'event', EventRecord>
  | Tagged<'portRange', PortRangeRecord>

export type Collected = {
  records: CollectedRecord[]
  snapshots: (SnapshotMark & {time: WallTime | null})[]
  dateOrder: DateOrder | null
  truncatedSnapshots: number
  structureLines: number
  skipped: {line: number; reason: SkipReason; raw: string}[]
  notes: Record<string, string>
}

/**
 * A sink that keeps everything in memory. For tests and small inputs only: the analysis pipeline
 * aggregates instead of collecting.
 */
export class CollectingSink implements RecordSink {
  readonly result: Collected = {
    records: [],
    snapshots: [],
    dateOrder: null,
    truncatedSnapshots: 0,
    structureLines: 0,
    skipped: [],
    notes: {},
  }

  private get current(): number {
    return this.result.snapshots.length - 1
  }

  snapshot(mark: SnapshotMark): void {
    this.result.snapshots.push({...mark, time: null})
  }

  snapshotTimes(times: readonly (WallTime | null)[], dateOrder: DateOrder | null): void {
    times.forEach((t, i) => {
      const s = this.result.snapshots[i]
      if (s) s.time = t
    })
    this.result.dateOrder = dateOrder
  }

  truncatedSnapshot(): void {
    this.result.truncatedSnapshots++
  }

  connection(record: ConnectionRecord): void {
    this.result.records.push({kind: 'connection', snapshot: this.current, ...copyConnection(record)})
  }

  process(record: ProcessRecord): void {
    this.result.records.push({kind: 'process', snapshot: this.current, ...record})
  }

  handle(record: HandleRecord): void {
    this.result.records.push({kind: 'handle', snapshot: this.current, ...record})
  }

  handleCount(record: HandleCountRecord): void {
    this.result.records.push({kind: 'handleCount', snapshot: this.current, ...record})
  }

  event(record: EventRecord): void {
    const data = record.data ? {data: {...record.data}} : {}
    this.result.records.push({kind: 'event', snapshot: this.current, ...record, ...data})
  }

  portRange(record: PortRangeRecord): void {
    this.result.records.push({kind: 'portRange', snapshot: this.current, ...record})
  }

  structure(count = 1): void {
    this.result.structureLines += count
  }

  skip(line: number, reason: SkipReason, raw: string): void {
    this.result.skipped.push({line, reason, raw})
  }

  note(key: string, value: string): void {
    this.result.notes[key] = value
  }
}

/** Splits text into lines the way the input layer does (LF, CRLF; a trailing terminator ends the last line). */
export function splitLines(text: string): {lines: string[]; endedWithNewline: boolean} {
  if (text === '') return {lines: [], endedWithNewline: true}
  const lines = text.split('\n')
  const endedWithNewline = lines.at(-1) === ''
  if (endedWithNewline) lines.pop()
  return {lines: lines.map((l) => stripCr(l)), endedWithNewline}
}

function stripCr(line: string): string {
  let end = line.length
  while (end > 0 && line.charCodeAt(end - 1) === 13) end--
  return end === line.length ? line : line.slice(0, end)
}

/** Runs a parser over a whole text (already decoded) and returns everything it produced. */
export function parseText(parser: Format, text: string, options: {path?: string; dateOrder?: DateOrder} = {}): Collected {
  const sink = new CollectingSink()
  const lp: LineParser = parser.create(sink, {path: options.path ?? '<text>', dateOrder: options.dateOrder})
  const {lines, endedWithNewline} = splitLines(text)
  lines.forEach((l, i) => lp.line(l, i + 1))
  lp.end(endedWithNewline)
  return sink.result
}

/**
 * Line accounting: every input line must be exactly one of (a) the `line` of one or more records,
 * (b) a structure line, (c) a skipped line. Returns the number of lines so accounted for; a parser
 * is right when this equals the number of input lines.
 */
export function accountedLines(c: Collected): number {
  const recordLines = new Set(c.records.map((r) => r.line))
  return recordLines.size + c.structureLines + c.skipped.length
}
