/**
 * Small `netstat -anoq` loops whose cost lies in how many distinct things they name, not in their
 * size: many local addresses (a proxy that sends from one source address per tenant), and short-lived
 * processes (a scheduled job or script host started every few seconds). Streams chunks of bytes.
 */
import {prng} from './loop.js'
import {ipv4, NetstatWriter} from './netstat-writer.js'

const START = Date.UTC(2024, 2, 4, 0, 0, 0)
const LISTENERS: readonly (readonly [number, number])[] = [[135, 1012], [445, 4], [3389, 1180], [5985, 4]]
const UDP: readonly (readonly [string, number])[] = [['0.0.0.0:123', 1320], ['0.0.0.0:5353', 1648], ['[::]:123', 1320], ['[::]:5353', 1648]]

function listeners(w: NetstatWriter): void {
  for (const [port, pid] of LISTENERS) w.row('TCP', `0.0.0.0:${port}`, '0.0.0.0:0', 'LISTENING', pid)
}

function udp(w: NetstatWriter): void {
  for (const [local, pid] of UDP) w.row('UDP', local, '*:*', '', pid)
}

export type LocalAddressesOptions = {
  seed: number
  snapshots: number
  /** Distinct local addresses over the loop (20,000), added evenly, each in use for `lifetime` snapshots. */
  addresses?: number
  lifetime?: number
}

/** Local addresses 10.20.0.0 upwards, each with one connection out of it to one of a few upstreams. */
export function* localAddressesLoop(o: LocalAddressesOptions): Generator<Buffer> {
  const rand = prng(o.seed)
  const total = o.addresses ?? 20_000
  const lifetime = o.lifetime ?? 2
  const base = ipv4('10.20.0.0')
  const upstream = ipv4('10.0.1.20')
  const port = new Uint16Array(total)
  for (let i = 0; i < total; i++) port[i] = 49152 + Math.floor(rand() * 16384)
  const w = new NetstatWriter()
  for (let snap = 0; snap < o.snapshots; snap++) {
    const to = Math.min(total, Math.round((total * (snap + 1)) / o.snapshots))
    const from = Math.max(0, Math.round((total * (snap + 1 - lifetime)) / o.snapshots))
    w.snapshotHeader(START + snap * 60_000 + Math.floor(rand() * 1500), 'en-US')
    listeners(w)
    for (let i = from; i < to; i++) {
      w.begin('TCP')
      w.ep4(base + i, port[i]!)
      w.next()
      w.ep4(upstream + (i % 4), 443)
      w.next()
      w.end('ESTABLISHED', 2840)
    }
    udp(w)
    if (w.full) yield w.take()
  }
  const rest = w.take()
  if (rest.length > 0) yield rest
}

export type ShortLivedOptions = {
  seed: number
  /** 8,640: a day of 10-second snapshots. */
  snapshots: number
  interval?: number
  /** Mean new processes per snapshot (1.5), each with 1–3 connections for 1–3 snapshots. */
  perSnapshot?: number
}

type Job = {pid: number; ports: number[]; until: number}

/**
 * A machine that starts a new process or two every snapshot, each making a few connections and exiting;
 * their sockets linger as PID 0 TIME_WAIT rows for 240 s. About 40 other rows are steady.
 */
export function* shortLivedLoop(o: ShortLivedOptions): Generator<Buffer> {
  const rand = prng(o.seed)
  const interval = (o.interval ?? 10) * 1000
  const perSnapshot = o.perSnapshot ?? 1.5
  const local = ipv4('10.0.0.5')
  const api = ipv4('10.0.3.10')
  const steady = Array.from({length: 24}, (_, i) => [49200 + i * 7, ipv4(`10.0.1.${20 + (i % 6)}`), 2480 + (i % 3) * 4] as const)
  const jobs: Job[] = []
  const timeWait: {port: number; until: number}[] = []
  let nextPid = 10_000
  let nextPort = 50_000
  let owed = 0
  const w = new NetstatWriter()
  for (let snap = 0; snap < o.snapshots; snap++) {
    const t = START + snap * interval + Math.floor(rand() * 900)
    while (timeWait.length > 0 && timeWait[0]!.until <= t) timeWait.shift()
    for (let i = jobs.length - 1; i >= 0; i--) {
      if (jobs[i]!.until > snap) continue
      for (const port of jobs[i]!.ports) timeWait.push({port, until: t + 240_000})
      jobs.splice(i, 1)
    }
    for (owed += perSnapshot * (0.5 + rand()); owed >= 1; owed--) {
      const ports = Array.from({length: 1 + Math.floor(rand() * 3)}, () => (nextPort = nextPort >= 65535 ? 50_000 : nextPort + 1))
      // PIDs are multiples of 4; a new one for every start (Windows reuses them only after many thousands).
      jobs.push({pid: (nextPid += 4), ports, until: snap + 1 + Math.floor(rand() * 3)})
    }
    w.snapshotHeader(t, 'en-US')
    listeners(w)
    for (const [port, remote, pid] of steady) {
      w.begin('TCP')
      w.ep4(local, port)
      w.next()
      w.ep4(remote, 1433)
      w.next()
      w.end('ESTABLISHED', pid)
    }
    // Ports are handed out in increasing order, so TIME_WAIT rows (older) come before live ones but for wrap-around.
    for (const tw of timeWait) {
      w.begin('TCP')
      w.ep4(local, tw.port)
      w.next()
      w.ep4(api, 443)
      w.next()
      w.end('TIME_WAIT', 0)
    }
    for (const job of jobs) {
      for (const port of job.ports) {
        w.begin('TCP')
        w.ep4(local, port)
        w.next()
        w.ep4(api, 443)
        w.next()
        w.end('ESTABLISHED', job.pid)
      }
    }
    udp(w)
    if (w.full) yield w.take()
  }
  const rest = w.take()
  if (rest.length > 0) yield rest
}
