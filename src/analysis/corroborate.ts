import type {CaseBuilder, DumpHolder} from '../model/case-builder.js'
import type {Finding, HandleSeries, Severity} from '../model/types.js'
import {formatWallTime} from '../model/wall-time.js'
import {senSlope, trendTest} from './stats.js'
import {maxOf} from '../model/extremes.js'
import {int} from '../numbers.js'

/** Processes whose handle counts are large by design (the troubleshooting guide's exceptions). */
const HEAVY = new Set(['system', 'lsass.exe', 'store.exe', 'sqlservr.exe', 'idle', 'system idle process', 'memory compression', 'registry'])

const base = (f: Partial<Finding> & Pick<Finding, 'kind' | 'state' | 'severity' | 'summary' | 'evidence'>): Finding => ({
  pid: null,
  pids: [],
  process: null,
  slopePerHour: null,
  slopeLow: null,
  slopeHigh: null,
  first: 0,
  last: 0,
  growthStart: null,
  start: 0,
  now: 0,
  peak: 0,
  pValue: null,
  projectedExhaustion: null,
  attribution: null,
  ...f,
})

/** Handle and AFD series need this many timed samples (a handle.exe loop every minute or two for several minutes). */
export const HANDLE_MIN_SAMPLES = 5
/** One-sided significance of a handle or AFD growth. */
const HANDLE_ALPHA = 0.01
/**
 * Up to this many samples the trend's p-value is exact (every ordering of the values: 5,040 at 7);
 * from MK_MIN_N (8) on, `trendTest` as for port series.
 */
const EXACT_MAX = 7

export type HandleContext = {
  /** Size of the TCP dynamic range: AFD handles are sockets, each may hold a port. */
  rangeCount: number
  /** Exhaustion or connection-failure events inside the window: outbound connections fail. */
  failing: boolean
}

/**
 * Mann-Kendall S of the values in time order and its exact one-sided p-value P(S' ≥ S) over every
 * ordering of the same values (ties kept), for small samples where the normal approximation is not
 * honest. n ≤ EXACT_MAX: at most 5,040 orderings.
 */
export function exactMannKendall(values: readonly number[]): {s: number; pValue: number} {
  const score = (v: readonly number[]) => {
    let s = 0
    for (let i = 0; i < v.length; i++) for (let j = i + 1; j < v.length; j++) s += Math.sign(v[j]! - v[i]!)
    return s
  }
  const s = score(values)
  const a = [...values]
  let atLeast = 0
  let total = 0
  // Heap's algorithm over all n! orderings (duplicates counted as distinct: the permutation distribution)
  const c = new Array<number>(a.length).fill(0)
  const visit = () => {
    total++
    if (score(a) >= s) atLeast++
  }
  visit()
  for (let i = 1; i < a.length; ) {
    if (c[i]! < i) {
      const j = i % 2 === 0 ? 0 : c[i]!
      ;[a[j], a[i]] = [a[i]!, a[j]!]
      visit()
      c[i]!++
      i = 1
    } else {
      c[i] = 0
      i++
    }
  }
  return {s, pValue: atLeast / total}
}

/** Whether a series of handle counts grows: one-sided, honest at 5–8 samples, with Sen's slope per hour. */
export function handleTrend(times: readonly number[], values: readonly number[]): {grows: boolean; pValue: number; slopePerHour: number; low: number; high: number; changePoint: number | null} {
  const t = Float64Array.from(times)
  const v = Float64Array.from(values)
  if (values.length <= EXACT_MAX) {
    // a series that ends at or below its start, or ranks down, is not a growth: no need for its p-value
    if (values.at(-1)! <= values[0]!) return {grows: false, pValue: 1, slopePerHour: 0, low: 0, high: 0, changePoint: null}
    const mk = exactMannKendall(values)
    const sen = senSlope(t, v)
    const h = 3_600_000
    return {grows: mk.s > 0 && mk.pValue <= HANDLE_ALPHA && values.at(-1)! > values[0]!, pValue: mk.pValue, slopePerHour: sen.slope * h, low: sen.low * h, high: sen.high * h, changePoint: null}
  }
  const trend = trendTest(t, v)
  return {
    grows: trend.increasing && trend.pValue <= HANDLE_ALPHA && values.at(-1)! > values[0]!,
    pValue: trend.pValue,
    slopePerHour: trend.slopePerHour,
    low: trend.slopeLowPerHour,
    high: trend.slopeHighPerHour,
    changePoint: trend.changePoint?.time ?? null,
  }
}

/**
 * Handle evidence per the guide: more than 3,000 handles is suspect (outside System, lsass.exe,
 * store.exe, sqlservr.exe), more than 10,000 the mark when outbound connections fail; `\Device\Afd`
 * handles are sockets. One listing is a count at one time, never a growth. Handles or AFD handles
 * that grow over HANDLE_MIN_SAMPLES or more timed listings are a leak.
 */
export function handleFindings(series: readonly HandleSeries[], tz: (iso: string) => string, x: HandleContext = {rangeCount: 16_384, failing: false}): Finding[] {
  const out: Finding[] = []
  for (const s of series) {
    const heavy = s.name !== null && HEAVY.has(s.name.toLowerCase())
    const totals = s.points.filter((p) => p.total !== null)
    const peakPoint = totals.reduce<(typeof totals)[number] | null>((m, p) => (m === null || p.total! > m.total! ? p : m), null)
    const who = {pid: s.pid, pids: [s.pid], process: s.name}
    const name = s.name ?? `PID ${s.pid}`
    const ev = (p: (typeof s.points)[number]) => ({path: p.path, line: p.line, time: p.time === null ? null : tz(formatWallTime(p.time))})
    if (peakPoint && !heavy && peakPoint.total! > 3000) {
      const strong = peakPoint.total! > 10_000
      // one time point may come as several records (a dump's process entry, its handle total, its handles)
      const samePoint = s.points.filter((p) => p.time === peakPoint.time && (p.time !== null || p.path === peakPoint.path))
      const afds = samePoint.map((p) => p.afd).filter((v) => v !== null)
      const afd = afds.length ? maxOf(afds) : null
      const listings = new Set(totals.map((p) => p.time ?? p.path)).size
      const afdShare = afd === null ? 0 : afd / x.rangeCount
      const severity: Severity = strong || afdShare >= 0.2 ? 'high' : 'medium'
      const mark = strong ? `over 10,000${x.failing ? ', with outbound connections failing' : ''}` : 'over 3,000: suspicious'
      const sockets = afd !== null && afd > 0 ? `, ${int(afd)} of them \\Device\\Afd (sockets, ${(afdShare * 100).toFixed(1)}% of the ${int(x.rangeCount)} dynamic ports)` : ''
      const one = listings === 1 ? ' in one listing' : ` at its peak (${listings} listings)`
      out.push(
        base({
          ...who,
          kind: 'high-handle-count',
          state: 'HANDLES',
          severity,
          // one listing (however many records it came as) is one count: no start and end
          start: listings === 1 ? peakPoint.total! : totals[0]!.total!,
          now: listings === 1 ? peakPoint.total! : totals.at(-1)!.total!,
          peak: peakPoint.total!,
          summary: `${name} holds ${int(peakPoint.total!)} handles${one} (${mark})${sockets}`,
          evidence: [ev(peakPoint)],
          afd,
          samples: listings,
        }),
      )
    }
    for (const [state, pick] of [
      ['HANDLES', (p: (typeof s.points)[number]) => p.total],
      ['AFD', (p: (typeof s.points)[number]) => p.afd],
    ] as const) {
      const pts = s.points.filter((p) => p.time !== null && pick(p) !== null)
      if (pts.length < HANDLE_MIN_SAMPLES) continue
      const trend = handleTrend(
        pts.map((p) => p.time!),
        pts.map((p) => pick(p)!),
      )
      if (!trend.grows) continue
      const first = pts[0]!
      const last = pts.at(-1)!
      out.push(
        base({
          ...who,
          kind: state === 'AFD' ? 'afd-growth' : 'handle-growth',
          state,
          severity: state === 'AFD' || trend.slopePerHour >= 100 ? 'high' : 'medium',
          slopePerHour: Math.round(trend.slopePerHour * 10) / 10,
          slopeLow: Math.round(trend.low * 10) / 10,
          slopeHigh: Math.round(trend.high * 10) / 10,
          start: pick(first)!,
          now: pick(last)!,
          peak: maxOf(pts.map((p) => pick(p)!)),
          pValue: Number(trend.pValue.toPrecision(3)),
          growthStart: trend.changePoint !== null ? tz(formatWallTime(trend.changePoint)) : null,
          summary: `${name} ${state === 'AFD' ? 'socket (\\Device\\Afd) handles' : 'handles'} grow ${Math.round(trend.slopePerHour)}/h over ${pts.length} listings: ${pick(first)} → ${pick(last)}`,
          evidence: [ev(first), ev(last)],
          samples: pts.length,
        }),
      )
    }
  }
  return out
}

/**
 * A memory dump is one point in time: it names who holds the most sockets then, and the sockets'
 * creation times show how fast that process allocated them in the hours before the dump.
 */
export function dumpFindings(c: CaseBuilder, tz: (iso: string) => string, rangeCount: number): Finding[] {
  const holders = [...c.dumps.values()].filter((d) => d.pid > 0)
  const total = holders.reduce((a, d) => a + held(d), 0)
  const out: Finding[] = []
  const top = holders.sort((a, b) => held(b) - held(a) || a.pid - b.pid)[0]
  if (top && held(top) >= 20 && held(top) >= total * 0.3) {
    out.push(
      base({
        kind: 'dump-top-holder',
        pid: top.pid,
        pids: [top.pid],
        process: top.name,
        state: 'PORTS',
        severity: held(top) / rangeCount >= 0.2 ? 'high' : held(top) >= 500 ? 'medium' : 'low',
        now: held(top),
        peak: held(top),
        summary: `${top.name ?? `PID ${top.pid}`} held ${held(top)} of ${total} non-listening sockets in the memory dump`,
        evidence: [{path: c.inputs[top.input]!.path, line: top.line, time: null}],
      }),
    )
  }
  for (const d of holders) {
    const rate = recentRate(d.created)
    if (!rate || rate.perHour < 50 || held(d) < 100) continue
    out.push(
      base({
        kind: 'socket-allocation-rate',
        pid: d.pid,
        pids: [d.pid],
        process: d.name,
        state: 'CREATED',
        severity: rate.perHour * 24 >= rangeCount ? 'high' : 'medium',
        slopePerHour: Math.round(rate.perHour * 10) / 10,
        now: held(d),
        peak: held(d),
        growthStart: tz(formatWallTime(rate.from)),
        summary: `${d.name ?? `PID ${d.pid}`} created sockets at ${Math.round(rate.perHour)}/h in the ${rate.hours} h before the dump`,
        evidence: [{path: c.inputs[d.input]!.path, line: d.line, time: tz(formatWallTime(rate.to))}],
      }),
    )
  }
  return out
}

const held = (d: DumpHolder) => d.rows - (d.byState.LISTENING ?? 0)

/** Sockets created per hour over the last (up to) 6 hours of creation times. */
function recentRate(created: readonly number[]): {perHour: number; hours: number; from: number; to: number} | null {
  if (created.length < 20) return null
  const sorted = [...created].sort((a, b) => a - b)
  const to = sorted.at(-1)!
  const from = Math.max(sorted[0]!, to - 6 * 3_600_000)
  const hours = Math.max((to - from) / 3_600_000, 1 / 60)
  const n = sorted.filter((t) => t >= from).length
  return {perHour: n / hours, hours: Math.round(hours * 10) / 10, from, to}
}
