import type {CaseBuilder} from '../model/case-builder.js'
import {STATE_SLOT, PORTS_SLOT, TW_ATTRIBUTED_SLOT, UDP_SLOT} from '../model/slots.js'
import type {BuiltTimeline} from '../model/timeline.js'
import type {Evidence, Finding, IsoTime, Severity} from '../model/types.js'
import {formatProjected, formatWallTime} from '../model/wall-time.js'
import type {TcpState, WallTime} from '../model/records.js'
import type {Growth} from './detect.js'
import {pidSubject} from '../model/pid-label.js'

const HOUR = 3_600_000

export const SEVERITY_RANK: Record<Severity, number> = {critical: 0, high: 1, medium: 2, low: 3}

export type SeverityInput = {
  slopePerHour: number | null
  /** The process's current value of the leaking series, and the range size. */
  now: number
  rangeCount: number
  /** Ports of the range in use on the busiest address at the end of the case. */
  inUseNow: number
  endTime: WallTime | null
  exhausted: boolean
  holdsPorts: boolean
}

/** Hours until the range is used up at this slope (0 when already full), null without growth or times. */
export function hoursToExhaustion(i: SeverityInput): number | null {
  if (!i.holdsPorts || i.slopePerHour === null || i.slopePerHour <= 0 || i.endTime === null) return null
  const left = i.rangeCount - i.inUseNow
  return left <= 0 ? 0 : left / i.slopePerHour
}

/**
 * Severity from the slope, the process's share of the dynamic range and the time left until the
 * range is exhausted at that slope.
 */
export function severityOf(i: SeverityInput): Severity {
  const hours = hoursToExhaustion(i)
  const share = i.holdsPorts ? i.now / i.rangeCount : 0
  if ((hours !== null && hours <= 24) || share >= 0.5 || (i.exhausted && share >= 0.1)) return 'critical'
  if ((hours !== null && hours <= 24 * 7) || share >= 0.2) return 'high'
  if ((i.slopePerHour ?? 0) >= 10 || share >= 0.05) return 'medium'
  return 'low'
}

const counterOf = (state: string): number[] => {
  if (state === 'PORTS') return [PORTS_SLOT]
  if (state === 'UDP') return [UDP_SLOT]
  if (state === 'TIME_WAIT') return [STATE_SLOT.TIME_WAIT, TW_ATTRIBUTED_SLOT]
  const s = STATE_SLOT[state as TcpState]
  return s === undefined ? [] : [s]
}

/** A series' slots as a set, made once per list: a series folding short-lived processes holds thousands. */
const slotSets = new WeakMap<readonly number[], Set<number>>()
function slotSet(slots: readonly number[]): Set<number> {
  let set = slotSets.get(slots)
  if (set === undefined) slotSets.set(slots, (set = new Set(slots)))
  return set
}

/** The source line of the first row behind a series at a timeline position, if any. */
export function rowAt(b: BuiltTimeline, c: CaseBuilder, slots: readonly number[], state: string, t: number, tz: (iso: string) => string): Evidence | null {
  const snap = b.order[t]
  if (!snap) return null
  const counters = counterOf(state)
  const q = c.summaries.quads(snap.summary)
  const member = slotSet(slots)
  let line = Infinity
  for (let i = 0; i < q.length; i += 4) if (counters.includes(q[i + 1]!) && member.has(q[i]!)) line = Math.min(line, q[i + 3]!)
  const path = c.inputs[snap.input]!.path
  const time = snap.time === null ? null : tz(formatWallTime(snap.time))
  if (line === Infinity) return {path, line: snap.line, time, text: snap.stamp ?? undefined}
  return {path, line, time}
}

export type FindingContext = {
  c: CaseBuilder
  b: BuiltTimeline
  rangeCount: number
  inUseNow: number
  endTime: WallTime | null
  exhausted: boolean
  timed: boolean
  tz: (iso: string) => string
}

/** Turns a detected growth into a finding: names, severity, projection and cited rows. */
export function growthFinding(g: Growth, x: FindingContext): Finding {
  const tl = x.b.timeline
  const procs = g.series.map((i) => tl.processes[i]!)
  const main = procs.at(-1)
  const pids = [...new Set(procs.map((p) => p.pid))]
  const slopeOfGrowth = g.stopped ? g.stopped.slopePerHour : g.trend.slopePerHour
  const slope = x.timed ? slopeOfGrowth : null
  const holdsPorts = g.state !== 'LISTENING'
  // Growth that stopped projects no exhaustion and ranks one step below growth that continues.
  const sev: SeverityInput = {slopePerHour: g.stopped ? null : slope, now: g.now, rangeCount: x.rangeCount, inUseNow: x.inUseNow, endTime: x.endTime, exhausted: x.exhausted, holdsPorts}
  const hours = hoursToExhaustion(sev)
  const at = hours === null || x.endTime === null ? null : formatProjected(x.endTime + hours * HOUR)
  const projected = at === null ? null : x.tz(at)
  const evidence: Evidence[] = []
  const slots = g.series.flatMap((i) => x.b.slots[i] ?? [])
  const mid = Math.floor((g.first + g.last) / 2)
  for (const t of [...new Set([g.first, mid, g.last])]) {
    const e = g.kind === 'remote-endpoint-growth' ? stampAt(x, t) : rowNear(x, slots, g.state, t, g.first, g.last)
    if (e && !evidence.some((d) => d.path === e.path && d.line === e.line)) evidence.push(e)
  }
  const growthStart = tl.times[g.first] ?? null
  const proc = main?.name ?? (main?.pid === 0 ? 'unattributed (PID 0)' : pidSubject(main?.pid))
  const who = g.kind === 'remote-endpoint-growth' ? `connections to ${g.remote}` : g.remote ? `${proc} (to ${g.remote})` : proc
  const rate = slope === null ? `${round(slopeOfGrowth)}/snapshot` : `${round(slope)}/h`
  const growthEnd = g.stopped ? (tl.times[g.stopped.last] ?? null) : (tl.times[g.last] ?? null)
  const when = (w: WallTime | null, i: number) => (w === null ? `snapshot ${i + 1}` : formatWallTime(w).slice(11, 16))
  const summary =
    g.kind === 'sawtooth-growth'
      ? `${who} ${g.state} grows ${rate} again after each restart (PIDs ${pids.join(', ')}): ${g.start} → ${g.now}, peak ${g.peak}`
      : g.stopped
        ? `${who} ${g.state} grew ${rate} from ${when(growthStart, g.first)} to ${when(growthEnd, g.stopped.last)}, flat since: ${g.start} → ${g.now}, peak ${g.peak}`
        : `${who} ${g.state} grows ${rate}: ${g.start} → ${g.now}, peak ${g.peak}`
  let severity = g.stopped ? LOWER[severityOf(sev)] : severityOf(sev)
  // Connections to one endpoint that nobody could be named for, rising slowly while they hold a small share
  // of the range, are load as often as a leak: medium only once they hold 5 % of it (or high once the range
  // would fill within a week), never for the slope alone.
  if (g.kind === 'remote-endpoint-growth' && severity === 'medium' && g.now / x.rangeCount < ENDPOINT_MEDIUM_SHARE) severity = 'low'
  return {
    kind: g.kind,
    pid: main && main.pid >= 0 && g.kind !== 'remote-endpoint-growth' ? main.pid : null,
    pids: g.kind === 'remote-endpoint-growth' ? [] : pids,
    process: g.kind === 'remote-endpoint-growth' ? null : (main?.name ?? null),
    state: g.state,
    severity,
    slopePerHour: slope === null ? null : round(slope),
    slopeLow: x.timed ? round(g.trend.slopeLowPerHour) : null,
    slopeHigh: x.timed ? round(g.trend.slopeHighPerHour) : null,
    first: g.first,
    last: g.last,
    growthStart: growthStart === null ? null : x.tz(formatWallTime(growthStart)),
    start: g.start,
    now: g.now,
    peak: g.peak,
    pValue: Number(g.trend.pValue.toPrecision(3)),
    projectedExhaustion: projected,
    attribution: g.attribution,
    ...(g.remote ? {remote: g.remote} : {}),
    summary,
    evidence,
    samples: g.last - g.first + 1,
    ...(g.kind === 'sawtooth-growth' && x.timed ? {slopeEstimate: `median of ${pids.length} restart runs' slopes; the interval is the last run's`} : {}),
    test: g.test,
    growth: {start: growthStart === null ? null : x.tz(formatWallTime(growthStart)), end: growthEnd === null ? null : x.tz(formatWallTime(growthEnd)), stopped: g.stopped !== undefined},
  }
}

/**
 * The row behind a series at position t, or else at the nearest position of the window that has one
 * (a sawtooth's process is absent between a restart and its first row): the stamp line only when no
 * snapshot of the window has a row.
 */
function rowNear(x: FindingContext, slots: readonly number[], state: string, t: number, first: number, last: number): Evidence | null {
  const isStamp = (e: Evidence, u: number) => e.line === x.b.order[u]?.line
  const stamp = rowAt(x.b, x.c, slots, state, t, x.tz)
  if (!stamp || !isStamp(stamp, t)) return stamp
  for (let d = 1; t - d >= first || t + d <= last; d++) {
    for (const u of [t + d, t - d]) {
      if (u < first || u > last) continue
      const e = rowAt(x.b, x.c, slots, state, u, x.tz)
      if (e && !isStamp(e, u)) return e
    }
  }
  return stamp
}

/** Share of the dynamic range an endpoint's connections hold before its slow growth counts as medium. */
const ENDPOINT_MEDIUM_SHARE = 0.05

const LOWER: Record<Severity, Severity> = {critical: 'high', high: 'medium', medium: 'low', low: 'low'}

function stampAt(x: FindingContext, t: number): Evidence | null {
  const s = x.b.order[t]
  if (!s) return null
  return {path: x.c.inputs[s.input]!.path, line: s.line, time: s.time === null ? null : x.tz(formatWallTime(s.time))}
}

export const round = (v: number) => Math.round(v * 10) / 10

export function isoOrNull(t: WallTime | null, tz: (iso: string) => string): IsoTime | null {
  return t === null ? null : tz(formatWallTime(t))
}
