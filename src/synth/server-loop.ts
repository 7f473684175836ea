/**
 * An application server's netstat loop with moderate churn: long-lived pools to backends that turn
 * over a fifth of their connections per snapshot (TIME_WAIT rows lasting 240 s, so most rows repeat
 * from the snapshot before), inbound database and SMB clients, and one process leaking sockets.
 * Written as `netstat -anobq` (owner lines, BOUND rows) or as a German PowerShell 5.1 loop in UTF-16LE.
 * Streams chunks of bytes; same options, same bytes.
 */
import {prng, type LoopScenario} from './loop.js'
import {ipv4, Load, NetstatWriter, publicIpv4} from './netstat-writer.js'

export type ServerLoopOptions = {
  seed: number
  snapshots: number
  /** Mean ESTABLISHED connections of the web application's pools (2,400): with TIME_WAIT and the rest, about 6,000 rows. */
  pool?: number
  /** Share of the pools' connections closed and opened again per snapshot (0.2). */
  churn?: number
  /** Sockets the leaking process gains over the whole loop (1,500): BOUND with `bound`, else CLOSE_WAIT. */
  leak?: number
  /** `-b`: owner lines under each row. */
  owners?: boolean
  /** `-q`: BOUND rows. */
  bound?: boolean
  german?: boolean
  utf16?: boolean
  dateStyle?: LoopScenario['dateStyle']
  interval?: number
  start?: Date
}

type Proc = {image: string; service?: string; hidden?: boolean}
/** netstat -b's owners: PID 4 and protected processes show `Can not obtain ownership information`. */
const PROCS: ReadonlyMap<number, Proc> = new Map([
  [4, {image: 'System', hidden: true}],
  [560, {image: 'wininit.exe', hidden: true}],
  [684, {image: 'services.exe', hidden: true}],
  [704, {image: 'lsass.exe', hidden: true}],
  [1012, {image: 'svchost.exe', service: 'RpcSs'}],
  [1180, {image: 'svchost.exe', service: 'TermService'}],
  [1280, {image: 'svchost.exe', service: 'EventLog'}],
  [1320, {image: 'svchost.exe', service: 'W32Time'}],
  [1436, {image: 'svchost.exe', service: 'Schedule'}],
  [1648, {image: 'svchost.exe', service: 'Dnscache'}],
  [2176, {image: 'spoolsv.exe'}],
  [2212, {image: 'svchost.exe', service: 'IKEEXT'}],
  [2480, {image: 'sqlservr.exe'}],
  [3020, {image: 'w3wp.exe'}],
  [3360, {image: 'MsMpEng.exe', hidden: true}],
  [5120, {image: 'LeakyAgent.exe'}],
])
const W3WP = 3020
const DEFENDER = 3360
const SQLSERVR = 2480
const LEAKER = 5120
const LOCAL = ipv4('10.0.0.5')
const LISTENERS: readonly (readonly [number, number])[] = [[135, 1012], [445, 4], [1433, 2480], [3389, 1180], [5985, 4], [47001, 4]]
const RPC: readonly (readonly [number, number])[] = [[49664, 704], [49665, 560], [49666, 1280], [49667, 1436], [49668, 2176], [49669, 684]]
const UDP: readonly (readonly [string, number])[] = [['0.0.0.0:123', 1320], ['0.0.0.0:500', 2212], ['0.0.0.0:3389', 1180], ['0.0.0.0:4500', 2212], ['0.0.0.0:5353', 1648], ['10.0.0.5:137', 4], ['10.0.0.5:138', 4], ['[::]:123', 1320], ['[::]:500', 2212], ['[::]:4500', 2212], ['[::]:5353', 1648]]
/** Backends of the web application: 32 addresses, each with its service port. */
const BACKENDS = Array.from({length: 32}, (_, i) => ipv4(`10.0.1.${20 + i}`))
const BACKEND_PORTS = [1433, 443, 443, 6379]
const FREE = 0
const EST = 1
const TW = 2
const BOUND = 3
const CLOSE_WAIT = 4
const LISTEN = 5
const STATE = ['', 'ESTABLISHED', 'TIME_WAIT', 'BOUND', 'CLOSE_WAIT', 'LISTENING']

export function* serverLoop(o: ServerLoopOptions): Generator<Buffer> {
  const rand = prng(o.seed)
  const churn = o.churn ?? 0.2
  const pool = o.pool ?? 2400
  const leakTotal = o.leak ?? 1500
  const interval = (o.interval ?? 60) * 1000
  const start = (o.start ?? new Date(Date.UTC(2024, 2, 5, 7, 0, 0))).getTime()
  const w = new NetstatWriter({utf16: o.utf16 ?? false, german: o.german ?? false})
  const load = new Load(rand)
  const kind = new Uint8Array(65536)
  const rip = new Uint32Array(65536)
  const rport = new Uint16Array(65536)
  const pid = new Int32Array(65536)
  for (const [port, p] of RPC) (kind[port] = LISTEN), (pid[port] = p)
  // TIME_WAIT all lasts 240 s, so a FIFO of ports expires it in order.
  const twPorts = new Int32Array(65536)
  const twUntil = new Float64Array(65536)
  let twHead = 0
  let twTail = 0
  let next = 49152
  const alloc = () => {
    for (let k = 0; k < 16384; k++) {
      next = next >= 65535 ? 49152 : next + 1
      if (kind[next] === FREE) return next
    }
    return -1
  }
  const pools = new Map<number, number[]>([[W3WP, []], [DEFENDER, []]])
  const inbound = (n: number, net: string) => Array.from({length: n}, () => [ipv4(`${net}.${1 + Math.floor(rand() * 200)}`), 49152 + Math.floor(rand() * 16384)] as [number, number])
  const sqlClients = inbound(600, '10.0.2')
  const smbClients = inbound(150, '10.0.3')
  let leaked = 0

  // Owner lines per PID, written as one piece after each row.
  const ownerText = new Map<number, string>()
  for (const [p, proc] of PROCS) {
    const lines = proc.hidden ? [' Can not obtain ownership information'] : [...(proc.service ? [`  ${proc.service}`] : []), ` [${proc.image}]`]
    ownerText.set(p, lines.map((l) => `${l}\r\n`).join(''))
  }
  const owner = (p: number) => {
    if (o.owners && p !== 0) w.text(ownerText.get(p) ?? ' Can not obtain ownership information\r\n')
  }
  const inboundRows = (localPort: number, clients: readonly [number, number][], p: number) => {
    for (const [ip, port] of clients) {
      w.begin('TCP')
      w.ep4(LOCAL, localPort)
      w.next()
      w.ep4(ip, port)
      w.next()
      w.end('ESTABLISHED', p)
      owner(p)
    }
  }

  for (let snap = 0; snap < o.snapshots; snap++) {
    const t = start + snap * interval + Math.floor(rand() * 1500)
    while (twHead < twTail && twUntil[twHead & 65535]! <= t) kind[twPorts[twHead++ & 65535]!] = FREE
    const scale = load.at(t)
    for (const [p, conns] of pools) {
      const target = Math.round((p === W3WP ? pool : 20) * scale)
      const closes = Math.round(conns.length * churn * rand() * 2) + Math.max(0, conns.length - target)
      for (let k = 0; k < closes && conns.length > 0; k++) {
        const i = Math.floor(rand() * conns.length)
        const port = conns[i]!
        conns[i] = conns.at(-1)!
        conns.pop()
        kind[port] = TW
        pid[port] = 0
        twPorts[twTail & 65535] = port
        twUntil[twTail++ & 65535] = t + 240_000
      }
      while (conns.length < target) {
        const port = alloc()
        if (port < 0) break
        const b = Math.floor(rand() * BACKENDS.length)
        kind[port] = EST
        rip[port] = p === W3WP ? BACKENDS[b]! : publicIpv4(b)
        rport[port] = p === W3WP ? BACKEND_PORTS[b % BACKEND_PORTS.length]! : 443
        pid[port] = p
        conns.push(port)
      }
    }
    for (const clients of [sqlClients, smbClients]) {
      for (const c of clients) if (rand() < 0.02) c[1] = 49152 + Math.floor(rand() * 16384)
    }
    for (const target = 10 + Math.floor((leakTotal * snap) / Math.max(1, o.snapshots)); leaked < target; leaked++) {
      const port = alloc()
      if (port < 0) break
      kind[port] = o.bound ? BOUND : CLOSE_WAIT
      rip[port] = ipv4('10.0.9.9')
      rport[port] = 8443
      pid[port] = LEAKER
    }

    w.snapshotHeader(t, o.dateStyle ?? 'en-US')
    for (const [port, p] of LISTENERS) {
      w.row('TCP', `0.0.0.0:${port}`, '0.0.0.0:0', 'LISTENING', p)
      owner(p)
    }
    for (let port = 49152; port < 65536; port++) {
      const k = kind[port]!
      if (k !== BOUND && k !== LISTEN) continue
      w.begin('TCP')
      w.ep4(0, port)
      w.next()
      w.text('0.0.0.0:0')
      w.next()
      w.end(STATE[k]!, pid[port]!)
      owner(pid[port]!)
    }
    w.row('TCP', '10.0.0.5:139', '0.0.0.0:0', 'LISTENING', 4)
    owner(4)
    inboundRows(445, smbClients, 4)
    inboundRows(1433, sqlClients, SQLSERVR)
    for (let port = 49152; port < 65536; port++) {
      const k = kind[port]!
      if (k !== EST && k !== TW && k !== CLOSE_WAIT) continue
      w.begin('TCP')
      w.ep4(LOCAL, port)
      w.next()
      w.ep4(rip[port]!, rport[port]!)
      w.next()
      w.end(STATE[k]!, pid[port]!)
      owner(pid[port]!)
    }
    for (const [port, p] of LISTENERS) {
      w.row('TCP', `[::]:${port}`, '[::]:0', 'LISTENING', p)
      owner(p)
    }
    for (const [local, p] of UDP) {
      w.row('UDP', local, '*:*', '', p)
      owner(p)
    }
    if (w.full) yield w.take()
  }
  const rest = w.take()
  if (rest.length > 0) yield rest
}
