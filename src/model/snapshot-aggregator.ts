import type {ConnectionRecord} from '../parsers/types.js'
import {IntTable} from './int-table.js'
import {
  EPHEMERAL_SLOT,
  Interner,
  inRange,
  isIpv6,
  isLoopback,
  isWildcard,
  PORTS_SLOT,
  type PortRange,
  SLOT_COUNT,
  STATE_SLOT,
  TW_AFFINITY_SLOT,
  TW_ATTRIBUTED_SLOT,
  UDP_SLOT,
} from './slots.js'

export type Attribution = 'owner' | 'lineage' | 'remote-affinity' | 'unattributed'

/** What one snapshot leaves behind: small, no rows. */
export type SnapshotSummary = {
  rows: number
  /** Quads (processSlot, counterSlot, count, firstLine) for every nonzero counter. */
  counts: Int32Array
  /** Per tracked range (same order as the aggregator's ranges): highest dynamic ports in use on one address. */
  ephemeral: Int32Array
  ephemeralAddr: string[]
  /** Triples (remoteEndpointId, connections, owner slot or -1) for endpoints with at least REMOTE_MIN connections. */
  remotes: Int32Array
  timeWait: Record<Attribution, number>
}

const REMOTE_MIN = 3
// Tuple keys pack (remote address id, remote port, local port) into one safe integer.
const tupleKey = (raddr: number, rport: number, lport: number) => (raddr * 65536 + rport) * 65536 + lport
const remoteKey = (raddr: number, rport: number) => raddr * 65536 + rport
const NO_OWNER = -1
const AMBIGUOUS = -2

/**
 * Aggregates the rows of one snapshot at a time (any input that has snapshots). Allocation-free per
 * row apart from Map/Set entries; state carried between snapshots is one snapshot of tuples back,
 * which is what TIME_WAIT lineage needs.
 */
export class SnapshotAggregator {
  readonly processes = new Interner()
  readonly addresses = new Interner()
  /** Process slot → [pid, nameId]. */
  readonly slotPid: number[] = []
  readonly slotName: number[] = []
  private readonly slotOf = new IntTable(256)
  private cur = new Int32Array(64 * SLOT_COUNT)
  private curLine = new Int32Array(64 * SLOT_COUNT)
  private touched: number[] = []
  private readonly touchedMark: Uint8Array[] = [new Uint8Array(64)]
  private readonly portSeen = new IntTable(16_384)
  /** Ports in use per local address this snapshot: a stamp array and the list of ports, per address id. */
  private readonly addrPorts = new Map<number, {stamp: Uint32Array; ports: number[]}>()
  private addrTouched: number[] = []
  private lastAddr = -1
  private lastAddrPorts: {stamp: Uint32Array; ports: number[]} | null = null
  private readonly wild = [new Uint8Array(65536), new Uint8Array(65536)]
  private readonly wildCount = [0, 0]
  private wildTouched: number[] = []
  /** Connections per remote endpoint this snapshot, with the slot that owns them (second value). */
  private remoteCount = new IntTable(16_384)
  /** Distinct ports per process: owner slot per (proto, port) this snapshot; collisions go to `portSeen`. */
  private readonly portGen = new Uint32Array(131_072)
  private readonly portSlot = new Int32Array(131_072)
  private generation = 1
  private owners = new IntTable(16_384)
  private prevOwners = new IntTable(16_384)
  private prevRemoteOwners = new IntTable(16_384)
  private twAttr = new IntTable(16_384)
  private prevTwAttr = new IntTable(16_384)
  private readonly twTuples: number[] = []
  private readonly twLines: number[] = []
  private rows = 0
  private ownedTimeWait = 0

  constructor(readonly ranges: PortRange[]) {}

  slot(pid: number, name: string | null): number {
    const nameId = this.processes.id(name)
    const key = pid * 1048576 + nameId
    let s = this.slotOf.get(key)
    if (s < 0) {
      s = this.slotPid.length
      this.slotPid.push(pid)
      this.slotName.push(nameId)
      this.slotOf.set(key, s)
      if ((s + 1) * SLOT_COUNT > this.cur.length) {
        const grow = (a: Int32Array) => {
          const b = new Int32Array(a.length * 2)
          b.set(a)
          return b
        }
        this.cur = grow(this.cur)
        this.curLine = grow(this.curLine)
        const mark = new Uint8Array(this.cur.length / SLOT_COUNT)
        mark.set(this.touchedMark[0]!)
        this.touchedMark[0] = mark
      }
    }
    return s
  }

  private bump(slot: number, counter: number, line: number, by = 1): void {
    const i = slot * SLOT_COUNT + counter
    if (this.cur[i] === 0) this.curLine[i] = line
    this.cur[i] = this.cur[i]! + by
    const mark = this.touchedMark[0]!
    if (mark[slot] === 0) {
      mark[slot] = 1
      this.touched.push(slot)
    }
  }

  connection(r: ConnectionRecord): void {
    this.rows++
    const tw = r.state === 'TIME_WAIT'
    const laddr = r.localAddrId !== undefined && r.localAddrId >= 0 ? r.localAddrId : this.addresses.id(r.localAddr)
    const raddr = r.remoteAddrId !== undefined && r.remoteAddrId >= 0 ? r.remoteAddrId : this.addresses.id(r.remoteAddr)
    if (tw && r.pid <= 0) {
      // The owner let go: attribute at the end of the snapshot, when all rows are known.
      this.twTuples.push(tupleKey(raddr, r.remotePort, r.localPort))
      this.twLines.push(r.line)
      this.countEphemeral(r, laddr)
      this.countLoopbackPeer(r, raddr)
      if (r.remotePort >= 0) this.remoteCount.countOwner(remoteKey(raddr, r.remotePort), -1)
      return
    }
    const slot = this.slot(r.pid, r.process)
    this.bump(slot, r.state === null ? UDP_SLOT : STATE_SLOT[r.state], r.line)
    if (tw) this.ownedTimeWait++
    if (r.localPort >= 0 && r.localPort < 65536 && !tw && this.newPort(slot, r.proto === 'UDP' ? 1 : 0, r.localPort)) {
      this.bump(slot, PORTS_SLOT, r.line)
      if (this.ranges.length > 0 && inRange(this.ranges[0]!, r.localPort)) this.bump(slot, EPHEMERAL_SLOT, r.line)
    }
    if (r.proto === 'TCP') {
      this.countEphemeral(r, laddr)
      if (r.state !== 'LISTENING' && r.state !== 'BOUND' && r.remotePort >= 0) {
        this.remoteCount.countOwner(remoteKey(raddr, r.remotePort), r.pid > 0 ? slot : -1)
        if (r.pid > 0) this.owners.set(tupleKey(raddr, r.remotePort, r.localPort), slot)
      }
    }
  }

  /** True the first time this snapshot that `slot` holds (proto, port). Exact: collisions between slots fall back to a set. */
  private newPort(slot: number, udp: number, port: number): boolean {
    const k = udp * 65536 + port
    if (this.portGen[k] !== this.generation) {
      this.portGen[k] = this.generation
      this.portSlot[k] = slot
      return true
    }
    const first = this.portSlot[k]!
    if (first === slot) return false
    // Two processes on one port (different local addresses): track both exactly.
    this.portSeen.insert((first * 2 + udp) * 65536 + port)
    return this.portSeen.insert((slot * 2 + udp) * 65536 + port)
  }

  /** A local port in use on its address (TCP; wildcard binds count for every address of the family). */
  private countEphemeral(r: ConnectionRecord, laddr: number): void {
    if (r.proto !== 'TCP' || r.localPort < 0 || r.state === 'LISTENING') return
    if (isWildcard(r.localAddr)) {
      const fam = isIpv6(r.localAddr) ? 1 : 0
      const w = this.wild[fam]!
      if (w[r.localPort] === 0) {
        w[r.localPort] = 1
        this.wildCount[fam]!++
        this.wildTouched.push(fam * 65536 + r.localPort)
      }
    } else this.usePort(laddr, r.localPort)
  }

  private usePort(addr: number, port: number): void {
    let a = this.lastAddr === addr ? this.lastAddrPorts : this.addrPorts.get(addr)
    if (!a) this.addrPorts.set(addr, (a = {stamp: new Uint32Array(65536), ports: []}))
    this.lastAddr = addr
    this.lastAddrPorts = a
    if (a.stamp[port] === this.generation) return
    if (a.ports.length === 0) this.addrTouched.push(addr)
    a.stamp[port] = this.generation
    a.ports.push(port)
  }

  /** Same-host TIME_WAIT: when this host was also the client, its ephemeral port is the foreign one. */
  private countLoopbackPeer(r: ConnectionRecord, raddr: number): void {
    if (r.remotePort < 0 || !(isLoopback(r.remoteAddr) || r.remoteAddr === r.localAddr)) return
    if (r.remotePort < 65536) this.usePort(raddr, r.remotePort)
  }

  /** Closes the snapshot and returns its summary. */
  end(): SnapshotSummary {
    const timeWait = this.attributeTimeWait()
    const counts: number[] = []
    for (const slot of this.touched) {
      for (let c = 0; c < SLOT_COUNT; c++) {
        const i = slot * SLOT_COUNT + c
        const v = this.cur[i]!
        if (v !== 0) counts.push(slot, c, v, this.curLine[i]!)
        this.cur[i] = 0
      }
      this.touchedMark[0]![slot] = 0
    }
    const {ephemeral, ephemeralAddr} = this.ephemeralByAddress()
    const remotes: number[] = []
    this.remoteCount.forEach((k, v) => {
      if (v < REMOTE_MIN) return
      const owner = this.remoteCount.getSecond(k, NO_OWNER)
      remotes.push(k, v, Math.max(-1, owner === NO_OWNER ? this.prevRemoteOwners.getSecond(k, NO_OWNER) : owner))
    })
    const summary: SnapshotSummary = {
      rows: this.rows,
      counts: Int32Array.from(counts),
      ephemeral,
      ephemeralAddr,
      remotes: Int32Array.from(remotes),
      timeWait,
    }
    this.reset()
    return summary
  }

  private attributeTimeWait(): Record<Attribution, number> {
    const out: Record<Attribution, number> = {owner: this.ownedTimeWait, lineage: 0, 'remote-affinity': 0, unattributed: 0}
    const zero = this.twTuples.length > 0 ? this.slot(0, null) : -1
    for (let i = 0; i < this.twTuples.length; i++) {
      const tk = this.twTuples[i]!
      const line = this.twLines[i]!
      // A TIME_WAIT row seen in the previous snapshot keeps the owner (and method) it was given then.
      const carried = this.prevTwAttr.get(tk, NO_OWNER)
      let slot = carried === NO_OWNER ? NO_OWNER : carried >> 1
      let how: Attribution = carried !== NO_OWNER && (carried & 1) === 1 ? 'remote-affinity' : 'lineage'
      if (slot < 0) {
        slot = this.prevOwners.get(tk, NO_OWNER)
        if (slot < 0) slot = this.owners.get(tk, NO_OWNER)
        if (slot < 0) {
          const rk = Math.floor(tk / 65536)
          const a = this.remoteCount.getSecond(rk, NO_OWNER)
          const b = this.prevRemoteOwners.getSecond(rk, NO_OWNER)
          const owner = a === NO_OWNER ? b : b === NO_OWNER || b === a ? a : AMBIGUOUS
          if (owner >= 0) {
            slot = owner
            how = 'remote-affinity'
          }
        }
      }
      if (slot >= 0) {
        this.bump(slot, STATE_SLOT.TIME_WAIT, line)
        this.bump(slot, TW_ATTRIBUTED_SLOT, line)
        if (how === 'remote-affinity') this.bump(slot, TW_AFFINITY_SLOT, line)
        this.twAttr.set(tk, slot * 2 + (how === 'remote-affinity' ? 1 : 0))
        out[how]++
      } else {
        this.bump(zero, STATE_SLOT.TIME_WAIT, line)
        out.unattributed++
      }
    }
    return out
  }

  private ephemeralByAddress(): {ephemeral: Int32Array; ephemeralAddr: string[]} {
    const n = this.ranges.length
    const ephemeral = new Int32Array(n)
    const ephemeralAddr: string[] = new Array(n).fill('')
    const perAddr = new Map<number, Int32Array>()
    for (const addr of this.addrTouched) {
      const fam = isIpv6(this.addresses.value(addr) ?? '') ? 1 : 0
      const c = new Int32Array(n)
      for (const port of this.addrPorts.get(addr)!.ports) {
        if (this.wild[fam]![port] === 1) continue
        for (let r = 0; r < n; r++) if (inRange(this.ranges[r]!, port)) c[r]!++
      }
      perAddr.set(addr, c)
    }
    const wildIn = [new Int32Array(n), new Int32Array(n)]
    for (const k of this.wildTouched) {
      const fam = k >= 65536 ? 1 : 0
      for (let r = 0; r < n; r++) if (inRange(this.ranges[r]!, k % 65536)) wildIn[fam]![r]!++
    }
    const consider = (label: string, counts: Int32Array) => {
      for (let r = 0; r < n; r++) {
        if (counts[r]! > ephemeral[r]!) {
          ephemeral[r] = counts[r]!
          ephemeralAddr[r] = label
        }
      }
    }
    for (const [addr, c] of perAddr) {
      const value = this.addresses.value(addr) ?? ''
      const fam = isIpv6(value) ? 1 : 0
      const total = c.map((v, r) => v + wildIn[fam]![r]!)
      consider(value, total)
    }
    consider('0.0.0.0', wildIn[0]!)
    consider('::', wildIn[1]!)
    return {ephemeral, ephemeralAddr}
  }

  private reset(): void {
    this.rows = 0
    this.ownedTimeWait = 0
    this.touched = []
    for (const addr of this.addrTouched) this.addrPorts.get(addr)!.ports.length = 0
    this.addrTouched = []
    for (const k of this.wildTouched) this.wild[k >= 65536 ? 1 : 0]![k % 65536] = 0
    this.wildTouched = []
    this.wildCount[0] = 0
    this.wildCount[1] = 0
    // Swap and clear instead of allocating: these maps hold a snapshot's worth of tuples, and new ones
    // every snapshot would be promoted to the old generation and pile up as garbage.
    // The remote table of this snapshot becomes the previous one (its owners serve TIME_WAIT affinity).
    ;[this.prevRemoteOwners, this.remoteCount] = [this.remoteCount, this.prevRemoteOwners]
    this.remoteCount.clear()
    ;[this.prevOwners, this.owners] = [this.owners, this.prevOwners]
    this.owners.clear()
    this.portSeen.clear()
    if (++this.generation === 0xffffffff) {
      this.portGen.fill(0)
      for (const a of this.addrPorts.values()) a.stamp.fill(0)
      this.generation = 1
    }
    ;[this.prevTwAttr, this.twAttr] = [this.twAttr, this.prevTwAttr]
    this.twAttr.clear()
    this.twTuples.length = 0
    this.twLines.length = 0
  }

  /** Forgets the tuple state carried between snapshots (a new input starts). */
  newInput(): void {
    for (const m of [this.owners, this.prevOwners, this.remoteCount, this.prevRemoteOwners, this.twAttr, this.prevTwAttr]) m.clear()
  }
}
