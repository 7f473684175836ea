import {formatWallTime} from './wall-time.js'
import type {ConnectionRecord, DateOrder, EventRecord, FormatId, HandleCountRecord, HandleRecord, PortRangeRecord, ProcessRecord, SkipReason, TcpState, WallTime} from './records.js'
import type {RecordSink, SnapshotMark} from '../formats/types.js'
import {TCP_STATES} from './records.js'
import {M_PROTO, M_STATE, MEMO_FIELDS, type RowMemo, restoreRow} from '../formats/netstat/row-memo.js'
import {detach} from './interning.js'
import {STATE_SLOT} from './slots.js'
import type {InputSummary} from './types.js'
import type {RowLane} from '../formats/netstat/lane.js'
import {countingLane} from '../formats/netstat/counting-lane.js'

const EXAMPLES_PER_REASON = 3

/**
 * Counts what one input produced (for `inspect` and the report appendix) and passes every call on
 * to the next sink, if any. Cheap on the hot path: counters only.
 */
export class SummarySink implements RecordSink {
  /** Rows per state, by index in TCP_STATES (a typed array: no dictionary update per row). */
  private readonly byState = new Float64Array(TCP_STATES.length)
  private tcp = 0
  private udp = 0
  private readonly byKind = {connection: 0, process: 0, handle: 0, handleCount: 0, event: 0, portRange: 0}
  private snapshots = 0
  private truncated = 0
  private structureLines = 0
  private readonly skippedByReason: Partial<Record<SkipReason, number>> = {}
  private readonly examples: InputSummary['skippedExamples'] = []
  private skipped = 0
  private readonly notes: Record<string, string> = {}
  private dateOrder: DateOrder | null = null
  /** Events by `Provider/EventId`. */
  private readonly byEvent = new Map<string, number>()
  private minTime = Infinity
  private maxTime = -Infinity

  constructor(
    private readonly path: string,
    private readonly format: FormatId | null,
    private readonly next: RecordSink | null = null,
  ) {}

  snapshot(mark: SnapshotMark): void {
    this.snapshots++
    this.next?.snapshot(mark)
  }

  snapshotTimes(times: readonly (WallTime | null)[], dateOrder: DateOrder | null): void {
    for (const t of times) if (t !== null) this.time(t)
    this.dateOrder = dateOrder
    this.next?.snapshotTimes(times, dateOrder)
  }

  truncatedSnapshot(): void {
    this.truncated++
    this.next?.truncatedSnapshot()
  }

  connection(r: ConnectionRecord): void {
    this.byKind.connection++
    if (r.proto === 'TCP') this.tcp++
    else this.udp++
    const s = r.state
    if (s !== null) this.byState[STATE_SLOT[s]]!++
    this.next?.connection(r)
  }

  carried(memo: RowMemo, entry: number, line: number, process: string | null = null): void {
    this.byKind.connection++
    const f = memo.fields
    const b = entry * MEMO_FIELDS
    if (f[b + M_PROTO] === 0) this.tcp++
    else this.udp++
    // A state word (stateWord) is the state's TCP_STATES index + 1; byState is indexed by that index.
    const st = f[b + M_STATE]!
    if (st !== 0) this.byState[st - 1]!++
    const next = this.next
    if (next === null) return
    if (next.carried) next.carried(memo, entry, line, process)
    else next.connection(restoreRow(memo, entry, line, process))
  }

  /** The next sink's lane; with no next sink (rows are only counted), a lane that only counts. */
  rowLane(): RowLane | null {
    if (this.next === null) return (this.counting ??= countingLane())
    return this.next.rowLane?.() ?? null
  }
  private counting: RowLane | undefined

  /** Rows a lane took (see RecordSink.rowLane): [0] UDP, [k] TCP in state TCP_STATES[k - 1]. */
  rowsTaken(counts: Int32Array): void {
    let tcp = 0
    for (let k = 1; k < counts.length; k++) {
      tcp += counts[k]!
      this.byState[k - 1]! += counts[k]!
    }
    this.tcp += tcp
    this.udp += counts[0]!
    this.byKind.connection += tcp + counts[0]!
    this.next?.rowsTaken?.(counts)
  }

  process(r: ProcessRecord): void {
    this.byKind.process++
    this.next?.process(r)
  }

  handle(r: HandleRecord): void {
    this.byKind.handle++
    this.next?.handle(r)
  }

  handleCount(r: HandleCountRecord): void {
    this.byKind.handleCount++
    this.next?.handleCount(r)
  }

  event(r: EventRecord): void {
    this.byKind.event++
    const key = `${r.source}/${r.id}`
    this.byEvent.set(key, (this.byEvent.get(key) ?? 0) + 1)
    if (r.time !== null) this.time(r.time)
    this.next?.event(r)
  }

  portRange(r: PortRangeRecord): void {
    this.byKind.portRange++
    this.next?.portRange(r)
  }

  structure(count = 1): void {
    this.structureLines += count
    this.next?.structure(count)
  }

  skip(line: number, reason: SkipReason, raw: string): void {
    this.skipped++
    const n = (this.skippedByReason[reason] ?? 0) + 1
    this.skippedByReason[reason] = n
    if (n <= EXAMPLES_PER_REASON) this.examples.push({line, reason, text: detach(raw.length > 200 ? `${raw.slice(0, 200)}…` : raw)})
    this.next?.skip(line, reason, raw)
  }

  note(key: string, value: string): void {
    this.notes[key] = detach(value)
    this.next?.note(key, value)
  }

  /**
   * Adds the counts of a summary of one part of the same input (a worker thread's range), whose lines start
   * after `lineOffset` lines of the input. Times, date order and notes are the caller's (see snapshotTimes, note).
   */
  absorb(part: InputSummary, lineOffset: number): void {
    this.snapshots += part.snapshots
    this.truncated += part.truncatedSnapshots
    this.tcp += part.byProto.TCP ?? 0
    this.udp += part.byProto.UDP ?? 0
    for (const [state, n] of Object.entries(part.byState)) this.byState[STATE_SLOT[state as TcpState]]! += n
    for (const [kind, n] of Object.entries(part.byKind)) this.byKind[kind as keyof typeof this.byKind] += n
    for (const [event, n] of Object.entries(part.byEvent ?? {})) this.byEvent.set(event, (this.byEvent.get(event) ?? 0) + n)
    this.skipped += part.skipped
    const shown = (reason: SkipReason) => this.examples.filter((e) => e.reason === reason).length
    for (const e of part.skippedExamples) if (shown(e.reason) < EXAMPLES_PER_REASON) this.examples.push({...e, line: e.line + lineOffset})
    for (const [reason, n] of Object.entries(part.skippedByReason) as [SkipReason, number][])
      this.skippedByReason[reason] = (this.skippedByReason[reason] ?? 0) + n
  }

  private time(t: WallTime): void {
    if (t < this.minTime) this.minTime = t
    if (t > this.maxTime) this.maxTime = t
  }

  /** The summary; `lines`, `bytes`, `sha256` and `encoding` come from the input layer. */
  summary(io: {encoding: string; bytes: number; sha256: string; lines: number}): InputSummary {
    const byKind = Object.fromEntries(Object.entries(this.byKind).filter(([, v]) => v > 0))
    const records = Object.values(this.byKind).reduce((a, b) => a + b, 0)
    const byProto: Record<string, number> = {}
    if (this.tcp) byProto.TCP = this.tcp
    if (this.udp) byProto.UDP = this.udp
    const {dateOrderSource, ...notes} = this.notes
    return {
      path: this.path,
      format: this.format,
      encoding: io.encoding,
      bytes: io.bytes,
      sha256: io.sha256,
      lines: io.lines,
      snapshots: this.snapshots,
      truncatedSnapshots: this.truncated,
      timeRange: this.minTime <= this.maxTime ? {start: formatWallTime(this.minTime), end: formatWallTime(this.maxTime)} : null,
      dateOrder: this.dateOrder,
      dateOrderSource: this.dateOrder ? (dateOrderSource ?? null) : null,
      records,
      byProto,
      byState: sortedCounts(Object.fromEntries(TCP_STATES.flatMap((st, i) => (this.byState[i]! > 0 ? [[st, this.byState[i]!]] : [])))),
      byKind,
      ...(this.byEvent.size > 0 ? {byEvent: sortedCounts(Object.fromEntries(this.byEvent))} : {}),
      skipped: this.skipped,
      skippedByReason: sortedCounts(this.skippedByReason),
      skippedExamples: this.examples.sort((a, b) => a.line - b.line),
      notes: sortedCounts(notes),
      error: null,
    }
  }

  get snapshotCount(): number {
    return this.snapshots
  }

  /** Lines accounted for so far (records' lines are counted by the input layer). */
  get accounted(): {structure: number; skipped: number} {
    return {structure: this.structureLines, skipped: this.skipped}
  }
}

function sortedCounts<T>(o: Partial<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as Record<string, T>
}
