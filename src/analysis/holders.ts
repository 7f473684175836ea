import type {BuiltTimeline} from '../model/timeline.js'
import type {Finding, HolderFact, ProcessSeries, Severity} from '../model/types.js'
import {TCP_STATES} from '../model/records.js'
import {type FindingContext, isoOrNull, rowAt} from './findings.js'
import {pidLabel, pidSubject} from '../model/pid-label.js'
import {int} from '../numbers.js'

/** A holder finding needs this share of the dynamic range (unless the range ran out, then the top holder is named). */
export const HOLDER_MIN_SHARE = 0.05

/** Kinds that say a process's port series grows: a holder finding about the same process joins them. */
const GROWTH_KINDS = new Set<Finding['kind']>(['monotonic-growth', 'sawtooth-growth'])

const pct = (v: number) => `${(v * 100).toFixed(1)}%`

/** The held ports of one process at one snapshot, with the states that hold them. */
type Held = {ports: number; byState: Record<string, number>; timeWaitAttributed: number; timeWaitAffinity: number}

/**
 * Ports a process holds at snapshot `t`: its distinct local ports in the dynamic range (every state but
 * TIME_WAIT) plus its TIME_WAIT rows (its own and PID-0 rows attributed to it by lineage or remote
 * endpoint), at most the range use of that snapshot (server-side TIME_WAIT rows share the listening port).
 * Group-Object snapshots have no ports: their rows of port-holding states are counted instead.
 */
export function heldAt(p: ProcessSeries, t: number, b: BuiltTimeline): Held {
  const byState: Record<string, number> = {}
  for (const s of TCP_STATES) {
    const v = p.byState[s]?.[t] ?? 0
    if (v > 0 && s !== 'LISTENING') byState[s] = v
  }
  return {ports: heldPortsAt(p, t, b), byState, timeWaitAttributed: p.timeWaitAttributed[t] ?? 0, timeWaitAffinity: p.timeWaitAffinity?.[t] ?? 0}
}

/** `heldAt(p, t, b).ports` without the record of states: for a scan over a process's whole life. */
export function heldPortsAt(p: ProcessSeries, t: number, b: BuiltTimeline): number {
  const tl = b.timeline
  let rows = 0
  let tw = 0
  for (let k = 0; k < TCP_STATES.length; k++) {
    const s = TCP_STATES[k]!
    const v = p.byState[s]?.[t] ?? 0
    if (v > 0 && s !== 'LISTENING') {
      rows += v
      if (s === 'TIME_WAIT') tw = v
    }
  }
  const inUse = tl.ephemeralInUse[t] ?? 0
  // EPHEMERAL counts the first tracked range; for another range, the distinct ports held are the bound
  const own = b.rangeIndex === 0 ? (p.ephemeral[t] ?? 0) : (p.ports[t] ?? 0)
  return tl.portsUnknown?.[t] ? rows : Math.min(own + tw, Math.max(inUse, own))
}

/** The process holding the most ports at snapshot `t`, if any holds one. */
export function topHolderAt(b: BuiltTimeline, t: number): {index: number; held: Held} | null {
  let best: {index: number; held: Held} | null = null
  b.timeline.processes.forEach((p, index) => {
    if (t < p.first || t > p.last) return
    const held = heldAt(p, t, b)
    if (held.ports > 0 && (best === null || held.ports > best.held.ports)) best = {index, held}
  })
  return best
}

export function holderSeverity(share: number): Severity {
  if (share >= 0.5) return 'critical'
  if (share >= 0.2) return 'high'
  if (share >= HOLDER_MIN_SHARE) return 'medium'
  return 'low'
}

/** Snapshot index of the highest range use (the first, on a tie), -1 without snapshots. */
export function peakSnapshot(inUse: Int32Array): number {
  let at = -1
  for (let i = 0; i < inUse.length; i++) if (at < 0 || inUse[i]! > inUse[at]!) at = i
  return at
}

const describeWho = (p: ProcessSeries) => (p.name ? `${p.name} (${pidLabel(p.pid, p.name)})` : p.pid === 0 ? 'PID 0 (no owner)' : pidSubject(p.pid))

function fact(b: BuiltTimeline, x: FindingContext, t: number, held: Held): HolderFact {
  return {
    snapshot: t,
    at: isoOrNull(b.timeline.times[t] ?? null, x.tz),
    ports: held.ports,
    share: Math.round((held.ports / x.rangeCount) * 1000) / 1000,
    byState: held.byState,
    timeWaitAttributed: held.timeWaitAttributed,
  }
}

/** `15,800 BOUND, 12 ESTABLISHED` (most first). */
export function statesText(byState: Record<string, number>): string {
  return Object.entries(byState)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([s, v]) => `${int(v)} ${s}`)
    .join(', ')
}

/**
 * Who holds the range: the process with the most ports at the peak of range use and at the last
 * snapshot, whether or not anything grows (one snapshot is enough). A process that already has a
 * growth finding gets the holder facts on that finding instead of a second finding.
 */
export function holderFindings(x: FindingContext, growth: Finding[]): Finding[] {
  const b = x.b
  const tl = b.timeline
  const n = tl.times.length
  if (n === 0) return []
  const peakAt = peakSnapshot(tl.ephemeralInUse)
  const lastAt = n - 1
  const unknown = (t: number) => tl.portsUnknown?.[t] === true
  const out: Finding[] = []
  const picked = new Set<number>()
  for (const t of peakAt === lastAt ? [peakAt] : [peakAt, lastAt]) {
    const top = topHolderAt(b, t)
    if (!top || picked.has(top.index)) continue
    const share = top.held.ports / x.rangeCount
    if (share < HOLDER_MIN_SHARE && !(x.exhausted && t === peakAt)) continue
    picked.add(top.index)
    const p = tl.processes[top.index]!
    const atPeak = heldAt(p, peakAt, b)
    const peakFact = fact(b, x, peakAt, atPeak)
    const present = (p.seenLast ?? p.last) === lastAt || (p.last === lastAt && (p.byState.TIME_WAIT?.[lastAt] ?? 0) > 0)
    const lastFact = present ? fact(b, x, lastAt, heldAt(p, lastAt, b)) : null
    let most = 0
    for (let i = p.first; i <= p.last; i++) most = Math.max(most, heldPortsAt(p, i, b))
    const holder: NonNullable<Finding['holder']> = {peak: peakFact, last: lastFact, portsUnknown: unknown(peakAt) || unknown(lastAt)}
    const sameProcess = growth.find((g) => GROWTH_KINDS.has(g.kind) && g.pids.includes(p.pid) && (g.process === null || p.name === null || g.process === p.name))
    if (sameProcess) {
      sameProcess.holder = holder
      sameProcess.summary += `; ${holdsText(holder, x.rangeCount)}`
      continue
    }
    const state = dominantState(peakFact.byState, lastFact?.byState)
    const first = Math.min(peakAt, lastFact ? lastAt : peakAt)
    const evidence = [...new Set([peakAt, ...(lastFact ? [lastAt] : [])])]
      .map((i) => rowAt(b, x.c, b.slots[top.index] ?? [], state, i, x.tz))
      .filter((e) => e !== null)
    out.push({
      kind: 'port-holder',
      pid: p.pid,
      pids: [p.pid],
      process: p.name,
      state,
      severity: holderSeverity(Math.max(peakFact.share, lastFact?.share ?? 0)),
      slopePerHour: null,
      slopeLow: null,
      slopeHigh: null,
      first,
      last: lastFact ? lastAt : peakAt,
      growthStart: null,
      start: heldAt(p, p.first, b).ports,
      now: lastFact?.ports ?? 0,
      peak: most,
      pValue: null,
      projectedExhaustion: null,
      attribution: p.pid === 0 ? null : atPeak.timeWaitAttributed > 0 ? (atPeak.timeWaitAffinity * 2 >= atPeak.timeWaitAttributed ? 'remote-affinity' : 'lineage') : 'owner',
      summary: `${describeWho(p)} ${holdsText(holder, x.rangeCount)}`,
      evidence,
      holder,
    })
  }
  return out
}

function dominantState(a: Record<string, number>, b: Record<string, number> | undefined): string {
  const top = Object.entries(a).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0] ?? Object.entries(b ?? {})[0]
  return top?.[0] ?? 'PORTS'
}

/** `holds 15,800 of 16,384 dynamic ports (96.4%) at …: 15,800 BOUND; at the last snapshot …`. */
export function holdsText(h: NonNullable<Finding['holder']>, range: number): string {
  const of = h.portsUnknown ? ` port-holding connections against ${int(range)} dynamic ports` : ` of ${int(range)} dynamic ports`
  const one = (f: HolderFact) => `${int(f.ports)}${of} (${pct(f.share)})${f.at ? ` at ${f.at}` : ''}: ${statesText(f.byState)}`
  const tw = h.peak.timeWaitAttributed > 0 ? `, of which ${int(h.peak.timeWaitAttributed)} PID-0 TIME_WAIT rows attributed to it` : ''
  let s = `holds ${one(h.peak)}${tw}`
  if (h.last && h.last.snapshot !== h.peak.snapshot) s += `; at the last snapshot ${int(h.last.ports)} (${pct(h.last.share)})`
  else if (!h.last) s += '; it is gone from the last snapshot'
  if (h.portsUnknown) s += ' (Group-Object counts: which ports they hold is unknown)'
  return s
}
