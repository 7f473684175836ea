import type {ConnectionRecord, DateOrder, EventRecord, FormatId, HandleCountRecord, HandleRecord, PortRangeRecord, ProcessRecord, SkipReason, TcpState, WallTime} from './records.js'
import type {AddressIds, RecordSink, SnapshotMark} from '../formats/types.js'
import {restoreRow, type RowMemo} from '../formats/netstat/row-memo.js'
import {type EventSymptom, eventSymptom} from '../formats/events/index.js'
import {detach} from './interning.js'
import {DEFAULT_RANGE, LEGACY_RANGE, type PortRange, rangeKey} from './port-ranges.js'
import {SnapshotAggregator} from './snapshot-aggregator.js'
import {EMPTY_RECORD, SummaryStore} from './summary-store.js'
import type {RowLane} from '../formats/netstat/lane.js'
import {countingLane} from '../formats/netstat/counting-lane.js'

export type CaseInput = {index: number; path: string; format: FormatId; host: string | null; notes: Record<string, string>}

export type CaseSnapshot = {
  input: number
  /** Index within its input. */
  index: number
  line: number
  stamp: string | null
  time: WallTime | null
  truncated: boolean
  /** Its summary's record in the case's `summaries`. */
  summary: number
}

/** A handle total for one process at one point (handle listings counted, summaries, process lists). */
export type HandlePoint = {
  input: number
  snapshot: number
  pid: number
  name: string | null
  total: number | null
  afd: number | null
  line: number
}

export type RangePoint = PortRangeRecord & {input: number}
export type EventPoint = EventRecord & {input: number; symptom: EventSymptom}

/** Connection rows of a point-in-time input (memory-dump netscan): per PID, states and creation times. */
export type DumpHolder = {
  input: number
  pid: number
  name: string | null
  byState: Partial<Record<TcpState | 'UDP', number>>
  rows: number
  created: number[]
  line: number
}

const MAX_EVENTS = 100_000
const MAX_CREATED_PER_PID = 200_000

/** The port ranges a case tracks: the --dynamic-range one (else the default), the default, the legacy one, then `known`. */
export function trackedRangesFor(flagRange: PortRange | null, known: readonly PortRange[] = []): PortRange[] {
  const ranges = [flagRange ?? DEFAULT_RANGE]
  for (const r of [DEFAULT_RANGE, LEGACY_RANGE, ...known]) if (!ranges.some((x) => rangeKey(x) === rangeKey(r))) ranges.push(r)
  return ranges
}

/**
 * The case: every input's records, aggregated as they stream. Snapshot rows are folded into
 * per-snapshot counts at once; other evidence is small and kept as points.
 */
export class CaseBuilder {
  readonly inputs: CaseInput[] = []
  readonly snapshots: CaseSnapshot[] = []
  readonly handles: HandlePoint[] = []
  readonly processes: HandlePoint[] = []
  readonly events: EventPoint[] = []
  readonly ranges: RangePoint[] = []
  readonly dumps = new Map<string, DumpHolder>()
  eventsDropped = 0
  /** Events of other ids in the same exports: read and counted, not relevant. */
  eventsIgnored = 0
  readonly agg: SnapshotAggregator
  /** The snapshots' summaries (a snapshot's `summary` is its record there). */
  readonly summaries = new SummaryStore()
  readonly trackedRanges: PortRange[]
  /** `known`: ranges a first reading found, tracked from the first snapshot on. */
  constructor(flagRange: PortRange | null, known: readonly PortRange[] = []) {
    const ranges = trackedRangesFor(flagRange, known)
    this.trackedRanges = ranges
    this.agg = new SnapshotAggregator(ranges)
  }

  /**
   * The same case seen through some of its inputs (one machine, one timeline): every evidence list holds
   * only their records; inputs, ids and counters stay shared, so nothing is read or copied again.
   */
  only(keep: (input: number) => boolean): CaseBuilder {
    const view = Object.create(this) as CaseBuilder
    const mine = <T extends {input: number}>(list: readonly T[]) => list.filter((x) => keep(x.input))
    Object.defineProperties(view, {
      snapshots: {value: mine(this.snapshots)},
      handles: {value: mine(this.handles)},
      processes: {value: mine(this.processes)},
      events: {value: mine(this.events)},
      ranges: {value: mine(this.ranges)},
      dumps: {value: new Map([...this.dumps].filter(([, d]) => keep(d.input)))},
    })
    return view
  }

  /**
   * A sink for one input's records. `keepLineage`: the input continues the previous one (a worker's
   * range after its priming snapshots). `marksOnly`: snapshots are marked but rows are not aggregated
   * (their summaries stay empty), for readers that only count.
   */
  sinkFor(path: string, format: FormatId, o: {keepLineage?: boolean; marksOnly?: boolean} = {}): InputSink {
    const input: CaseInput = {index: this.inputs.length, path, format, host: null, notes: {}}
    this.inputs.push(input)
    if (!o.keepLineage) this.agg.newInput()
    return new InputSink(this, input, o.marksOnly ?? false)
  }

  /** Every input is read: the aggregator gives back what only reading needs (no sink may be made after this). */
  doneReading(): void {
    this.agg.release()
  }

  /** Forgets everything inputs contributed (byte-identical copies of other inputs); one pass for all of them. */
  dropInput(input: number | ReadonlySet<number>): void {
    const gone = typeof input === 'number' ? new Set([input]) : input
    if (gone.size === 0) return
    const keep = <T extends {input: number}>(list: T[]) => {
      const kept = list.filter((x) => !gone.has(x.input))
      list.length = 0
      list.push(...kept)
    }
    keep(this.snapshots)
    keep(this.handles)
    keep(this.processes)
    keep(this.events)
    keep(this.ranges)
    for (const [k, d] of this.dumps) if (gone.has(d.input)) this.dumps.delete(k)
  }

  addRange(r: PortRangeRecord, input: number): void {
    this.ranges.push({...r, input})
    if (r.excluded) return
    if (r.proto === 'TCP' && !this.trackedRanges.some((x) => x.start === r.start && x.count === r.count)) {
      this.trackedRanges.push({start: r.start, count: r.count})
    }
  }

  /** Keeps the events that speak of port exhaustion (Tcpip 4227/4231/4266, AFD 0x209, WinSock 10055/10048). */
  addEvent(r: EventRecord, input: number): void {
    const symptom = eventSymptom(r)
    if (symptom === null) this.eventsIgnored++
    else if (this.events.length >= MAX_EVENTS) this.eventsDropped++
    else {
      const data = r.data ? {data: {...r.data}} : {}
      this.events.push({...r, ...data, message: detach(r.message), source: detach(r.source), computer: detach(r.computer), level: detach(r.level), input, symptom})
    }
  }

  dumpRow(r: ConnectionRecord, input: number): void {
    const key = `${input}:${r.pid}:${r.process ?? ''}`
    let h = this.dumps.get(key)
    if (!h) this.dumps.set(key, (h = {input, pid: r.pid, name: detach(r.process), byState: {}, rows: 0, created: [], line: r.line}))
    h.rows++
    const k = r.state ?? 'UDP'
    h.byState[k] = (h.byState[k] ?? 0) + 1
    if (r.created !== null && h.created.length < MAX_CREATED_PER_PID) h.created.push(r.created)
  }
}

/** Routes one input's records into the case; closes its snapshots as they end. */
export class InputSink implements RecordSink {
  private first = -1
  private open: CaseSnapshot | null = null
  private readonly handleAgg = new Map<number, HandlePoint>()

  constructor(
    private readonly c: CaseBuilder,
    private readonly input: CaseInput,
    private readonly marksOnly = false,
  ) {}

  /** The case this input belongs to, and its index there (for results read by worker threads). */
  get caseBuilder(): CaseBuilder {
    return this.c
  }

  get inputIndex(): number {
    return this.input.index
  }

  /** The case's address table, for parsers that can hand over address ids. */
  get addressIds(): AddressIds {
    return this.c.agg.addresses
  }

  /** Index (within this input) of the snapshot records go to now, -1 outside snapshots. */
  get currentSnapshot(): number {
    return this.open ? this.open.index : -1
  }

  private get snapIndex(): number {
    return this.open ? this.open.index : this.lastIndex
  }
  private lastIndex = -1

  snapshot(mark: SnapshotMark): void {
    this.close()
    const index = this.first < 0 ? 0 : this.c.snapshots.length - this.first
    if (this.first < 0) this.first = this.c.snapshots.length
    this.open = {input: this.input.index, index, line: mark.line, stamp: detach(mark.stamp), time: null, truncated: false, summary: EMPTY_RECORD}
    this.c.snapshots.push(this.open)
    this.lastIndex = index
  }

  private close(): void {
    if (this.open && !this.marksOnly) this.open.summary = this.c.summaries.add(this.c.agg.end())
    this.open = null
    this.flushHandles()
  }

  snapshotTimes(times: readonly (WallTime | null)[], _order: DateOrder | null): void {
    if (this.first < 0) return
    for (let i = 0; i < times.length; i++) {
      const s = this.c.snapshots[this.first + i]
      if (s && s.input === this.input.index) s.time = times[i] ?? null
    }
  }

  truncatedSnapshot(): void {
    const last = this.open ?? this.c.snapshots.at(-1)
    if (last && last.input === this.input.index) last.truncated = true
  }

  /** Told every connection row before it is counted (`tap`); null (the default) costs a test per row. */
  private onRow: ((r: ConnectionRecord, snapshot: number) => void) | null = null

  /**
   * Tells `onRow` every connection row this sink gets, as a record (reused: copy what you keep), with the
   * index of its snapshot within the input (-1 outside snapshots): `export --connections`. Rows then never
   * take the row lane, which counts them without records.
   */
  tap(onRow: (r: ConnectionRecord, snapshot: number) => void): void {
    this.onRow = onRow
  }

  connection(r: ConnectionRecord): void {
    this.onRow?.(r, this.currentSnapshot)
    if (this.open) {
      if (!this.marksOnly) this.c.agg.connection(r)
    } else this.c.dumpRow(r, this.input.index)
  }

  carried(memo: RowMemo, entry: number, line: number, process: string | null = null): void {
    if (this.onRow) {
      // A tapped row is restored once, for the tap and the count alike.
      this.connection(restoreRow(memo, entry, line, process))
      return
    }
    if (this.open) {
      if (!this.marksOnly) this.c.agg.carried(memo, entry, line, process)
    } else this.c.dumpRow(restoreRow(memo, entry, line, process), this.input.index)
  }

  /**
   * The aggregator's row lane, while rows only go there; a lane that only counts for inputs read for their
   * marks only; none for tapped ones (their rows are wanted as records).
   */
  rowLane(): RowLane | null {
    if (this.onRow !== null) return null
    return this.marksOnly ? (this.counting ??= countingLane()) : this.c.agg.lane
  }
  private counting: RowLane | undefined

  process(r: ProcessRecord): void {
    this.c.processes.push({input: this.input.index, snapshot: this.snapIndex, pid: r.pid, name: detach(r.name), total: r.handles, afd: null, line: r.line})
  }

  handle(r: HandleRecord): void {
    let p = this.handleAgg.get(r.pid)
    if (!p) {
      p = {input: this.input.index, snapshot: this.snapIndex, pid: r.pid, name: detach(r.process), total: 0, afd: 0, line: r.line}
      this.handleAgg.set(r.pid, p)
    }
    p.total = (p.total ?? 0) + 1
    if (r.afd) p.afd = (p.afd ?? 0) + 1
  }

  private flushHandles(): void {
    for (const p of this.handleAgg.values()) this.c.handles.push(p)
    this.handleAgg.clear()
  }

  handleCount(r: HandleCountRecord): void {
    this.c.handles.push({
      input: this.input.index,
      snapshot: this.snapIndex,
      pid: r.pid ?? -1,
      name: detach(r.process),
      total: r.total,
      afd: r.afd ?? null,
      line: r.line,
    })
  }

  event(r: EventRecord): void {
    this.c.addEvent(r, this.input.index)
  }

  portRange(r: PortRangeRecord): void {
    this.c.addRange(r, this.input.index)
  }

  structure(): void {}

  skip(_line: number, _reason: SkipReason, _raw: string): void {}

  note(key: string, value: string): void {
    this.input.notes[key] = detach(value)
    if (key === 'host') this.input.host = detach(value)
  }

  /** The input ended: its last snapshot is complete. */
  finish(): void {
    this.close()
  }
}
