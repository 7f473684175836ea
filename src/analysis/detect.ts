import type {ProcessSeries, Timeline} from '../model/types.js'
import {hingeStart} from './hinge.js'
import {benjaminiHochberg, binByTime, trendTest, type TrendResult} from './stats.js'

/** A series that grows: the raw material of a finding, before severity and evidence. */
export type Growth = {
  kind: 'monotonic-growth' | 'sawtooth-growth' | 'remote-endpoint-growth'
  /** Index into timeline.processes (-1 for remote endpoints). */
  series: number[]
  state: string
  trend: TrendResult
  /** Timeline positions of the growth window. */
  first: number
  last: number
  start: number
  now: number
  peak: number
  remote?: string
  attribution: 'owner' | 'lineage' | 'remote-affinity' | null
}

export type DetectOptions = {
  /** False discovery rate across all tested series. */
  q?: number
  /** Series whose peak is below this are not tested. */
  minPeak?: number
}

/** The series tested per process: states that hold a port, and distinct ports held. */
const TESTED: readonly string[] = ['BOUND', 'CLOSE_WAIT', 'ESTABLISHED', 'TIME_WAIT', 'SYN_SENT', 'FIN_WAIT_2', 'UDP', 'PORTS']

export function seriesOf(p: ProcessSeries, state: string): Int32Array | undefined {
  if (state === 'PORTS') return p.ports
  if (state === 'UDP') return p.udp
  return p.byState[state as keyof ProcessSeries['byState']]
}

/** Time axis for the tests, per timeline position: wall times, or the snapshot number in hours when untimed. */
export function testTimes(tl: Timeline): {t: Float64Array; timed: boolean} {
  const timed = tl.times.length > 0 && tl.times.every((x) => x !== null)
  return {t: Float64Array.from(tl.times, (x, i) => (timed ? x! : i * 3_600_000)), timed}
}

/** Timeline positions used for trends: complete snapshots only (a truncated one would fake a drop). */
export const completePositions = (tl: Timeline) => tl.times.map((_, i) => i).filter((i) => !tl.truncated[i])

type Candidate = Growth & {p: number}

/**
 * Tests every process × state series and the busiest remote endpoints for a rising floor, controls
 * the false discovery rate across all of them (Benjamini–Hochberg), and folds restarts of the same
 * image (growth again under a new PID) into one sawtooth finding.
 */
export function detectGrowth(tl: Timeline, remotes: Map<string, Int32Array>, o: DetectOptions = {}): Growth[] {
  const keep = completePositions(tl)
  const {t} = testTimes(tl)
  const minPeak = o.minPeak ?? 10
  const candidates: Candidate[] = []
  const test = (values: Int32Array, from: number, to: number) => {
    const idx = keep.filter((i) => i >= from && i <= to)
    const tt = Float64Array.from(idx, (i) => t[i]!)
    const vv = Float64Array.from(idx.map((i) => values[i]!))
    return {trend: trendTest(tt, vv), idx}
  }
  tl.processes.forEach((p, si) => {
    for (const state of TESTED) {
      const v = seriesOf(p, state)
      if (!v || peakOf(v) < minPeak) continue
      const {trend, idx} = test(v, p.first, p.last)
      if (idx.length < 2) continue
      const attribution = p.pid <= 0 ? null : state === 'TIME_WAIT' ? twAttribution(p) : 'owner'
      candidates.push({kind: 'monotonic-growth', series: [si], state, trend, p: trend.pValue, attribution, ...window(v, idx, t)})
    }
  })
  // PID 0 TIME_WAIT rows nobody could be named for: still evidence of a leak, without an owner.
  for (const [remote, v] of remotes) {
    if (peakOf(v) < minPeak * 3) continue
    const {trend, idx} = test(v, 0, tl.times.length - 1)
    candidates.push({kind: 'remote-endpoint-growth', series: [], state: 'CONNECTIONS', remote, trend, p: trend.pValue, attribution: null, ...window(v, idx, t)})
  }
  const bh = benjaminiHochberg(candidates.map((c) => c.p), o.q ?? 0.05)
  let found = candidates.filter((c, i) => c.trend.increasing && bh.rejected[i])
  found = foldSawtooth(tl, found, candidates, test)
  // Distinct ports grow whenever a port-holding state grows: report PORTS only when no state explains it.
  found = found.filter((g) => g.state !== 'PORTS' || !found.some((h) => h !== g && h.state !== 'PORTS' && h.series[0] === g.series[0]))
  return found
}

/** How most of a process's TIME_WAIT rows got their owner: its own PID, tuple lineage, or remote affinity. */
function twAttribution(p: ProcessSeries): Growth['attribution'] {
  const sum = (a: ArrayLike<number> | undefined) => {
    let total = 0
    for (let i = 0; i < (a?.length ?? 0); i++) total += a![i]!
    return total
  }
  const attributed = sum(p.timeWaitAttributed)
  const affinity = sum(p.timeWaitAffinity)
  const all = sum(p.byState.TIME_WAIT)
  if (attributed <= all / 2) return 'owner'
  return affinity > attributed / 2 ? 'remote-affinity' : 'lineage'
}

const peakOf = (v: ArrayLike<number>) => {
  let m = 0
  for (let i = 0; i < v.length; i++) if (v[i]! > m) m = v[i]!
  return m
}

/** The growth window: from the knot of a flat-then-linear fit to the last sample. */
function window(v: Int32Array, idx: number[], t: Float64Array) {
  const bins = binByTime(Float64Array.from(idx, (i) => t[i]!), Float64Array.from(idx, (i) => v[i]!), 200, 'mean')
  const knot = bins.t.length >= 4 ? bins.t[hingeStart(bins.t, bins.v)]! : -Infinity
  const first = idx.find((i) => t[i]! >= knot) ?? idx[0] ?? 0
  const last = idx.at(-1) ?? 0
  let peak = 0
  for (const i of idx) peak = Math.max(peak, v[i]!)
  return {first, last, start: v[idx[0] ?? 0] ?? 0, now: v[last] ?? 0, peak}
}

/**
 * The same image growing again under a new PID after each restart is one sawtooth finding: every
 * PID's segment is tested alone; two or more rising segments of the same state make it.
 */
function foldSawtooth(
  tl: Timeline,
  found: Candidate[],
  all: Candidate[],
  test: (values: Int32Array, from: number, to: number) => {trend: TrendResult; idx: number[]},
): Candidate[] {
  const byName = new Map<string, number[]>()
  tl.processes.forEach((p, i) => {
    if (p.name && p.pid > 4) byName.set(p.name, [...(byName.get(p.name) ?? []), i])
  })
  const out = [...found]
  for (const [, members] of byName) {
    if (members.length < 2) continue
    for (const state of TESTED) {
      const segs = members
        .map((si) => {
          const v = seriesOf(tl.processes[si]!, state)
          if (!v || peakOf(v) < 5) return null
          const p = tl.processes[si]!
          const {trend, idx} = test(v, p.first, p.last)
          return trend.slopePerHour > 0 && (trend.increasing || trend.raw.pIncreasing < 0.05) && idx.length >= 3 ? {si, trend, v, idx} : null
        })
        .filter((s) => s !== null)
      if (segs.length < 2) continue
      const series = segs.map((s) => s.si).sort((a, b) => tl.processes[a]!.first - tl.processes[b]!.first)
      const lastSeg = segs.find((s) => s.si === series.at(-1))!
      const slopes = segs.map((s) => s.trend.slopePerHour).sort((a, b) => a - b)
      const median = slopes[Math.floor(slopes.length / 2)]!
      for (let i = out.length - 1; i >= 0; i--) if (out[i]!.state === state && out[i]!.series.some((s) => series.includes(s))) out.splice(i, 1)
      const firstP = tl.processes[series[0]!]!
      out.push({
        kind: 'sawtooth-growth',
        series,
        state,
        trend: {...lastSeg.trend, slopePerHour: median},
        p: Math.min(...segs.map((s) => s.trend.pValue)),
        attribution: state === 'TIME_WAIT' ? 'lineage' : 'owner',
        first: firstP.first,
        last: lastSeg.idx.at(-1)!,
        start: seriesOf(firstP, state)![firstP.first] ?? 0,
        now: lastSeg.v[lastSeg.idx.at(-1)!] ?? 0,
        peak: Math.max(...segs.map((s) => peakOf(s.v))),
      })
    }
  }
  void all
  return out
}
