import type {Analysis, EventMarker, Finding, HandleSeries, ProcessSeries, Severity} from '../model/types.js'
import {TCP_STATES, type TcpState, type WallTime} from '../formats/types.js'
import {duration, formatInt, percent} from './text.js'
import {formatWall} from './time-format.js'

/**
 * Everything the timeline screen shows, derived once from an Analysis. Renders only index these
 * arrays (values at the cursor, cached columns and sparklines); nothing rescans a series per key.
 */

/** A count column of the process table: a TCP state or UDP endpoints. */
export type CountKey = TcpState | 'UDP'

/** A handle reading with a known time, for the lookup at the cursor. */
export type HandlePoint = {
  readonly time: WallTime
  readonly total: number | null
  readonly afd: number | null
  readonly path: string
  readonly line: number
}

/** One process identity and what the screen needs about it besides its series. */
export type ProcInfo = {
  readonly index: number
  readonly series: ProcessSeries
  /** Image name, `?` when unknown. */
  readonly label: string
  readonly findings: readonly Finding[]
  /** 0 critical … 3 low, 4 no finding. */
  readonly sevRank: number
  /** Severity and state of its worst finding (`crit BOUND`, `high CLOSW`), or '' without a finding. */
  readonly flag: string
  /** States it ever held, in display order, then UDP when it had endpoints. */
  readonly counts: readonly CountKey[]
  readonly handles: HandleSeries | null
  /** Timed handle readings sorted by time (undated ones, e.g. from a dump, are in `handles` only). */
  readonly handlePoints: readonly HandlePoint[]
  /** `path:line  text` of each piece of evidence of its findings. */
  readonly evidence: readonly string[]
}

export type Header = {readonly title: string; readonly verdict: string; readonly status: string; readonly facts: string}

export type ViewModel = {
  readonly analysis: Analysis
  /** Snapshots. */
  readonly n: number
  /** True when the x axis is time (some snapshot has a time), false: snapshot numbers. */
  readonly timed: boolean
  /** x of each snapshot (time or index); NaN when its time is unknown. */
  readonly xs: Float64Array
  /** x where the cursor is drawn: its own, else the previous (or next) known one. */
  readonly place: Float64Array
  /** Snapshots with a known x, sorted by x. */
  readonly placed: Int32Array
  readonly xMin: number
  readonly xMax: number
  /** Median step between samples (ms, or 1 snapshot): one column when zoomed in fully. */
  readonly step: number
  /** Steps longer than this are sampling gaps and are drawn as gaps (null: never). */
  readonly maxStep: number | null
  /** The whole case spans more than one calendar year. */
  readonly multiYear: boolean
  /** Size of the dynamic TCP range and the highest use seen. */
  readonly range: number
  readonly peak: number
  readonly procs: readonly ProcInfo[]
  /** Count columns in display order (states any process held, then UDP). */
  readonly countKeys: readonly CountKey[]
  /** Events sorted by snapshot, and the events at each snapshot. */
  readonly events: readonly EventMarker[]
  readonly eventsAt: ReadonlyMap<number, readonly EventMarker[]>
  readonly header: Header
  /** Memo tables filled lazily by the chart/table derivations. */
  readonly cache: Map<string, unknown>
}

/** Display order of the state columns: the ones that hold ephemeral ports first. */
export const STATE_ORDER: readonly TcpState[] = [
  'BOUND', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'LISTENING', 'SYN_SENT', 'FIN_WAIT_2', 'FIN_WAIT_1', 'LAST_ACK',
  'SYN_RECEIVED', 'CLOSING', 'CLOSED', 'DELETE_TCB',
]

/** Five-character column headings. */
export const SHORT: Record<string, string> = {
  BOUND: 'BOUND', ESTABLISHED: 'ESTAB', TIME_WAIT: 'TWAIT', CLOSE_WAIT: 'CLOSW', LISTENING: 'LISTN', SYN_SENT: 'SYNS',
  SYN_RECEIVED: 'SYNR', FIN_WAIT_1: 'FINW1', FIN_WAIT_2: 'FINW2', LAST_ACK: 'LACK', CLOSING: 'CLSNG', CLOSED: 'CLOSD',
  DELETE_TCB: 'DELTB', UDP: 'UDP', PORTS: 'PORTS', HANDLES: 'HNDL', AFD: 'AFD',
}

const RANK: Record<Severity, number> = {critical: 0, high: 1, medium: 2, low: 3}
export const SEV_SHORT = ['crit', 'high', 'med', 'low', ''] as const
export const SEV_NAME = ['critical', 'high', 'medium', 'low', ''] as const

/** The series of one count column of a process (TIME_WAIT includes attributed rows). */
export const countSeries = (p: ProcessSeries, k: CountKey): Int32Array | undefined => (k === 'UDP' ? p.udp : p.byState[k])

/** Whether a finding is about this process identity (PIDs are reused: the image must match too when known). */
export function findingMatches(f: Finding, p: ProcessSeries): boolean {
  const pids = f.pids.length ? f.pids : f.pid !== null ? [f.pid] : []
  if (pids.length) return pids.includes(p.pid) && (f.process === null || !p.name || f.process === p.name)
  return f.process !== null && f.process === p.name
}

function median(values: number[]): number {
  if (values.length === 0) return NaN
  const s = values.sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

const has = (a: Int32Array | undefined) => a !== undefined && a.some((v) => v !== 0)

function procInfo(p: ProcessSeries, index: number, analysis: Analysis, handlesOf: ReadonlyMap<number, HandleSeries[]>): ProcInfo {
  const findings = analysis.document.findings
    .filter((f) => findingMatches(f, p))
    .sort((a, b) => RANK[a.severity] - RANK[b.severity])
  const top = findings[0]
  const sevRank = top ? RANK[top.severity] : 4
  const flag = top ? `${SEV_SHORT[sevRank]} ${SHORT[top.state] ?? top.state}` : ''
  const counts: CountKey[] = STATE_ORDER.filter((s) => has(p.byState[s]))
  if (has(p.udp)) counts.push('UDP')
  const handles = handlesOf.get(p.pid)?.find((h) => !h.name || !p.name || h.name === p.name) ?? null
  const handlePoints = (handles?.points ?? [])
    .filter((h): h is HandlePoint => h.time !== null)
    .sort((a, b) => a.time - b.time)
  // runs of blanks collapse: a netstat row padded for 120 columns reads fine in one space each
  const evidence = findings.flatMap((f) =>
    f.evidence.map((e) => `${e.path}:${e.line}${e.text ? `  ${e.text.trim().replace(/\s+/g, ' ')}` : ''}`),
  )
  // PID 0 holds the TIME_WAIT rows no process could be named for
  const label = p.name || (p.pid === 0 ? '(no owner)' : '?')
  return {index, series: p, label, findings, sevRank, flag, counts, handles, handlePoints, evidence: [...new Set(evidence)]}
}

function header(analysis: Analysis, vm: {n: number; xs: Float64Array; timed: boolean; placed: Int32Array}): Header {
  const {document: doc} = analysis
  const status = doc.verdict.status
  const verdict = status === 'exhausted' ? 'EXHAUSTED' : status === 'at-risk' ? 'AT RISK' : 'HEALTHY'
  const inputs = doc.inputs.filter((i) => i.format !== null)
  const shown = inputs[0]?.path ?? doc.inputs[0]?.path ?? 'no input'
  const more = doc.inputs.length > 1 ? ` +${doc.inputs.length - 1} more` : ''
  const title = ['portleak timeline', doc.host ?? 'unknown host', `${shown}${more}`].join(' · ')
  let span = 'no times'
  if (vm.timed && vm.placed.length) {
    const a = vm.xs[vm.placed[0]!]!
    const b = vm.xs[vm.placed[vm.placed.length - 1]!]!
    const sameDay = formatWall(a, 'yyyy-MM-dd') === formatWall(b, 'yyyy-MM-dd')
    // with --tz the document's times carry an offset; the screen shows the wall clock as written, so say which
    const zone = /(Z|[+-]\d\d:\d\d)$/.exec(doc.timeRange?.start ?? '')?.[1]
    const end = formatWall(b, sameDay ? 'HH:mm:ss' : 'yyyy-MM-dd HH:mm:ss')
    const offset = zone ? ` ${zone === 'Z' ? 'UTC' : zone}` : ''
    span = `${formatWall(a, 'yyyy-MM-dd HH:mm:ss')} → ${end}${offset} (${duration((b - a) / 1000)})`
  }
  const peak = `peak ${percent(doc.verdict.peakUtilization)} of ${formatInt(doc.dynamicRange.tcp.count)}`
  const facts = [`${formatInt(vm.n)} snapshot${vm.n === 1 ? '' : 's'}`, span, peak].join(' · ')
  return {title, verdict, status, facts}
}

/** Builds the view model: O(snapshots + processes × findings); columns and sparklines come later, cached. */
export function buildViewModel(analysis: Analysis): ViewModel {
  const {timeline: tl, document: doc} = analysis
  const n = tl.times.length
  const timed = tl.times.some((t) => t !== null)
  const xs = new Float64Array(n)
  for (let i = 0; i < n; i++) xs[i] = timed ? (tl.times[i] ?? NaN) : i
  const place = new Float64Array(n).fill(NaN)
  let prev = NaN
  for (let i = 0; i < n; i++) place[i] = prev = Number.isNaN(xs[i]!) ? prev : xs[i]!
  let next = NaN
  for (let i = n - 1; i >= 0; i--) {
    if (!Number.isNaN(xs[i]!)) next = xs[i]!
    else if (Number.isNaN(place[i]!)) place[i] = next
  }
  const placed = Int32Array.from(Array.from({length: n}, (_, i) => i).filter((i) => !Number.isNaN(xs[i]!)))
  placed.sort((a, b) => xs[a]! - xs[b]! || a - b)
  const xMin = placed.length ? xs[placed[0]!]! : 0
  const xMax = placed.length ? xs[placed[placed.length - 1]!]! : 0
  const steps: number[] = []
  for (let k = 1; k < placed.length; k++) {
    const d = xs[placed[k]!]! - xs[placed[k - 1]!]!
    if (d > 0) steps.push(d)
  }
  const step = timed ? median(steps) || 60_000 : 1
  const maxStep = timed ? Math.max(3 * step, 90_000) : null
  const multiYear = timed && placed.length > 0 && new Date(xMin).getUTCFullYear() !== new Date(xMax).getUTCFullYear()
  let peak = 0
  for (const v of tl.ephemeralInUse) peak = Math.max(peak, v)
  const handlesOf = new Map<number, HandleSeries[]>()
  for (const h of tl.handles) handlesOf.set(h.pid, [...(handlesOf.get(h.pid) ?? []), h])
  const procs = tl.processes.map((p, i) => procInfo(p, i, analysis, handlesOf))
  const used = new Set(procs.flatMap((p) => p.counts))
  const all: CountKey[] = [...STATE_ORDER, ...TCP_STATES.filter((s) => !STATE_ORDER.includes(s)), 'UDP']
  const countKeys = all.filter((k) => used.has(k))
  const events = [...tl.events].sort((a, b) => a.snapshot - b.snapshot || (a.time ?? 0) - (b.time ?? 0))
  const eventsAt = new Map<number, EventMarker[]>()
  for (const e of events) {
    if (e.outsideSeconds) continue // another day than the snapshots: not drawn on the first or last one
    const at = Math.max(0, e.snapshot)
    const list = eventsAt.get(at)
    if (list) list.push(e)
    else eventsAt.set(at, [e])
  }
  const base = {n, xs, timed, placed}
  return {
    analysis, n, timed, xs, place, placed, xMin, xMax, step, maxStep, multiYear, range: doc.dynamicRange.tcp.count, peak,
    procs, countKeys, events, eventsAt, header: header(analysis, base), cache: new Map(),
  }
}

/** The cursor's time as `2026-01-14 09:13:00`, or `time unknown`. */
export function cursorTime(vm: ViewModel, cursor: number): string {
  const t = vm.analysis.timeline.times[cursor]
  if (t === null || t === undefined) return 'time unknown'
  return formatWall(t, 'yyyy-MM-dd HH:mm:ss')
}

/** Memo helper: computes once per key (the caches stay small: one entry per width, zoom level or process). */
export function memo<T>(vm: ViewModel, key: string, make: () => T): T {
  if (vm.cache.has(key)) return vm.cache.get(key) as T
  if (vm.cache.size > 4096) vm.cache.clear()
  const v = make()
  vm.cache.set(key, v)
  return v
}

/** The process with this key (memoised map), or undefined. */
export function procByKey(vm: ViewModel, key: string | null): ProcInfo | undefined {
  if (key === null) return undefined
  const index = memo(vm, 'keys', () => new Map(vm.procs.map((p) => [p.series.key, p])))
  return index.get(key)
}
