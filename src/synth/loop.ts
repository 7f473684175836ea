/**
 * Seeded generator of realistic netstat loop logs (the troubleshooting guide's batch loop), for
 * fixtures, scenario tests and the benchmark. Same seed and scenario → same bytes.
 */

export type Behaviour =
  | {kind: 'steady'; established: number; noise: number; timeWaitChurn?: number}
  | {kind: 'leak'; state: 'BOUND' | 'CLOSE_WAIT' | 'ESTABLISHED'; perHour: number; start?: number; base?: number}
  /** Short connections whose TIME_WAIT rows pile up as PID 0 rows; `perMinute` grows by `growthPerHour`. */
  | {kind: 'timewait-leak'; perMinute: number; growthPerHour: number; remote: string; unseen?: boolean}
  /** A leak that restarts: every `restartEvery` snapshots the process gets a new PID and starts again. */
  | {kind: 'sawtooth'; state: 'BOUND' | 'CLOSE_WAIT'; perHour: number; restartEvery: number}

export type SynthProcess = {
  pid: number
  name: string
  service?: string
  listen?: number[]
  behaviour: Behaviour
  /** Snapshot index range in which the process exists (PID reuse scenarios). */
  from?: number
  to?: number
}

export type LoopScenario = {
  seed: number
  snapshots: number
  /** Seconds between snapshots; jitter in seconds; gaps: [afterSnapshot, extraSeconds]. */
  interval: number
  jitter?: number
  gaps?: readonly [number, number][]
  start: Date
  /** `%date%` style: en-US `Tue 03/10/2023`, en-GB `10/03/2023`, de `10.03.2023`, iso `2023-03-10`. */
  dateStyle?: 'en-US' | 'en-GB' | 'de' | 'iso'
  /** netstat switches: `-anobq` writes owner lines and BOUND rows. */
  owners?: boolean
  bound?: boolean
  german?: boolean
  processes: readonly SynthProcess[]
  localIp?: string
  /** Extra steady background rows per snapshot (UDP listeners etc.) to reach realistic sizes. */
  background?: number
  newline?: '\r\n' | '\n'
}

type Conn = {lport: number; rip: string; rport: number; state: string; pid: number; bornAt: number}

/** Mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const DE_STATES: Record<string, string> = {
  LISTENING: 'ABHÖREN',
  ESTABLISHED: 'HERGESTELLT',
  TIME_WAIT: 'WARTEND',
  CLOSE_WAIT: 'SCHLIESSEN_WARTEN',
}
const p2 = (n: number) => String(n).padStart(2, '0')

/** `%date% %time%` as cmd writes it, with the trailing space before `>>`. */
export function stampLine(d: Date, style: LoopScenario['dateStyle'] = 'en-US'): string {
  const [y, mo, da] = [d.getUTCFullYear(), p2(d.getUTCMonth() + 1), p2(d.getUTCDate())]
  const h = d.getUTCHours()
  const hh = style === 'en-US' || style === 'en-GB' ? String(h).padStart(2, ' ') : String(h).padStart(2, ' ')
  const cs = p2(Math.floor(d.getUTCMilliseconds() / 10))
  const sep = style === 'de' ? ',' : '.'
  const time = `${hh}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}${sep}${cs}`
  if (style === 'en-GB') return `${da}/${mo}/${y} ${time} `
  if (style === 'de') return `${da}.${mo}.${y} ${time} `
  if (style === 'iso') return `${y}-${mo}-${da} ${time} `
  return `${WEEKDAYS[d.getUTCDay()]} ${mo}/${da}/${y} ${time} `
}

function row(proto: string, local: string, foreign: string, state: string, pid: number): string {
  const pad = (s: string, w: number) => (s.length >= w ? `${s}  ` : s.padEnd(w))
  return `  ${pad(proto, 7)}${pad(local, 23)}${pad(foreign, 23)}${proto === 'UDP' ? ''.padEnd(16) : pad(state, 16)}${pid}`
}

/** Generates the loop log as a sequence of text chunks (one per snapshot), to be joined or streamed. */
export function* generateLoop(s: LoopScenario): Generator<string> {
  const rand = prng(s.seed)
  const nl = s.newline ?? '\r\n'
  const ip = s.localIp ?? '10.0.0.5'
  let nextPort = 49152
  const used = new Set<number>()
  const allocPort = () => {
    for (let k = 0; k < 16384; k++) {
      const p = nextPort
      nextPort = nextPort >= 65535 ? 49152 : nextPort + 1
      if (!used.has(p)) {
        used.add(p)
        return p
      }
    }
    return -1
  }
  const conns: Conn[] = []
  const timeWait: (Conn & {until: number})[] = []
  const pidOf = new Map<SynthProcess, number>(s.processes.map((p) => [p, p.pid]))
  const restarts = new Map<SynthProcess, number>()
  const wasAlive = new Map<SynthProcess, boolean>()
  let t = s.start.getTime()
  for (let snap = 0; snap < s.snapshots; snap++) {
    if (snap > 0) {
      t += (s.interval + (s.jitter ? (rand() - 0.5) * 2 * s.jitter : 0)) * 1000
      for (const [after, extra] of s.gaps ?? []) if (after === snap - 1) t += extra * 1000
    }
    const hours = (t - s.start.getTime()) / 3_600_000
    // Expire TIME_WAIT (240 s) and age connections.
    for (let i = timeWait.length - 1; i >= 0; i--) {
      if (timeWait[i]!.until <= t) {
        used.delete(timeWait[i]!.lport)
        timeWait.splice(i, 1)
      }
    }
    for (const p of s.processes) {
      const alive = snap >= (p.from ?? 0) && snap <= (p.to ?? Infinity)
      const b = p.behaviour
      let pid = pidOf.get(p)!
      if (b.kind === 'sawtooth' && snap > 0 && snap % b.restartEvery === 0) {
        release(conns, used, pid)
        const r = (restarts.get(p) ?? 0) + 1
        restarts.set(p, r)
        pid = p.pid + r * 4
        pidOf.set(p, pid)
      }
      if (!alive) {
        // Release once, when the process ends: another process may reuse the PID later.
        if (wasAlive.get(p)) release(conns, used, pid)
        wasAlive.set(p, false)
        continue
      }
      wasAlive.set(p, true)
      const mine = conns.filter((c) => c.pid === pid)
      if (b.kind === 'steady') {
        const target = Math.max(0, Math.round(b.established + (rand() - 0.5) * 2 * b.noise))
        let have = mine.filter((c) => c.state === 'ESTABLISHED')
        while (have.length > target) {
          const c = have.pop()!
          closeToTimeWait(conns, timeWait, c, t)
        }
        while (have.length < target) {
          const port = allocPort()
          if (port < 0) break
          const c = {lport: port, rip: `52.1.${(port >> 8) & 255}.${port & 255}`, rport: 443, state: 'ESTABLISHED', pid, bornAt: snap}
          conns.push(c)
          have.push(c)
        }
        for (let k = 0; k < (b.timeWaitChurn ?? 0); k++) {
          const port = allocPort()
          if (port < 0) break
          timeWait.push({lport: port, rip: '10.0.0.20', rport: 445, state: 'TIME_WAIT', pid, bornAt: snap, until: t + 240_000 * rand()})
        }
      } else if (b.kind === 'leak' || b.kind === 'sawtooth') {
        const since = b.kind === 'leak' ? (b.start ?? 0) : 0
        const ageHours = b.kind === 'sawtooth' ? ((snap % b.restartEvery) * s.interval) / 3600 : Math.max(0, hours - since * (s.interval / 3600))
        const target = Math.round((b.kind === 'leak' ? (b.base ?? 2) : 2) + (snap >= since ? b.perHour * ageHours : 0))
        const have = mine.filter((c) => c.state === b.state)
        for (let k = have.length; k < target; k++) {
          const port = allocPort()
          if (port < 0) break
          const remote = b.state === 'BOUND' ? ['0.0.0.0', 0] : ['10.0.9.9', 8443]
          conns.push({lport: port, rip: remote[0] as string, rport: remote[1] as number, state: b.state, pid, bornAt: snap})
        }
      } else {
        const perMinute = b.perMinute + b.growthPerHour * hours
        const n = Math.round(perMinute * (s.interval / 60))
        const [rip, rport] = b.remote.split(':') as [string, string]
        if (b.unseen) {
          // Connections too short to be sampled: only their PID 0 TIME_WAIT rows show, beside two long-lived
          // connections of the same process to the same endpoint.
          while (mine.filter((x) => x.state === 'ESTABLISHED').length < 2) {
            const c = {lport: allocPort(), rip, rport: Number(rport), state: 'ESTABLISHED', pid, bornAt: snap}
            conns.push(c)
            mine.push(c)
          }
          for (let k = 0; k < n; k++) {
            const port = allocPort()
            if (port < 0) break
            timeWait.push({lport: port, rip, rport: Number(rport), state: 'TIME_WAIT', pid, bornAt: snap, until: t + 240_000})
          }
        } else {
          // Each short connection is seen ESTABLISHED under its PID once, then as a PID 0 TIME_WAIT row.
          for (const c of mine.filter((x) => x.state === 'ESTABLISHED')) closeToTimeWait(conns, timeWait, c, t)
          for (let k = 0; k < n; k++) {
            const port = allocPort()
            if (port < 0) break
            conns.push({lport: port, rip, rport: Number(rport), state: 'ESTABLISHED', pid, bornAt: snap})
          }
        }
      }
    }
    const alive = new Map([...pidOf].filter(([p]) => snap >= (p.from ?? 0) && snap <= (p.to ?? Infinity)))
    yield renderSnapshot(s, t, ip, conns, timeWait, alive, nl, rand)
  }
}

function release(conns: Conn[], used: Set<number>, pid: number): void {
  for (let i = conns.length - 1; i >= 0; i--) {
    if (conns[i]!.pid === pid) {
      used.delete(conns[i]!.lport)
      conns.splice(i, 1)
    }
  }
}

function closeToTimeWait(conns: Conn[], timeWait: (Conn & {until: number})[], c: Conn, t: number): void {
  conns.splice(conns.indexOf(c), 1)
  timeWait.push({...c, state: 'TIME_WAIT', until: t + 240_000})
}

function renderSnapshot(
  s: LoopScenario,
  t: number,
  ip: string,
  conns: readonly Conn[],
  timeWait: readonly Conn[],
  pidOf: ReadonlyMap<SynthProcess, number>,
  nl: string,
  rand: () => number,
): string {
  const names = new Map<number, SynthProcess>()
  for (const [p, pid] of pidOf) names.set(pid, p)
  const st = (x: string) => (s.german ? (DE_STATES[x] ?? x) : x)
  const lines: string[] = [stampLine(new Date(t), s.dateStyle), '', s.german ? 'Aktive Verbindungen' : 'Active Connections', '']
  lines.push(s.german ? '  Proto  Lokale Adresse         Remoteadresse          Status           PID' : '  Proto  Local Address          Foreign Address        State           PID')
  const owner = (pid: number) => {
    if (!s.owners || pid === 0) return
    if (pid === 4) return lines.push(' Can not obtain ownership information')
    const p = names.get(pid)
    if (!p) return
    if (p.service) lines.push(`  ${p.service}`)
    lines.push(` [${p.name}]`)
  }
  const tcp: [number, string, string, string, number][] = []
  for (const p of s.processes) for (const port of p.listen ?? []) tcp.push([port, `0.0.0.0:${port}`, '0.0.0.0:0', 'LISTENING', pidOf.get(p)!])
  tcp.push([445, '0.0.0.0:445', '0.0.0.0:0', 'LISTENING', 4])
  for (const c of conns) {
    if (c.state === 'BOUND') {
      if (s.bound) tcp.push([c.lport, `0.0.0.0:${c.lport}`, '0.0.0.0:0', 'BOUND', c.pid])
    } else tcp.push([c.lport, `${ip}:${c.lport}`, `${c.rip}:${c.rport}`, c.state, c.pid])
  }
  for (const c of timeWait) tcp.push([c.lport, `${ip}:${c.lport}`, `${c.rip}:${c.rport}`, 'TIME_WAIT', 0])
  tcp.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
  for (const [, local, foreign, state, pid] of tcp) {
    lines.push(row('TCP', local, foreign, st(state), pid))
    owner(pid)
  }
  for (let k = 0; k < (s.background ?? 0); k++) {
    lines.push(row('UDP', `0.0.0.0:${5000 + k}`, '*:*', '', 1000 + (k % 7)))
  }
  void rand
  return lines.join(nl) + nl
}
