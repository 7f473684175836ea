import type {CaseBuilder, DumpHolder} from '../model/case-builder.js'
import type {Finding, HandleSeries, Severity} from '../model/types.js'
import {formatWallTime} from '../parsers/timestamps.js'
import {trendTest} from './stats.js'
import {maxOf} from '../model/extremes.js'

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

/**
 * Handle evidence per the guide: more than 3,000 handles is suspect, more than 10,000 strong (outside
 * the usual heavy processes); handles or AFD (socket) handles that keep growing are a leak.
 */
export function handleFindings(series: readonly HandleSeries[], tz: (iso: string) => string): Finding[] {
  const out: Finding[] = []
  for (const s of series) {
    const heavy = s.name !== null && HEAVY.has(s.name.toLowerCase())
    const totals = s.points.filter((p) => p.total !== null)
    const peakPoint = totals.reduce<(typeof totals)[number] | null>((m, p) => (m === null || p.total! > m.total! ? p : m), null)
    const who = {pid: s.pid, pids: [s.pid], process: s.name}
    const ev = (p: (typeof s.points)[number]) => ({path: p.path, line: p.line, time: p.time === null ? null : tz(formatWallTime(p.time))})
    if (peakPoint && !heavy && peakPoint.total! > 3000) {
      const severity: Severity = peakPoint.total! > 10_000 ? 'high' : 'medium'
      out.push(
        base({
          ...who,
          kind: 'high-handle-count',
          state: 'HANDLES',
          severity,
          start: totals[0]!.total!,
          now: totals.at(-1)!.total!,
          peak: peakPoint.total!,
          summary: `${s.name ?? `PID ${s.pid}`} holds ${peakPoint.total} handles (over ${severity === 'high' ? '10,000' : '3,000'})`,
          evidence: [ev(peakPoint)],
        }),
      )
    }
    for (const [state, pick] of [
      ['HANDLES', (p: (typeof s.points)[number]) => p.total],
      ['AFD', (p: (typeof s.points)[number]) => p.afd],
    ] as const) {
      const pts = s.points.filter((p) => p.time !== null && pick(p) !== null)
      if (pts.length < 8) continue
      const trend = trendTest(
        Float64Array.from(pts, (p) => p.time!),
        Float64Array.from(pts, (p) => pick(p)!),
      )
      if (!trend.increasing || trend.pValue > 0.01) continue
      const first = pts[0]!
      const last = pts.at(-1)!
      out.push(
        base({
          ...who,
          kind: state === 'AFD' ? 'afd-growth' : 'handle-growth',
          state,
          severity: state === 'AFD' || trend.slopePerHour >= 100 ? 'high' : 'medium',
          slopePerHour: Math.round(trend.slopePerHour * 10) / 10,
          slopeLow: Math.round(trend.slopeLowPerHour * 10) / 10,
          slopeHigh: Math.round(trend.slopeHighPerHour * 10) / 10,
          start: pick(first)!,
          now: pick(last)!,
          peak: maxOf(pts.map((p) => pick(p)!)),
          pValue: Number(trend.pValue.toPrecision(3)),
          growthStart: trend.changePoint ? tz(formatWallTime(trend.changePoint.time)) : null,
          summary: `${s.name ?? `PID ${s.pid}`} ${state === 'AFD' ? 'socket (\\Device\\Afd) handles' : 'handles'} grow ${Math.round(trend.slopePerHour)}/h: ${pick(first)} → ${pick(last)}`,
          evidence: [ev(first), ev(last)],
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
