import type {CaseBuilder} from '../model/case-builder.js'
import {hostKey} from '../model/host-key.js'
import {DEFAULT_RANGE, type PortRange} from '../model/port-ranges.js'
import {buildTimeline, seriesBySlot} from '../model/timeline.js'
import type {Analysis, AnalysisDocument, DynamicRange, Finding, InputSummary, ProcessSummary, Timeline} from '../model/types.js'
import {TCP_STATES} from '../model/records.js'
import {dumpFindings, handleFindings} from './corroborate.js'
import {detectGrowth, type Growth, testTimes} from './detect.js'
import {type FindingContext, growthFinding, isoOrNull, SEVERITY_RANK} from './findings.js'
import {corroborate} from './merge-evidence.js'
import {eventWindow, nextSteps, PROOF, samplingOf, verdictOf} from './verdict.js'
import {holderFindings} from './holders.js'
import {attachRemotes, findingRemotes} from './remotes.js'
import {lifePeak, maxOf, minOf} from '../model/extremes.js'

export type AnalyzeOptions = {
  /** `--dynamic-range`, when given. */
  flagRange: PortRange | null
  /** Analyze only inputs of this host (inputs that name no host are kept). */
  host?: string | undefined
  /** Formats an ISO wall time for output (adds the `--tz` offset). */
  tz: (iso: string) => string
}

const REMOTES_TESTED = 30

/** From the aggregated case to the answer: timeline, findings, verdict, next steps. Pure. */
export function analyzeCase(c: CaseBuilder, inputs: InputSummary[], o: AnalyzeOptions): Analysis {
  const keep = (i: number) => !o.host || c.inputs[i]!.host === null || hostKey(c.inputs[i]!.host!) === hostKey(o.host)
  const {tcp, udp} = chooseRanges(c, o.flagRange, keep)
  // Excluded blocks inside the range are ports no dynamic allocation can take: use is measured against the rest.
  const usable: DynamicRange = {...tcp, count: tcp.usable ?? tcp.count}
  const b = buildTimeline(c, tcp, keep)
  const tl = b.timeline
  const {timed} = testTimes(tl)
  const end = [...tl.times].reverse().find((t) => t !== null) ?? null
  const lastComplete = tl.times.map((_, i) => i).filter((i) => !tl.truncated[i]).at(-1) ?? tl.times.length - 1
  const window = eventWindow(
    c.events.filter((e) => keep(e.input)),
    tl,
  )
  const exhaustedEvents = window.inside.some((e) => PROOF.has(e.symptom))
  const ctx: FindingContext = {
    c,
    b,
    rangeCount: usable.count,
    inUseNow: tl.ephemeralInUse[lastComplete] ?? 0,
    endTime: end,
    exhausted: exhaustedEvents || (tl.ephemeralInUse[lastComplete] ?? 0) >= usable.count * 0.98,
    timed,
    tz: o.tz,
  }
  const remotes = remoteSeries(c, b.order, tl)
  attachRemotes(c, b)
  const procOfSlot = seriesBySlot(b)
  const remoteOwners = new Map([...remotes].map(([k, r]) => [k, Int32Array.from(r.ownerAt, (s) => (s < 0 ? -1 : (procOfSlot[s] ?? -1)))]))
  // a growth whose last value is not above its start did not grow (a noisy series the test still ranks up)
  const detected = detectGrowth(tl, new Map([...remotes].map(([k, r]) => [k, r.v])), {remoteOwners}).filter((g) => g.now > g.start)
  const growth = foldRemotes(detected, remotes, b.slots)
  const growthFindings = growth.map((g) => growthFinding(g, ctx))
  const holders = holderFindings(ctx, growthFindings)
  for (const h of holders) {
    const remote = h.remote ?? busiestRemote(remotes, b.slots, tl.processes, h.pid)
    if (remote) h.remote = remote
  }
  const findings: Finding[] = [
    ...growthFindings,
    ...holders,
    ...handleFindings(tl.handles, o.tz, {rangeCount: usable.count, failing: window.inside.length > 0}),
    ...dumpFindings(c, o.tz, usable.count),
  ].sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      (b.slopePerHour ?? 0) - (a.slopePerHour ?? 0) ||
      b.now - a.now ||
      (a.pid ?? -1) - (b.pid ?? -1) ||
      (a.state < b.state ? -1 : a.state > b.state ? 1 : 0),
  )
  // Handle listings from another time than the loop are not joined to its processes by PID (PIDs are reused).
  const joinable = tl.handles.filter((h) => !h.outsideSeconds)
  corroborate(findings, joinable, c, o.tz, window.inside)
  for (const f of findings) {
    const r = findingRemotes(f, b)
    if (r) f.remotes = r
  }
  const verdict = verdictOf(tl, usable, findings, c, o.tz, window)
  const tw = {total: 0, owner: 0, lineage: 0, remoteAffinity: 0, unattributed: 0}
  for (const s of b.order) {
    const a = c.summaries.timeWait(s.summary)
    tw.owner += a.owner
    tw.lineage += a.lineage
    tw.remoteAffinity += a['remote-affinity']
    tw.unattributed += a.unattributed
  }
  tw.total = tw.owner + tw.lineage + tw.remoteAffinity + tw.unattributed
  // By path through a map: a find per input made 100,000 zip entries cost 10^10 comparisons.
  const byPath = new Map(c.inputs.map((x) => [x.path, x]))
  const kept = inputs.filter((s) => {
    const ci = byPath.get(s.path)
    return !ci || keep(ci.index)
  })
  const hosts = [...new Set(c.inputs.filter((x) => keep(x.index)).map((x) => x.host).filter((h) => h !== null))]
  const partial: Omit<AnalysisDocument, 'nextSteps'> = {
    schema: 'portleak/analysis@1',
    host: o.host ?? hosts[0] ?? null,
    inputs: kept,
    snapshots: tl.times.length,
    timeRange: timeRange(tl, o.tz),
    dynamicRange: {tcp, udp},
    verdict,
    processes: processSummaries({...tl, handles: joinable}, o.tz),
    findings,
    attribution: {timeWait: tw},
    sampling: {...samplingOf(tl, c, o.tz), untimedSnapshots: b.untimed},
    events: tl.events.map((e) => ({
      id: e.id, time: isoOrNull(e.time, o.tz), source: e.source, path: e.path, line: e.line, message: e.message,
      ...(e.outsideSeconds ? {outsideSeconds: e.outsideSeconds} : {}),
    })),
    spans: b.spans.map((s) => ({path: c.inputs[s.input]!.path, start: isoOrNull(s.start, o.tz), end: isoOrNull(s.end, o.tz), outsideSeconds: s.outsideSeconds})),
  }
  const hasBound = tl.totalsByState.BOUND !== undefined || inputs.some((i) => (i.byState.BOUND ?? 0) > 0)
  const hasNames = tl.processes.some((p) => p.name !== null && p.pid > 4)
  return {document: {...partial, nextSteps: nextSteps(partial, hasBound, hasNames)}, timeline: tl}
}

function chooseRanges(c: CaseBuilder, flag: PortRange | null, keep: (i: number) => boolean): {tcp: DynamicRange; udp: DynamicRange} {
  const pick = (proto: 'TCP' | 'UDP'): DynamicRange => {
    const fromNetsh = c.ranges.filter((r) => keep(r.input) && r.proto === proto && r.family !== 'ipv6' && !r.excluded)
    const r = fromNetsh.at(-1)
    if (r) return {start: r.start, count: r.count, source: 'netsh', path: `${c.inputs[r.input]!.path}:${r.line}`}
    if (flag) return {start: flag.start, count: flag.count, source: 'flag'}
    return {start: DEFAULT_RANGE.start, count: DEFAULT_RANGE.count, source: 'default'}
  }
  return {tcp: withExclusions(pick('TCP'), c, 'TCP', keep), udp: withExclusions(pick('UDP'), c, 'UDP', keep)}
}

/** The range with the excluded blocks that fall inside it (clipped, merged where they overlap) and its usable count. */
function withExclusions(range: DynamicRange, c: CaseBuilder, proto: 'TCP' | 'UDP', keep: (i: number) => boolean): DynamicRange {
  const end = range.start + range.count - 1
  const blocks = c.ranges
    .filter((r) => r.excluded && keep(r.input) && r.proto === proto && r.family !== 'ipv6')
    .map((r) => ({start: Math.max(r.start, range.start), end: Math.min(r.start + r.count - 1, end), administered: r.administered ?? false, path: `${c.inputs[r.input]!.path}:${r.line}`}))
    .filter((r) => r.start <= r.end)
    .sort((a, b) => a.start - b.start || a.end - b.end || (a.path < b.path ? -1 : 1))
  if (blocks.length === 0) return range
  const excluded: NonNullable<DynamicRange['excluded']> = []
  let covered = 0
  let reach = range.start - 1
  for (const b of blocks) {
    if (excluded.some((e) => e.start === b.start && e.count === b.end - b.start + 1)) continue
    excluded.push({start: b.start, count: b.end - b.start + 1, administered: b.administered, path: b.path})
    if (b.end > reach) (covered += b.end - Math.max(b.start, reach + 1) + 1), (reach = b.end)
  }
  return {...range, excluded, usable: Math.max(1, range.count - covered)}
}

function timeRange(tl: Timeline, tz: (iso: string) => string): AnalysisDocument['timeRange'] {
  const times = tl.times.filter((t): t is number => t !== null)
  if (times.length === 0) return null
  return {start: isoOrNull(minOf(times), tz)!, end: isoOrNull(maxOf(times), tz)!}
}

function processSummaries(tl: Timeline, tz: (iso: string) => string): ProcessSummary[] {
  // "Now" is the last complete snapshot (a cut-off last snapshot would fake a drop); a process not in it has nothing now.
  let lastAt = tl.times.length - 1
  while (lastAt > 0 && tl.truncated[lastAt]) lastAt--
  const out: ProcessSummary[] = tl.processes.map((p) => {
    const present = p.first <= lastAt && (p.last >= lastAt || (p.seenLast ?? p.last) >= lastAt)
    const peak: Record<string, number> = {}
    const now: Record<string, number> = {}
    const lifeTop = (v: Int32Array) => lifePeak(v, p.first, p.last)
    for (const s of TCP_STATES) {
      const v = p.byState[s]
      const top = v ? lifeTop(v) : 0
      if (top > 0) {
        peak[s] = top
        if (present) now[s] = v![lastAt] ?? 0
      }
    }
    const udp = lifeTop(p.udp)
    if (udp > 0) (peak.UDP = udp), present && (now.UDP = p.udp[lastAt] ?? 0)
    const ports = lifeTop(p.ports)
    if (ports > 0) (peak.PORTS = ports), present && (now.PORTS = p.ports[lastAt] ?? 0)
    const h = tl.handles.find((x) => x.pid === p.pid && (x.name === null || p.name === null || x.name.toLowerCase() === p.name.toLowerCase()))
    const handles = h
      ? {peak: maxOf(h.points.map((x) => x.total ?? 0), 0), afdPeak: h.points.some((x) => x.afd !== null) ? maxOf(h.points.map((x) => x.afd ?? 0)) : null}
      : null
    const first = p.seenFirst ?? p.first
    const last = p.seenLast ?? p.last
    return {pid: p.pid, name: p.name, firstSeen: isoOrNull(tl.times[first] ?? null, tz), lastSeen: isoOrNull(tl.times[last] ?? null, tz), peak, now, handles}
  })
  return out.sort((a, b) => (b.peak.PORTS ?? 0) + (b.peak.TIME_WAIT ?? 0) - ((a.peak.PORTS ?? 0) + (a.peak.TIME_WAIT ?? 0)) || a.pid - b.pid).slice(0, 500)
}

/** Connections per remote endpoint over time, for the busiest endpoints, with the slot that mostly owns them. */
function remoteSeries(c: CaseBuilder, order: readonly {summary: number}[], tl: Timeline): Map<string, {v: Int32Array; owner: number; ownerAt: Int32Array}> {
  const peak = remotePeaks(c, order)
  const label = (key: number) => c.agg.endpoints.label(key)
  const top = [...peak.entries()].sort((a, b) => b[1] - a[1] || (label(a[0]) < label(b[0]) ? -1 : label(a[0]) > label(b[0]) ? 1 : 0)).slice(0, REMOTES_TESTED)
  // One pass over the snapshots for all of them (one per endpoint read every snapshot's list 30 times). Each
  // endpoint still sees its entries in snapshot order, then list order, so its owners are counted as before.
  const tested = new Map(top.map(([key], k) => [key, k]))
  const series = top.map(() => ({v: new Int32Array(tl.times.length), ownerAt: new Int32Array(tl.times.length).fill(-1), owners: new Map<number, number>()}))
  fillRemoteSeries(c, order, tested, series)
  const out = new Map<string, {v: Int32Array; owner: number; ownerAt: Int32Array}>()
  top.forEach(([key], k) => {
    const {v, ownerAt, owners} = series[k]!
    const owner = [...owners.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? -1
    out.set(label(key), {v, owner, ownerAt})
  })
  return out
}

// The two passes over every snapshot's endpoint list are functions of their own, small: run once, a loop
// that runs long is compiled again while it runs (on-stack replacement), with all of the function around
// it; remoteSeries whole took V8 about 35 ms of compiling on the 0.5 GB UTF-16 bench loop, for 10 ms of work.

/** The most connections each remote endpoint had in one snapshot (keys of c.agg.endpoints). */
function remotePeaks(c: CaseBuilder, order: readonly {summary: number}[]): Map<number, number> {
  const peak = new Map<number, number>()
  for (const s of order) {
    const r = c.summaries.remotes(s.summary)
    for (let i = 0; i < r.length; i += 3) peak.set(r[i]!, Math.max(peak.get(r[i]!) ?? 0, r[i + 1]!))
  }
  return peak
}

/** Fills the series of the tested endpoints (`tested`: key → index into `series`), snapshot by snapshot. */
function fillRemoteSeries(
  c: CaseBuilder,
  order: readonly {summary: number}[],
  tested: ReadonlyMap<number, number>,
  series: readonly {v: Int32Array; ownerAt: Int32Array; owners: Map<number, number>}[],
): void {
  for (let t = 0; t < order.length; t++) {
    const r = c.summaries.remotes(order[t]!.summary)
    for (let i = 0; i < r.length; i += 3) {
      const k = tested.get(r[i]!)
      if (k === undefined) continue
      const x = series[k]!
      x.v[t] = r[i + 1]!
      x.ownerAt[t] = r[i + 2]!
      if (r[i + 2]! >= 0) x.owners.set(r[i + 2]!, (x.owners.get(r[i + 2]!) ?? 0) + 1)
    }
  }
}

/** The remote endpoint with the most connections owned by the process with this PID, if any. */
function busiestRemote(
  remotes: Map<string, {v: Int32Array; owner: number}>,
  slots: number[][],
  processes: readonly {pid: number}[],
  pid: number | null,
): string | undefined {
  if (pid === null) return undefined
  let best: {label: string; peak: number} | null = null
  for (const [label, r] of remotes) {
    const si = r.owner < 0 ? -1 : slots.findIndex((s) => s.includes(r.owner))
    if (si < 0 || processes[si]!.pid !== pid) continue
    const peak = maxOf(r.v, 0)
    if (best === null || peak > best.peak) best = {label, peak}
  }
  return best?.label
}

/**
 * A remote endpoint whose connections grow because a named process leaks them is that process's
 * finding, not a second one: the endpoint is attached to it. Endpoints nobody owns stay findings.
 */
function foldRemotes(growth: Growth[], remotes: Map<string, {v: Int32Array; owner: number}>, slots: number[][]): Growth[] {
  const out: Growth[] = []
  for (const g of growth) {
    if (g.kind !== 'remote-endpoint-growth' || !g.remote) {
      out.push(g)
      continue
    }
    const owner = remotes.get(g.remote)?.owner ?? -1
    const si = owner < 0 ? -1 : slots.findIndex((s) => s.includes(owner))
    const host = growth.find((h) => h.kind !== 'remote-endpoint-growth' && h.series.includes(si))
    if (host) host.remote ??= g.remote
    else out.push(g)
  }
  return out
}
