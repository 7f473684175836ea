import type {CaseBuilder, EventPoint} from '../model/case-builder.js'
import {maxOf, minOf} from '../model/extremes.js'
import type {AnalysisDocument, DynamicRange, Finding, Sampling, Timeline, Verdict} from '../model/types.js'
import {formatWallTime} from '../model/wall-time.js'
import {pidSubject} from '../model/pid-label.js'
import {int} from '../numbers.js'

/** Events that prove exhaustion: Tcpip 4227 (TIME_WAIT collision), 4231 (TCP), 4266 (UDP), AFD 0x209. */
export const PROOF: ReadonlySet<string> = new Set(['time-wait-collision', 'tcp-ports-exhausted', 'udp-ports-exhausted', 'afd-too-many-addresses'])

const DAY = 24 * 3_600_000

const SYMPTOM_LABEL: Record<string, string> = {
  'time-wait-collision': 'Tcpip event 4227 (TIME_WAIT collision)',
  'tcp-ports-exhausted': 'Tcpip event 4231 (TCP ephemeral ports exhausted)',
  'udp-ports-exhausted': 'Tcpip event 4266 (UDP ephemeral ports exhausted)',
  'afd-too-many-addresses': 'AFD bind failures STATUS_TOO_MANY_ADDRESSES (0x209)',
  wsaenobufs: 'WinSock 10055 (WSAENOBUFS) errors',
  wsaeaddrinuse: 'WinSock 10048 (WSAEADDRINUSE) errors',
}

/** Kinds that speak of ports (not only handles): they can put the machine at risk. */
const PORT_KINDS: ReadonlySet<string> = new Set(['monotonic-growth', 'sawtooth-growth', 'remote-endpoint-growth', 'port-holder', 'dump-top-holder', 'socket-allocation-rate', 'afd-growth'])

/** Events this long before the first or after the last snapshot still count as inside the window. */
const WINDOW_SLACK = 15 * 60_000

export type EventWindow = {
  /** Events inside the snapshots' time range (all of them without timed snapshots), earliest first. */
  inside: EventPoint[]
  /** Events outside it, earliest first, each with its distance from the range in ms (negative: before). */
  outside: {e: EventPoint; gap: number}[]
}

/** Sorts events by time (untimed last) and splits them by the snapshots' time range. */
export function eventWindow(events: readonly EventPoint[], tl: Timeline): EventWindow {
  const sorted = [...events].sort((a, b) => (a.time ?? Infinity) - (b.time ?? Infinity) || a.input - b.input || a.line - b.line)
  const times = tl.times.filter((t): t is number => t !== null)
  if (times.length === 0) return {inside: sorted, outside: []}
  const first = minOf(times)
  const last = maxOf(times)
  const out: EventWindow = {inside: [], outside: []}
  for (const e of sorted) {
    if (e.time === null || (e.time >= first - WINDOW_SLACK && e.time <= last + WINDOW_SLACK)) out.inside.push(e)
    else out.outside.push({e, gap: e.time < first ? e.time - first : e.time - last})
  }
  return out
}

/** `3 h 20 min`, `2 d 4 h`, `40 s`. */
export function spanText(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000)
  if (s < 60) return `${s} s`
  const m = Math.round(s / 60)
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`

export function verdictOf(tl: Timeline, range: DynamicRange, findings: readonly Finding[], c: CaseBuilder, tz: (iso: string) => string, w: EventWindow): Verdict {
  let peak = 0
  let peakAt = -1
  tl.ephemeralInUse.forEach((v, i) => {
    if (v > peak) {
      peak = v
      peakAt = i
    }
  })
  const peakUtilization = Math.round((peak / range.count) * 1000) / 1000
  const facts: string[] = []
  const at = peakAt >= 0 && tl.times[peakAt] != null ? tz(formatWallTime(tl.times[peakAt]!)) : null
  const unknownPorts = peakAt >= 0 && tl.portsUnknown?.[peakAt] === true
  const used = unknownPorts
    ? `${int(peak)} port-holding connections against ${int(range.count)} dynamic ports (${pct(peak / range.count)})`
    : `${int(peak)} of ${int(range.count)} dynamic ports (${pct(peak / range.count)})`
  if (peak > 0) {
    facts.push(
      unknownPorts
        ? `peak ${int(peak)} port-holding connections against ${int(range.count)} dynamic ports (${pct(peak / range.count)})${at ? ` at ${at}` : ''}, counted from a Group-Object summary: which ports they hold is unknown`
        : `peak ${used} in use on ${tl.ephemeralAddr[peakAt] || 'one address'}${at ? ` at ${at}` : ''}`,
    )
  }
  const time = (e: EventPoint) => (e.time !== null ? ` at ${tz(formatWallTime(e.time))}` : '')
  const where = (e: EventPoint) => `(${c.inputs[e.input]!.path}:${e.line})`
  for (const [symptom, list] of groupBy(w.inside, (e) => e.symptom)) {
    const first = list[0]!
    const last = list.at(-1)!
    const span = list.length > 1 && last.time !== null && last.time !== first.time ? `, last${time(last)}` : ''
    facts.push(`${list.length} × ${SYMPTOM_LABEL[symptom] ?? symptom}, first${time(first)}${span} ${where(first)}`)
  }
  for (const [symptom, list] of groupBy(w.outside, (x) => x.e.symptom)) {
    const first = list[0]!
    const near = list.reduce((m, x) => (Math.abs(x.gap) < Math.abs(m.gap) ? x : m))
    const side = near.gap < 0 ? 'before the first snapshot' : 'after the last snapshot'
    facts.push(
      `${list.length} × ${SYMPTOM_LABEL[symptom] ?? symptom} outside the snapshots' time range, first${time(first.e)} ${where(first.e)}; the nearest ${spanText(near.gap)} ${side}`,
    )
  }
  const proofInside = w.inside.filter((e) => PROOF.has(e.symptom))
  const proofOutside = w.outside.filter((x) => PROOF.has(x.e.symptom))
  const end = [...tl.times].reverse().find((t) => t !== null) ?? null
  const soon = findings.filter(
    (f) => (f.samples ?? 2) > 1 && f.projectedExhaustion !== null && end !== null && Date.parse(`${f.projectedExhaustion.slice(0, 23)}Z`) - end <= 7 * DAY,
  )
  const severe = findings.filter((f) => PORT_KINDS.has(f.kind) && (f.severity === 'critical' || f.severity === 'high'))
  const holder = findings.find((f) => f.holder)
  const holderText = holder ? ` The largest holder: ${holder.summary}.` : ''
  let status: Verdict['status'] = 'healthy'
  let why: string
  if (peakUtilization >= 0.98 || proofInside.length > 0) {
    status = 'exhausted'
    const ev = proofInside.length > 0 ? `${proofInside.length} exhaustion event${proofInside.length > 1 ? 's' : ''} inside the analysed window` : ''
    const full = peakUtilization >= 0.98 ? `${used} in use${at ? ` at ${at}` : ''}` : ''
    why = `EXHAUSTED: ${[full, ev].filter(Boolean).join(', and ')}.${holderText}`
  } else if (peakUtilization >= 0.5 || soon.length > 0 || severe.length > 0) {
    status = 'at-risk'
    const reasons: string[] = []
    if (peakUtilization >= 0.5) reasons.push(`${used} in use at the peak, at or over the 50% mark`)
    for (const f of soon.slice(0, 1)) reasons.push(`${f.process ?? pidSubject(f.pid ?? f.pids[0])} fills the range by ${f.projectedExhaustion} at its measured rate`)
    for (const f of severe.slice(0, 1)) if (!soon.includes(f)) reasons.push(`a ${f.severity} finding: ${f.summary}`)
    why = `AT RISK: ${reasons.join('; ')}.`
  } else {
    const growing = findings.filter((f) => PORT_KINDS.has(f.kind) && (f.samples ?? 2) > 1 && f.kind !== 'port-holder' && f.kind !== 'dump-top-holder').length
    const use = tl.times.length === 0 ? 'no connection rows were read, so range use is unknown' : `at most ${used} in use (below the 50% mark)`
    why =
      `HEALTHY: ${use}, no exhaustion event inside the analysed window` +
      `${proofOutside.length > 0 ? ` (${proofOutside.length} outside it)` : ''}, ${growing === 0 ? 'no growing port series' : `${growing} growing port series, too slow to fill the range within 7 days`}.`
  }
  const evidence = [why, ...facts]
  for (const f of findings.slice(0, 3)) if (!evidence.some((e) => e.includes(f.summary))) evidence.push(f.summary)
  return {status, peakUtilization, peakAt: at, evidence}
}

function groupBy<T>(list: readonly T[], key: (x: T) => string): [string, T[]][] {
  const m = new Map<string, T[]>()
  for (const x of list) {
    const k = key(x)
    const l = m.get(k)
    if (l) l.push(x)
    else m.set(k, [x])
  }
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1))
}

/** Real cadence and gaps of the snapshots, from their times (never an assumed interval). */
export function samplingOf(tl: Timeline, c: CaseBuilder, tz: (iso: string) => string): Sampling {
  const times = tl.times.filter((t): t is number => t !== null)
  const steps: number[] = []
  for (let i = 1; i < times.length; i++) steps.push((times[i]! - times[i - 1]!) / 1000)
  const sorted = [...steps].sort((a, b) => a - b)
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)]! : null
  const gaps: Sampling['gaps'] = []
  if (median !== null) {
    for (let i = 0; i < steps.length; i++) {
      if (steps[i]! > Math.max(3 * median, 300) && gaps.length < 50) gaps.push({after: tz(formatWallTime(times[i]!)), seconds: Math.round(steps[i]!)})
    }
  }
  let backwardSteps = 0
  let prev: {input: number; time: number} | null = null
  for (const s of c.snapshots) {
    if (s.time === null) continue
    if (prev && prev.input === s.input && s.time < prev.time) backwardSteps++
    prev = {input: s.input, time: s.time}
  }
  const r = (v: number | undefined) => (v === undefined ? null : Math.round(v * 100) / 100)
  return {
    timed: times.length > 0,
    medianIntervalSeconds: r(median ?? undefined),
    minIntervalSeconds: r(sorted[0]),
    maxIntervalSeconds: r(sorted.at(-1)),
    gaps,
    backwardSteps,
  }
}

/** What the engineer should do next, in the spirit of the troubleshooting guide. */
export function nextSteps(doc: Omit<AnalysisDocument, 'nextSteps'>, hasBound: boolean, hasNames: boolean): string[] {
  const out: string[] = []
  const culprits = doc.findings.filter((f) => f.process !== null || f.pid !== null)
  const top = culprits[0]
  if (top) out.push(...culpritSteps(top, doc.verdict.status))
  if (doc.verdict.status !== 'healthy') {
    out.push('Enlarging the dynamic range (netsh int ipv4 set dynamicport tcp start=… num=…) only buys time; fix the process that holds the ports.')
  }
  if (doc.verdict.status === 'exhausted' && !top) {
    out.push('No process could be named as the holder: the cause is unknown from this collection.')
    out.push('The range is exhausted but no single process grows: collect `netstat -anobq` in a loop (names and BOUND rows) and handle counts to find the holder.')
  }
  if (!hasBound) out.push('No BOUND rows were seen: collect with `netstat -anoq` (Windows 10 / Server 2016 and later) so bound-but-unconnected sockets are visible.')
  // `netstat -an` (no -o) has no PID column: the rows cannot be tied to a process at all
  const noPids = doc.inputs.some((i) => i.format === 'netstat' && /^netstat -an(?!o)/.test(i.notes.view ?? ''))
  if (noPids) out.push('The netstat rows carry no PID (`netstat -an` without -o): collect `netstat -anoq` in the loop so the ports can be tied to processes.')
  else if (!hasNames) out.push('Processes are known by PID only: collect `netstat -anob` (as administrator) or a `tasklist /fo csv` beside the loop to name them.')
  if (!doc.sampling.timed && doc.snapshots > 1) out.push('The snapshots have no timestamps: use a loop that writes `%date% %time%` before each netstat so rates per hour can be computed.')
  if (doc.dynamicRange.tcp.source === 'default') out.push('The dynamic range was assumed (49152–65535): collect `netsh int ipv4 show dynamicport tcp` to confirm it.')
  return out
}

/** Kinds that measured a growth over several points (a restart releases, and the leak comes back). */
const GROWTH: ReadonlySet<string> = new Set(['monotonic-growth', 'sawtooth-growth', 'handle-growth', 'afd-growth'])

/** What to do about the top finding: watch it, restart and report it, or TIME_WAIT's own remedies. */
export function culpritSteps(top: Finding, status: Verdict['status']): string[] {
  const who = top.process ?? (top.pid === 0 ? 'the process that opened these connections' : pidSubject(top.pid ?? top.pids[0]))
  const pids = top.pids.length > 1 ? ` (seen as PIDs ${top.pids.join(', ')})` : ''
  const grows = GROWTH.has(top.kind) && (top.samples ?? 2) > 1 && top.now > top.start
  const out: string[] = []
  if (status === 'healthy') {
    out.push(
      grows
        ? `Watch ${who}${pids}: ${top.summary}. Collect again later to see whether it keeps growing; nothing needs a restart now.`
        : `Watch ${who}${pids}: ${top.summary}. Nothing needs a restart now; collect again over time to see whether it rises.`,
    )
    return out
  }
  if (top.state === 'TIME_WAIT') {
    const remote = top.remote ? ` to ${top.remote}` : ''
    out.push(
      `TIME_WAIT ports belong to the kernel, not to ${who}: they expire after TcpTimedWaitDelay (120 s by default) and survive a restart of ${who}, which frees none of them.`,
      `${who} opens and closes connections${remote} very fast: reuse connections (keep-alive, connection pooling) in ${who}${top.remote ? `; ${top.remote} is being hammered with new connections` : ''}. Lowering TcpTimedWaitDelay only shortens the symptom.`,
    )
    return out
  }
  if (top.pid === 4 || top.pid === 0) {
    out.push(
      `${top.pid === 4 ? 'System (PID 4)' : 'PID 0'} is the kernel: it cannot be restarted on its own. Ports held by PID ${top.pid} belong to kernel-mode users (http.sys, SMB, drivers): \`netsh http show servicestate\` and the driver's vendor name the holder.`,
    )
    return out
  }
  if (grows) {
    out.push(`Restart ${who}${pids} to release its ports now; it will leak again, so report the ${top.state} growth to its vendor or owner with this evidence.`)
  } else if (top.kind === 'high-handle-count') {
    out.push(
      `${who} holds more handles than the guide's thresholds: one listing cannot show a leak, so take its handle counts again over several minutes (\`handle.exe -s -p ${top.pid ?? '<PID>'}\`) to see whether they grow.`,
    )
  } else {
    out.push(
      `Restart ${who}${pids} to release the ports it holds now. This collection cannot tell whether it takes them again: collect \`netstat -anobq\` in a loop to see whether it takes more.`,
    )
  }
  if (top.state === 'CLOSE_WAIT') out.push(`CLOSE_WAIT that never drains means ${who} does not close sockets the peer already closed: a bug in that application, not in Windows.`)
  if (top.state === 'BOUND') out.push(`BOUND sockets are bound but never connected or closed: ${who} leaks socket handles (check its \\Device\\Afd handle count with handle.exe).`)
  return out
}
