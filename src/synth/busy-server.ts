/**
 * A busy web server's `netstat -anoq` loop: thousands of short client connections per minute, so
 * almost every row is new: TIME_WAIT to a fresh client (new address and port) on nearly every TIME_WAIT
 * row, client connections that end between snapshots, a few hundred rows repeated from the snapshot
 * before (listeners, a connection pool, one process slowly leaking BOUND sockets). Millions of distinct
 * remote addresses over a long loop. Streams chunks of bytes; same options, same bytes.
 */
import {prng} from './loop.js'
import {ipv4, Load, NetstatWriter, publicIpv4, publicIpv6} from './netstat-writer.js'

export type BusyServerOptions = {
  seed: number
  snapshots: number
  /** Mean rows per snapshot (11,500); it follows a daily cycle and autocorrelated noise. */
  rows?: number
  /** Share of TIME_WAIT rows (0.48). */
  timeWaitShare?: number
  /** Share of client rows from IPv6 clients (0.02). */
  ipv6Share?: number
  /** Seconds between snapshots (60); TIME_WAIT is tuned to 30 s, as busy servers often are, so it never repeats. */
  interval?: number
  start?: Date
  /** BOUND sockets the leaking process gains over the whole loop (150). */
  leak?: number
}

const LOCAL = ipv4('10.0.0.5')
const LOCAL6 = Uint16Array.of(0x2001, 0xdb8, 0x10, 1, 1, 1, 1, 5)
const SQL = ipv4('10.0.1.20')
const BACKEND = ipv4('10.0.1.30')
/** Clients that come back (ESTABLISHED rows draw from them); fresh peers use counters from FRESH up. */
const CLIENT_POOL = 150_000
const FRESH = 0x40000000
const HTTP_SYS = 4
const W3WP = 3020
const LEAKER = 5120
const LISTENERS: readonly (readonly [number, number])[] = [[80, 4], [135, 1012], [443, 4], [445, 4], [3389, 1180], [5985, 4], [47001, 4]]
const RPC: readonly (readonly [number, number])[] = [[49664, 704], [49665, 560], [49666, 1280], [49667, 1436], [49668, 2176], [49669, 684]]
const UDP4: readonly (readonly [string, number])[] = [['0.0.0.0:123', 1320], ['0.0.0.0:500', 2212], ['0.0.0.0:3389', 1180], ['0.0.0.0:4500', 2212], ['0.0.0.0:5353', 1648], ['0.0.0.0:5355', 1648], ['10.0.0.5:137', 4], ['10.0.0.5:138', 4], ['127.0.0.1:49720', 2480]]
const UDP6: readonly (readonly [string, number])[] = [['[::]:123', 1320], ['[::]:500', 2212], ['[::]:3389', 1180], ['[::]:4500', 2212], ['[::]:5353', 1648], ['[::]:5355', 1648]]
const SQL_POOL = 40
const LOOPBACK_PAIRS = 3

/** A client's ephemeral port: Windows clients 49152–65535, Linux clients 32768–60999. */
const clientPort = (rand: () => number) => (rand() < 0.7 ? 49152 + Math.floor(rand() * 16384) : 32768 + Math.floor(rand() * 28232))

export function* busyServerLoop(o: BusyServerOptions): Generator<Buffer> {
  const rand = prng(o.seed)
  const rows = o.rows ?? 11_500
  const twShare = o.timeWaitShare ?? 0.48
  const v6Share = o.ipv6Share ?? 0.02
  const interval = (o.interval ?? 60) * 1000
  const start = (o.start ?? new Date(Date.UTC(2024, 2, 4, 8, 0, 0))).getTime()
  const leakTotal = o.leak ?? 150
  const w = new NetstatWriter()
  const load = new Load(rand)
  const used = new Uint8Array(65536)
  for (const [port] of RPC) used[port] = 1
  const take = () => {
    for (;;) {
      const p = 49152 + Math.floor(rand() * 16384)
      if (!used[p]) return (used[p] = 1), p
    }
  }
  const leakPorts: number[] = []
  const sqlPorts = Array.from({length: SQL_POOL}, take)
  const loopPorts = Array.from({length: LOOPBACK_PAIRS}, take).sort((a, b) => a - b)
  let fresh = 0
  let walk = 49152
  const v6 = new Uint16Array(8)
  const outPort = new Int32Array(4096)
  const outKind = new Uint8Array(4096)
  const order = new Int32Array(4096)

  for (let snap = 0; snap < o.snapshots; snap++) {
    const t = start + snap * interval + Math.floor(rand() * 1500)
    // The leak: BOUND sockets that are never released, evenly over the loop.
    const leakTarget = 20 + Math.floor((leakTotal * snap) / Math.max(1, o.snapshots))
    while (leakPorts.length < leakTarget) leakPorts.push(take())
    leakPorts.sort((a, b) => a - b)
    // The pool to the database replaces a connection now and then (its old socket's TIME_WAIT ends within 30 s).
    for (let i = 0; i < sqlPorts.length; i++) {
      if (rand() >= 0.02) continue
      used[sqlPorts[i]!] = 0
      sqlPorts[i] = take()
    }
    const fixed = LISTENERS.length + RPC.length + 1 + leakPorts.length + SQL_POOL + 2 * LOOPBACK_PAIRS + LISTENERS.length + UDP4.length + UDP6.length
    const total = Math.round(rows * load.at(t))
    const clients = Math.max(0, total - fixed)
    const tw = Math.min(clients, Math.round(total * twShare))
    const pTw = clients > 0 ? tw / clients : 0
    const outTw = Math.round(tw * 0.05)
    const outEst = Math.round((clients - tw) * 0.01)
    const inV6 = Math.round(clients * v6Share)
    const inV4 = Math.max(0, clients - inV6 - outTw - outEst)

    const inbound = (localPort: number, n: number) => {
      for (let k = 0; k < n; k++) {
        const timeWait = rand() < pTw
        // Nearly every TIME_WAIT row is a client never seen before; live connections come from returning clients.
        const peer = timeWait && rand() < 0.95 ? FRESH + fresh++ : Math.floor(rand() * CLIENT_POOL)
        w.begin('TCP')
        w.ep4(LOCAL, localPort)
        w.next()
        w.ep4(publicIpv4(peer), clientPort(rand))
        w.next()
        w.end(timeWait ? 'TIME_WAIT' : 'ESTABLISHED', timeWait ? 0 : HTTP_SYS)
      }
    }

    w.snapshotHeader(t, 'en-US')
    for (const [port, pid] of LISTENERS) w.row('TCP', `0.0.0.0:${port}`, '0.0.0.0:0', 'LISTENING', pid)
    // Wildcard rows in the dynamic range, by port: RPC listeners and the leaked BOUND sockets.
    let r = 0
    for (const port of leakPorts) {
      for (; r < RPC.length && RPC[r]![0] < port; r++) w.row('TCP', `0.0.0.0:${RPC[r]![0]}`, '0.0.0.0:0', 'LISTENING', RPC[r]![1])
      w.begin('TCP')
      w.ep4(0, port)
      w.next()
      w.text('0.0.0.0:0')
      w.next()
      w.end('BOUND', LEAKER)
    }
    for (; r < RPC.length; r++) w.row('TCP', `0.0.0.0:${RPC[r]![0]}`, '0.0.0.0:0', 'LISTENING', RPC[r]![1])
    inbound(80, Math.round(inV4 * 0.15))
    w.row('TCP', '10.0.0.5:139', '0.0.0.0:0', 'LISTENING', HTTP_SYS)
    inbound(443, inV4 - Math.round(inV4 * 0.15))
    // Outbound from the local address, by local port: the pool, calls to a backend, their TIME_WAIT rows.
    const nOut = Math.min(outPort.length, SQL_POOL + outTw + outEst)
    for (let i = 0; i < SQL_POOL; i++) (outPort[i] = sqlPorts[i]!), (outKind[i] = 0)
    for (let i = SQL_POOL; i < nOut; i++) {
      do walk = walk >= 65535 ? 49152 : walk + 1
      while (used[walk])
      outPort[i] = walk
      outKind[i] = i < SQL_POOL + outTw ? 1 : 2
    }
    for (let i = 0; i < nOut; i++) order[i] = i
    const sorted = order.subarray(0, nOut).sort((a, b) => outPort[a]! - outPort[b]!)
    for (const i of sorted) {
      w.begin('TCP')
      w.ep4(LOCAL, outPort[i]!)
      w.next()
      if (outKind[i] === 0) w.ep4(SQL, 1433)
      else w.ep4(BACKEND + (outPort[i]! % 8), 443)
      w.next()
      if (outKind[i] === 1) w.end('TIME_WAIT', 0)
      else w.end('ESTABLISHED', W3WP)
    }
    for (const port of loopPorts) {
      w.row('TCP', `127.0.0.1:${port}`, `127.0.0.1:${port + 1}`, 'ESTABLISHED', 2480)
      w.row('TCP', `127.0.0.1:${port + 1}`, `127.0.0.1:${port}`, 'ESTABLISHED', 2480)
    }
    for (const [port, pid] of LISTENERS) w.row('TCP', `[::]:${port}`, '[::]:0', 'LISTENING', pid)
    for (let k = 0; k < inV6; k++) {
      const timeWait = rand() < pTw
      const peer = timeWait && rand() < 0.95 ? FRESH + fresh++ : Math.floor(rand() * CLIENT_POOL)
      w.begin('TCP')
      w.ep6(LOCAL6, 443)
      w.next()
      w.ep6(publicIpv6(peer, v6), clientPort(rand))
      w.next()
      w.end(timeWait ? 'TIME_WAIT' : 'ESTABLISHED', timeWait ? 0 : HTTP_SYS)
    }
    for (const [local, pid] of UDP4) w.row('UDP', local, '*:*', '', pid)
    for (const [local, pid] of UDP6) w.row('UDP', local, '*:*', '', pid)
    if (w.full) yield w.take()
  }
  const rest = w.take()
  if (rest.length > 0) yield rest
}
