import type {Analysis, Finding, HandleSeries, ProcessSeries, ProcessSummary, Timeline} from '../model/types.js'
import type {TcpState, WallTime} from '../formats/types.js'
import {TCP_STATES} from '../formats/types.js'
import {formatWall, parseIso} from './format.js'
import {maxOf, minOf} from '../model/extremes.js'

/**
 * The report's view of an `Analysis`: series as x/y points (x = wall time, or the snapshot index when
 * the input has no times), culprits with their series and trend. Shared by the markdown and HTML renderers.
 */

/** One sample; `x` or `y` null means "no sample here" (drawn as a gap, never interpolated). */
export type Point = {readonly x: number | null; readonly y: number | null}

export type StateSeries = {readonly state: string; readonly points: readonly Point[]}

/** A Sen line `y = intercept + slope · x` over `[from, to]` (x in ms). */
export type Trend = {readonly slopePerMs: number; readonly intercept: number; readonly from: number; readonly to: number}

export type Culprit = {
  readonly finding: Finding
  /** Raw (unescaped) image name; `(unnamed)` when unknown. */
  readonly process: string
  readonly pids: readonly number[]
  /** The finding's series (sum over its PIDs), for sparklines. */
  readonly points: readonly Point[]
  /** Every state the process held, for its small multiple (the finding's state first). */
  readonly states: readonly StateSeries[]
  readonly trend: Trend | null
  /** Dashed projection from the end of the trend to the projected exhaustion, when there is one. */
  readonly projection: {readonly from: Point; readonly to: Point} | null
  /** The limit this series runs into (dynamic range size), when it is a port count. */
  readonly limit: number | null
  /** Largest x step drawn as a line in this culprit's series (handle listings are sparser than snapshots). */
  readonly maxStep: number | null
  /** False when the process and state already have a chart, for one-snapshot findings (dumps) and all-zero series. */
  readonly chart: boolean
}

/** Options shared by the markdown and HTML renderers. */
export type ReportOptions = {
  /** Printed as the generation time. Absent: no time at all, so the same analysis gives the same bytes. */
  readonly generatedAt?: string | null
  /** Evidence rows shown per finding; the rest are counted (default 5). */
  readonly evidenceRows?: number
  /** portleak version for the footer. */
  readonly version?: string
  /** Says in the report that names and addresses were replaced by pseudonyms. */
  readonly redacted?: boolean
}

export type ReportModel = {
  /** True when x values are wall times; false when they are snapshot indexes. */
  readonly timed: boolean
  /** x per snapshot (null: the snapshot has no time). */
  readonly xs: readonly (number | null)[]
  /** Largest x step still drawn as a line; larger steps are gaps. Null: no limit. */
  readonly maxStep: number | null
  readonly culprits: readonly Culprit[]
}

const PORT_STATES = new Set<string>([...TCP_STATES, 'PORTS', 'UDP', 'EPHEMERAL'])

/** Median of numbers (0 for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** The largest step between consecutive x still drawn as a line: 3 × the median step, at least 90 s. */
export function maxStepFor(xs: readonly (number | null)[], timed: boolean): number | null {
  const steps: number[] = []
  let prev: number | null = null
  for (const x of xs) {
    if (x !== null && prev !== null && x > prev) steps.push(x - prev)
    prev = x
  }
  if (steps.length === 0) return null
  return timed ? Math.max(3 * median(steps), 90_000) : null
}

/**
 * Splits points into runs drawn as one line each: a run ends at a missing x or y, at a backward step,
 * or at a step larger than `maxStep`.
 */
export function segments(points: readonly Point[], maxStep: number | null): {x: number; y: number}[][] {
  const out: {x: number; y: number}[][] = []
  let run: {x: number; y: number}[] = []
  for (const p of points) {
    if (p.x === null || p.y === null) {
      if (run.length) out.push(run)
      run = []
      continue
    }
    const last = run[run.length - 1]
    if (last && (p.x < last.x || (maxStep !== null && p.x - last.x > maxStep))) {
      out.push(run)
      run = []
    }
    run.push({x: p.x, y: p.y})
  }
  if (run.length) out.push(run)
  return out
}

/**
 * The processes that held the most local ports at their peak, most first (at most `n`), with their
 * handle peaks from the analysis document.
 */
export function topPortHolders(
  analysis: Analysis,
  n = 10,
): {p: ProcessSeries; peak: number; now: number | null; handles: ProcessSummary['handles']}[] {
  const handles = new Map(analysis.document.processes.map((s) => [`${s.pid}|${s.name ?? ''}`, s.handles]))
  const lastAt = analysis.timeline.times.length - 1
  // "now" is the last snapshot: a process not in it (exited) has no ports now, and says so
  return analysis.timeline.processes
    .map((p) => ({p, peak: maxOf(p.ports, 0), now: (p.seenLast ?? p.last) === lastAt ? (p.ports[lastAt] ?? 0) : null}))
    .filter((x) => x.peak > 0)
    .sort((a, b) => b.peak - a.peak || a.p.pid - b.p.pid)
    .slice(0, n)
    .map((x) => ({...x, handles: handles.get(`${x.p.pid}|${x.p.name ?? ''}`) ?? null}))
}

/** The PIDs a finding names (its `pids`, else its `pid`). */
export const findingPids = (f: Finding): number[] => (f.pids.length ? [...f.pids] : f.pid !== null ? [f.pid] : [])

function matching(f: Finding, processes: readonly ProcessSeries[]): ProcessSeries[] {
  const pids = new Set(findingPids(f))
  return processes.filter((p) => pids.has(p.pid) && (f.process === null || p.name === null || p.name === f.process))
}

function sumSeries(list: readonly ProcessSeries[], pick: (p: ProcessSeries) => Int32Array | undefined, n: number): Int32Array | null {
  let out: Int32Array | null = null
  for (const p of list) {
    const a = pick(p)
    if (!a) continue
    out ??= new Int32Array(n)
    for (let i = 0; i < n; i++) out[i] = out[i]! + (a[i] ?? 0)
  }
  return out
}

function pickState(state: string): (p: ProcessSeries) => Int32Array | undefined {
  if (state === 'PORTS') return (p) => p.ports
  if (state === 'UDP') return (p) => p.udp
  if (state === 'EPHEMERAL') return (p) => p.ephemeral
  return (p) => p.byState[state as TcpState]
}

function handlePoints(series: readonly HandleSeries[], pids: readonly number[], afd: boolean, xOf: (t: WallTime) => number | null): Point[] {
  const out: Point[] = []
  for (const s of series) {
    if (!pids.includes(s.pid)) continue
    for (const p of s.points) out.push({x: p.time === null ? null : xOf(p.time), y: afd ? p.afd : p.total})
  }
  return out.filter((p) => p.x !== null).sort((a, b) => a.x! - b.x!)
}

const toPoints = (a: Int32Array, xs: readonly (number | null)[]): Point[] => Array.from(a, (y, i) => ({x: xs[i] ?? null, y}))

function senIntercept(points: readonly Point[], slopePerMs: number, from: number, to: number): number | null {
  const r: number[] = []
  for (const p of points) if (p.x !== null && p.y !== null && p.x >= from && p.x <= to) r.push(p.y - slopePerMs * p.x)
  return r.length ? median(r) : null
}

function culprit(f: Finding, analysis: Analysis, xs: readonly (number | null)[], timed: boolean, seen: Set<string>): Culprit {
  const {timeline, document} = analysis
  const n = timeline.times.length
  const pids = findingPids(f)
  const procs = matching(f, timeline.processes)
  const handleState = f.state === 'HANDLES' || f.state === 'AFD'
  const points: Point[] = handleState
    ? handlePoints(timeline.handles, pids, f.state === 'AFD', (t) => t)
    : toPoints(sumSeries(procs, pickState(f.state), n) ?? new Int32Array(n), xs)
  const states: StateSeries[] = [{state: f.state, points}]
  if (handleState) {
    const other = handlePoints(timeline.handles, pids, f.state !== 'AFD', (t) => t)
    if (other.some((p) => p.y !== null)) states.push({state: f.state === 'AFD' ? 'HANDLES' : 'AFD', points: other})
  } else {
    for (const state of TCP_STATES) {
      if (state === f.state) continue
      const a = sumSeries(procs, (p) => p.byState[state], n)
      if (a && a.some((v) => v > 0)) states.push({state, points: toPoints(a, xs)})
    }
  }
  const first = xs[Math.max(0, Math.min(f.first, n - 1))] ?? null
  const last = xs[Math.max(0, Math.min(f.last, n - 1))] ?? null
  let trend: Trend | null = null
  if (timed && f.slopePerHour !== null && Number.isFinite(f.slopePerHour) && f.last > f.first) {
    const xsIn = points.map((p) => p.x).filter((x): x is number => x !== null)
    const from = handleState ? minOf(xsIn) : first
    const to = handleState ? maxOf(xsIn) : last
    const slopePerMs = f.slopePerHour / 3_600_000
    if (from !== null && to !== null && Number.isFinite(from) && Number.isFinite(to) && to > from) {
      const intercept = senIntercept(points, slopePerMs, from, to)
      if (intercept !== null) trend = {slopePerMs, intercept, from, to}
    }
  }
  const portLike = PORT_STATES.has(f.state)
  const limit = portLike ? (f.state === 'UDP' ? document.dynamicRange.udp.count : document.dynamicRange.tcp.count) : null
  let projection: Culprit['projection'] = null
  const exhaustion = timed ? parseIso(f.projectedExhaustion) : null
  if (exhaustion !== null) {
    const at = (x: number) => (trend ? trend.intercept + trend.slopePerMs * x : null)
    const fromX = trend?.to ?? last
    if (fromX !== null && exhaustion > fromX) {
      projection = {from: {x: fromX, y: at(fromX) ?? f.now}, to: {x: exhaustion, y: at(exhaustion) ?? limit ?? f.peak}}
    }
  }
  const key = `${[...pids].sort((a, b) => a - b).join(',')}|${f.process ?? ''}|${f.state}`
  // a one-snapshot finding (a dump) or an all-zero series has no trend to draw
  const chart = !seen.has(key) && f.last > f.first && points.some((p) => p.x !== null && p.y !== null && p.y > 0)
  seen.add(key)
  const maxStep = handleState ? maxStepFor(points.map((p) => p.x), timed) : maxStepFor(xs, timed)
  const process = f.process ?? procs.find((p) => p.name)?.name ?? '(unnamed)'
  return {finding: f, process, pids, points, states, trend, projection, limit, maxStep, chart}
}

const SEVERITY = {critical: 0, high: 1, medium: 2, low: 3} as const

/** Builds the view model. Culprits are the findings, most severe first (stable within a severity). */
export function buildReportModel(analysis: Analysis): ReportModel {
  const {times} = analysis.timeline
  const timed = times.some((t) => t !== null)
  const xs = timed ? times : times.map((_, i) => i)
  const maxStep = maxStepFor(xs, timed)
  const seen = new Set<string>()
  const ordered = analysis.document.findings
    .map((f, i) => ({f, i}))
    .sort((a, b) => SEVERITY[a.f.severity] - SEVERITY[b.f.severity] || a.i - b.i)
  const culprits = ordered.map(({f}) => culprit(f, analysis, xs, timed, seen))
  return {timed, xs, maxStep, culprits}
}

/** An x value as text: the wall time, or `snapshot 12` when the input has no times. */
export function describeX(model: ReportModel, x: number | null | undefined): string {
  if (x === null || x === undefined) return '–'
  return model.timed ? formatWall(x) : `snapshot ${x}`
}

/** Values of one timeline array as points on the model's x axis. */
export function timelinePoints(model: ReportModel, values: Int32Array | undefined): Point[] {
  if (!values) return []
  return toPoints(values, model.xs)
}

/** True when the timeline has no BOUND row at all (collected without `netstat -q`). */
export function hasNoBound(timeline: Timeline): boolean {
  const b = timeline.totalsByState.BOUND
  return !b || b.every((v) => v === 0)
}

/**
 * Downsamples values to at most `max` buckets by taking each bucket's maximum (peaks survive).
 * A bucket with no value is null.
 */
export function downsampleMax(values: readonly (number | null)[], max: number): {value: number | null; index: number}[] {
  const size = Math.max(1, Math.ceil(values.length / max))
  const out: {value: number | null; index: number}[] = []
  for (let start = 0; start < values.length; start += size) {
    let best: number | null = null
    for (let i = start; i < Math.min(values.length, start + size); i++) {
      const v = values[i]
      if (v !== null && v !== undefined && (best === null || v > best)) best = v
    }
    out.push({value: best, index: start})
  }
  return out
}

/** `▁▂▃▄▅▆▇█` sparkline of at most `width` characters, scaled from 0 to the maximum; gaps are spaces. */
export function sparkline(values: readonly (number | null)[], width = 40): string {
  const buckets = downsampleMax(values, width)
  const top = Math.max(0, ...buckets.map((b) => b.value ?? 0))
  const bars = '▁▂▃▄▅▆▇█'
  return buckets
    .map((b) => (b.value === null ? ' ' : bars[top === 0 ? 0 : Math.round((b.value / top) * 7)]))
    .join('')
}
