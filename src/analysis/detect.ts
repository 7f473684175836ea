import {lifePeak, peakOf} from '../model/extremes.js'
import type {ProcessSeries, TestEvidence, Timeline} from '../model/types.js'
import {hingeEnd, hingeStart} from './hinge.js'
import {fisherCombine, hostLoad, scanSeries, type ScanResult, TEST_NAME} from './scan.js'
import {benjaminiHochberg, binByTime, type TrendResult} from './stats.js'

export type {TestEvidence}

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
  test: TestEvidence
  /** Growth that stopped: timeline positions of its start and its last growing snapshot. */
  stopped?: {first: number; last: number; slopePerHour: number}
}

export type DetectOptions = {
  /** False discovery rate across all reported hypotheses. Default 0.01. */
  q?: number
  /** Series whose peak is below this are not tested. */
  minPeak?: number
  /**
   * Owner of each tested remote endpoint per timeline position (process index, -1 none): joins restarts without
   * names when the endpoint passes from an ending PID to a starting one.
   */
  remoteOwners?: Map<string, Int32Array>
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
  const t = new Float64Array(tl.times.length)
  for (let i = 0; i < t.length; i++) t[i] = timed ? tl.times[i]! : i * 3_600_000
  return {t, timed}
}

/**
 * `from` at each position of `at`, as doubles. A loop rather than `Float64Array.from(at, fn)`, which runs the
 * array's iterator: an object per element until the code is optimized, and the analysis runs once, cold.
 */
function gather(from: ArrayLike<number>, at: readonly number[]): Float64Array {
  const out = new Float64Array(at.length)
  for (let j = 0; j < at.length; j++) out[j] = from[at[j]!]!
  return out
}

/** The index of the first of ascending `xs` at least `x` (xs.length when none is). */
function firstAtLeast(xs: readonly number[], x: number): number {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (xs[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Timeline positions used for trends: complete snapshots only (a truncated one would fake a drop). */
export const completePositions = (tl: Timeline) => tl.times.map((_, i) => i).filter((i) => !tl.truncated[i])

/** A hypothesis: one series (or one fold of restarts) with its scan. */
type Candidate = {
  growth: Omit<Growth, 'test'>
  scan: ScanResult | null
  p: number
  windowP: number
  windows: number
  window: {first: number; last: number}
  loadAdjusted: boolean
  /** Members' candidates a fold replaces. */
  members?: Candidate[]
  joins?: {from: number; to: number; reason: string}[]
}

/**
 * Tests every process × state series and the busiest remote endpoints for a rising floor on several windows
 * (`scanSeries`), folds restarts of the same image (by name, or joined without names) into one hypothesis each,
 * controls the false discovery rate across exactly those hypotheses (Benjamini–Hochberg, each series once), and
 * reports the rejected ones, a fold in place of its segments. Growth that went flat is marked stopped.
 */
export function detectGrowth(tl: Timeline, remotes: Map<string, Int32Array>, o: DetectOptions = {}): Growth[] {
  const keep = completePositions(tl)
  const {t} = testTimes(tl)
  const minPeak = o.minPeak ?? 10
  const q = o.q ?? 0.01
  // The host's load, and for a process that is one of its references the load of the others (scan.ts).
  const host = hostLoad(
    tl.processes.map((p) => (p.pid > 4 ? p.ports : new Int32Array(0))),
    keep,
  )
  const test = (values: Int32Array, from: number, to: number, load: Float64Array | null) => {
    // `keep` ascends: the positions in [from, to] are one run of it, and `load` is parallel to `keep`.
    const lo = firstAtLeast(keep, from)
    const idx = keep.slice(lo, firstAtLeast(keep, to + 1))
    const scan = idx.length >= 2 ? scanSeries(gather(t, idx), gather(values, idx), load ? load.slice(lo, lo + idx.length) : null) : null
    return {scan, idx}
  }
  const candidates: Candidate[] = []
  const bySeries = new Map<string, Candidate>()
  tl.processes.forEach((p, si) => {
    const load = host?.without(si) ?? null
    const states = TESTED.filter((state) => {
      const v = seriesOf(p, state)
      return v !== undefined && lifePeak(v, p.first, p.last) >= minPeak
    })
    // Distinct ports duplicate the state that holds them: PORTS is a hypothesis only when no state is tested.
    for (const state of states.some((s) => s !== 'PORTS') ? states.filter((s) => s !== 'PORTS') : states) {
      const v = seriesOf(p, state)!
      const {scan, idx} = test(v, p.first, p.last, load)
      if (!scan || idx.length < 2) continue
      const attribution = p.pid <= 0 ? null : state === 'TIME_WAIT' ? twAttribution(p) : 'owner'
      const c = candidateOf(
        {
          kind: 'monotonic-growth',
          series: [si],
          state,
          // Read when needed (not spread: that would read it): the scan may leave its best window untested.
          get trend() {
            return scan.best.trend
          },
          attribution,
          ...window(v, idx, t, scan),
        },
        scan,
        idx,
      )
      candidates.push(c)
      bySeries.set(`${si}:${state}`, c)
    }
  })
  // PID 0 TIME_WAIT rows nobody could be named for: still evidence of a leak, without an owner.
  for (const [remote, v] of remotes) {
    if (peakOf(v) < minPeak * 3) continue
    // Like a process, an endpoint is tested from when it is first seen: its absence before is no growth.
    const {scan, idx} = test(v, Math.max(0, v.findIndex((x) => x > 0)), tl.times.length - 1, host?.load ?? null)
    if (!scan) continue
    const growth = {
      kind: 'remote-endpoint-growth' as const,
      series: [],
      state: 'CONNECTIONS',
      remote,
      get trend() {
        return scan.best.trend
      },
      attribution: null,
      ...window(v, idx, t, scan),
    }
    candidates.push(candidateOf(growth, scan, idx))
  }
  const folds = foldRestarts(tl, bySeries, restartGroups(tl, o.remoteOwners))
  const all = [...candidates, ...folds]
  const bh = benjaminiHochberg(
    all.map((c) => c.p),
    q,
  )
  const rejected = new Set(all.filter((c, i) => bh.rejected[i] && (c.members !== undefined || c.scan!.increasing)))
  const adjusted = new Map(all.map((c, i) => [c, bh.adjusted[i]!]))
  const replaced = new Set(folds.filter((f) => rejected.has(f)).flatMap((f) => f.members!))
  let found = all.filter((c) => rejected.has(c) && !replaced.has(c))
  // Distinct ports grow whenever a port-holding state grows: report PORTS only when no state explains it.
  found = found.filter((c) => c.growth.state !== 'PORTS' || !found.some((h) => h !== c && h.growth.state !== 'PORTS' && h.growth.series[0] === c.growth.series[0]))
  return found.map((c) => ({
    ...c.growth,
    test: {
      name: c.members ? `fisher(${TEST_NAME})` : TEST_NAME,
      window: c.window,
      windows: c.windows,
      windowP: sig(c.windowP),
      p: sig(c.p),
      adjustedP: sig(adjusted.get(c)!),
      hypotheses: all.length,
      q,
      loadAdjusted: c.loadAdjusted,
      ...(c.members || !c.scan ? {} : {fired: c.scan.best.trend.fired}),
      ...(c.joins ? {joins: c.joins} : {}),
    },
  }))
}

const sig = (x: number) => Number(x.toPrecision(3))

function candidateOf(growth: Omit<Growth, 'test'>, scan: ScanResult, idx: number[]): Candidate {
  // A rise over a few snapshots that then stays flat is a step (a process starting up, a PID taken over), not
  // growth: it is no hypothesis that can be rejected.
  const step = growth.stopped !== undefined && idx.filter((i) => i >= growth.first && i <= growth.stopped!.last).length < Math.max(6, 0.15 * idx.length)
  return {
    growth,
    scan,
    p: step ? 1 : scan.p,
    windowP: scan.best.p,
    windows: scan.windows,
    window: {first: idx[scan.best.from] ?? 0, last: idx[scan.best.to] ?? 0},
    loadAdjusted: scan.best.loadAdjusted,
  }
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

/**
 * The growth window: from the knot of a flat-then-linear fit, inside the window the test fired on, to the last
 * sample; and, when the growth went flat (a linear-then-flat fit much better than a line, flat for at least a
 * sixth of the samples after the start), where it stopped.
 */
function window(v: Int32Array, idx: number[], t: Float64Array, scan: ScanResult) {
  const from = scan.best.from
  const sub = idx.slice(from)
  const bins = binByTime(gather(t, sub), gather(v, sub), 200, 'mean')
  const knot = bins.t.length >= 4 ? bins.t[hingeStart(bins.t, bins.v)]! : -Infinity
  const first = sub.find((i) => t[i]! >= knot) ?? sub[0] ?? 0
  const last = idx.at(-1) ?? 0
  let peak = 0
  for (let j = 0; j < idx.length; j++) peak = Math.max(peak, v[idx[j]!]!)
  const growing = sub.filter((i) => i >= first)
  let stopped: {first: number; last: number; slopePerHour: number} | undefined
  if (growing.length >= 8) {
    const gt = gather(t, growing)
    const gv = gather(v, growing)
    const end = hingeEnd(gt, gv)
    const flat = growing.length - 1 - end.index
    if (end.slope > 0 && end.f >= STOP_F && flat >= Math.max(4, growing.length / 6)) stopped = {first, last: growing[end.index]!, slopePerHour: end.slope * 3_600_000}
  }
  return {first, last, start: v[idx[0] ?? 0] ?? 0, now: v[last] ?? 0, peak, ...(stopped ? {stopped} : {})}
}

/**
 * F of "grew, then flat" over one line above which growth is called stopped. The knot is searched, so the null
 * distribution is that of a maximum; 20 keeps straight noisy leaks (slope/sd ≥ 0.04) from being called stopped in
 * the Monte Carlo (docs/detection.md).
 */
const STOP_F = 20

type Join = {from: number; to: number; reason: string}

/**
 * Groups of processes that are one service restarting: the same image name (PID > 4), or, without names, a
 * process that starts as another ends (within two snapshots) and listens on one of its ports, takes over one of
 * its remote endpoints, or holds the same states starting low again. Each group lists its members in time order and the reason for each join.
 */
function restartGroups(tl: Timeline, remoteOwners: Map<string, Int32Array> | undefined): {members: number[]; joins: Join[]}[] {
  const groups: {members: number[]; joins: Join[]}[] = []
  const byName = new Map<string, number[]>()
  tl.processes.forEach((p, i) => {
    if (!p.name || p.pid <= 4) return
    const key = p.name.toLowerCase()
    const list = byName.get(key)
    if (list) list.push(i)
    else byName.set(key, [i])
  })
  for (const [name, members] of byName) {
    if (members.length < 2) continue
    const sorted = [...members].sort((a, b) => tl.processes[a]!.first - tl.processes[b]!.first)
    groups.push({members: sorted, joins: sorted.slice(1).map((m, k) => ({from: tl.processes[sorted[k]!]!.pid, to: tl.processes[m]!.pid, reason: `same image ${name}`}))})
  }
  const nameless = tl.processes.map((p, i) => ({p, i})).filter(({p}) => p.name === null && p.pid > 4)
  // Where each starts (positions in `nameless`, ascending): a successor starts within two snapshots of the end,
  // so only those are tried (all pairs took seconds with thousands of short-lived processes kept).
  const byStart = new Map<number, number[]>()
  nameless.forEach(({p}, k) => {
    const start = p.seenFirst ?? p.first
    const list = byStart.get(start)
    if (list) list.push(k)
    else byStart.set(start, [k])
  })
  const held = new Map<ProcessSeries, string>()
  const next = new Map<number, {to: number; reason: string}>()
  for (const {p: a, i: ai} of nameless) {
    const aEnd = a.seenLast ?? a.last
    if (aEnd >= tl.times.length - 2) continue
    let pick: {to: number; reason: string} | null = null
    const near = [...(byStart.get(aEnd) ?? []), ...(byStart.get(aEnd + 1) ?? []), ...(byStart.get(aEnd + 2) ?? [])].sort((x, y) => x - y)
    for (const k of near) {
      const {p: b, i: bi} = nameless[k]!
      const bStart = b.seenFirst ?? b.first
      if (bi === ai) continue
      const reason = listenerHandover(a, b) ?? remoteHandover(remoteOwners, ai, bi, aEnd, bStart) ?? statePattern(a, b, aEnd, bStart, held)
      if (reason) {
        pick = {to: bi, reason}
        break
      }
    }
    if (pick) next.set(ai, pick)
  }
  const targets = new Set([...next.values()].map((x) => x.to))
  for (const {i} of nameless) {
    if (targets.has(i) || !next.has(i)) continue
    const members = [i]
    const joins: Join[] = []
    for (let cur = i; next.has(cur) && members.length < tl.processes.length; ) {
      const {to, reason} = next.get(cur)!
      joins.push({from: tl.processes[cur]!.pid, to: tl.processes[to]!.pid, reason})
      members.push(to)
      cur = to
    }
    groups.push({members, joins})
  }
  return groups
}

/** A service port the ending process listened on and the starting one listens on too. */
function listenerHandover(a: ProcessSeries, b: ProcessSeries): string | null {
  const port = a.listeners?.find((x) => b.listeners?.includes(x))
  return port === undefined ? null : `same listener port ${port} under a new PID`
}

/** The endpoint an ending process owned at its end and a starting one owns at its start, if any. */
function remoteHandover(owners: Map<string, Int32Array> | undefined, a: number, b: number, aEnd: number, bStart: number): string | null {
  for (const [label, own] of owners ?? []) {
    if (own[aEnd] === a && own[Math.min(own.length - 1, bStart + 1)] === b) return `remote endpoint ${label} passed from one PID to the next`
  }
  return null
}

/** Both hold the same port-holding states (peak ≥ 5) and the new one starts below half where the old one ended. */
function statePattern(a: ProcessSeries, b: ProcessSeries, aEnd: number, bStart: number, memo: Map<ProcessSeries, string>): string | null {
  const held = (p: ProcessSeries): string => {
    let states = memo.get(p)
    if (states === undefined) memo.set(p, (states = TESTED.filter((s) => s !== 'PORTS' && lifePeak(seriesOf(p, s) ?? [], p.first, p.last) >= 5).join()))
    return states
  }
  const joined = held(a)
  if (joined === '' || joined !== held(b)) return null
  const sa = joined.split(',')
  const dropped = sa.every((s) => (seriesOf(b, s)![bStart] ?? 0) <= 0.5 * (seriesOf(a, s)![aEnd] ?? 0))
  return dropped ? `same states (${sa.join(', ')}) started again low under a new PID as the last ended` : null
}

/**
 * One hypothesis per restart group and state: its members' series tested alone and combined by Fisher. A fold is
 * reported (in place of its members) when it is rejected and at least two segments rise.
 */
function foldRestarts(tl: Timeline, bySeries: Map<string, Candidate>, groups: {members: number[]; joins: Join[]}[]): Candidate[] {
  const out: Candidate[] = []
  for (const {members, joins} of groups) {
    for (const state of TESTED) {
      const segs = members.map((si) => bySeries.get(`${si}:${state}`)).filter((c) => c !== undefined)
      if (segs.length < 2) continue
      const rising = segs.filter((c) => c.scan!.best.trend.slopePerHour > 0 && (c.scan!.increasing || c.scan!.best.trend.raw.pIncreasing < 0.05))
      if (rising.length < 2) continue
      const series = segs.map((c) => c.growth.series[0]!)
      const last = segs.at(-1)!
      const slopes = rising.map((c) => c.growth.trend.slopePerHour).sort((a, b) => a - b)
      const firstP = tl.processes[series[0]!]!
      out.push({
        growth: {
          kind: 'sawtooth-growth',
          series,
          state,
          trend: {...last.growth.trend, slopePerHour: slopes[Math.floor(slopes.length / 2)]!},
          attribution: state === 'TIME_WAIT' ? 'lineage' : 'owner',
          first: firstP.first,
          last: last.growth.last,
          start: seriesOf(firstP, state)![firstP.first] ?? 0,
          now: last.growth.now,
          peak: Math.max(...segs.map((c) => c.growth.peak)),
        },
        scan: null,
        p: fisherCombine(segs.map((c) => c.p)),
        windowP: Math.min(...segs.map((c) => c.windowP)),
        windows: segs.reduce((a, c) => a + c.windows, 0),
        window: {first: firstP.first, last: last.growth.last},
        loadAdjusted: segs.some((c) => c.loadAdjusted),
        members: segs,
        joins: joins.filter((j) => series.some((s) => tl.processes[s]!.pid === j.to)),
      })
    }
  }
  return out
}
