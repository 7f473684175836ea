import type {CaseBuilder} from '../model/case-builder.js'
import type {AnalysisDocument, DynamicRange, Finding, Sampling, Timeline, Verdict} from '../model/types.js'
import {formatWallTime} from '../parsers/timestamps.js'

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

export function verdictOf(tl: Timeline, range: DynamicRange, findings: readonly Finding[], c: CaseBuilder, tz: (iso: string) => string): Verdict {
  let peak = 0
  let peakAt = -1
  tl.ephemeralInUse.forEach((v, i) => {
    if (v > peak) {
      peak = v
      peakAt = i
    }
  })
  const peakUtilization = Math.round((peak / range.count) * 1000) / 1000
  const evidence: string[] = []
  const at = peakAt >= 0 && tl.times[peakAt] != null ? tz(formatWallTime(tl.times[peakAt]!)) : null
  if (peak > 0) {
    evidence.push(
      `peak ${peak} of ${range.count} dynamic ports (${(peakUtilization * 100).toFixed(1)}%) in use on ${tl.ephemeralAddr[peakAt] || 'one address'}${at ? ` at ${at}` : ''}`,
    )
  }
  const events = c.events.filter((e) => PROOF.has(e.symptom))
  const bySymptom = new Map<string, number>()
  for (const e of c.events) bySymptom.set(e.symptom, (bySymptom.get(e.symptom) ?? 0) + 1)
  for (const [symptom, n] of [...bySymptom].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const first = c.events.find((e) => e.symptom === symptom)!
    const label = SYMPTOM_LABEL[symptom] ?? symptom
    evidence.push(`${n} × ${label}, first${first.time !== null ? ` at ${tz(formatWallTime(first.time))}` : ''} (${c.inputs[first.input]!.path}:${first.line})`)
  }
  const end = [...tl.times].reverse().find((t) => t !== null) ?? null
  const soon = findings.filter((f) => f.projectedExhaustion !== null && end !== null && Date.parse(`${f.projectedExhaustion.slice(0, 23)}Z`) - end <= 7 * DAY)
  let status: Verdict['status'] = 'healthy'
  if (peakUtilization >= 0.98 || events.length > 0) status = 'exhausted'
  else if (peakUtilization >= 0.5 || soon.length > 0 || findings.some((f) => f.severity === 'critical' || f.severity === 'high')) status = 'at-risk'
  for (const f of findings.slice(0, 3)) evidence.push(f.summary)
  if (status === 'healthy' && evidence.length === 0) evidence.push('no port-holding series grows and no exhaustion event was found')
  return {status, peakUtilization, peakAt: at, evidence}
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
  if (top) {
    const who = top.process ?? `PID ${top.pid}`
    out.push(
      `Restart ${who}${top.pids.length > 1 ? ` (seen as PIDs ${top.pids.join(', ')})` : ''} to release its ports now; it will leak again, so report the ${top.state} growth to its vendor or owner with this evidence.`,
    )
    if (top.state === 'CLOSE_WAIT') out.push(`CLOSE_WAIT that never drains means ${who} does not close sockets the peer already closed: a bug in that application, not in Windows.`)
    if (top.state === 'TIME_WAIT') out.push(`TIME_WAIT build-up means ${who} opens and closes connections very fast: connection pooling / keep-alive in ${who} is the fix; TcpTimedWaitDelay only shortens the symptom.`)
    if (top.state === 'BOUND') out.push(`BOUND sockets are bound but never connected or closed: ${who} leaks socket handles (check its \\Device\\Afd handle count with handle.exe).`)
  }
  if (doc.verdict.status !== 'healthy') {
    out.push('Enlarging the dynamic range (netsh int ipv4 set dynamicport tcp start=… num=…) only buys time; fix the process that holds the ports.')
  }
  if (doc.verdict.status === 'exhausted' && !top) {
    out.push('The range is exhausted but no single process grows: collect `netstat -anobq` in a loop (names and BOUND rows) and handle counts to find the holder.')
  }
  if (!hasBound) out.push('No BOUND rows were seen: collect with `netstat -anoq` (Windows 10 / Server 2016 and later) so bound-but-unconnected sockets are visible.')
  if (!hasNames) out.push('Processes are known by PID only: collect `netstat -anob` (as administrator) or a `tasklist /fo csv` beside the loop to name them.')
  if (!doc.sampling.timed && doc.snapshots > 1) out.push('The snapshots have no timestamps: use a loop that writes `%date% %time%` before each netstat so rates per hour can be computed.')
  if (doc.dynamicRange.tcp.source === 'default') out.push('The dynamic range was assumed (49152–65535): collect `netsh int ipv4 show dynamicport tcp` to confirm it.')
  return out
}
