import {M_LADDR, M_LPORT, M_PID, M_RADDR, M_RPORT, MEMO_AUX, MEMO_FIELDS, type RowMemo, restoreRow} from '../formats/netstat/row-memo.js'
import type {ConnectionRecord} from './records.js'
import {grownTo, IntList, NumberList} from '../typed-arrays.js'
import {AddressTable} from './address-table.js'
import {IntTable} from './int-table.js'
import {isIpv6, isLoopback, isWildcard, V4_BASE} from './address-kinds.js'
import {Interner} from './interning.js'
import {inRange, type PortRange} from './port-ranges.js'
import {SnapshotIds} from './snapshot-ids.js'
import {EPHEMERAL_SLOT, PORTS_SLOT, SLOT_COUNT, STATE_SLOT, TW_AFFINITY_SLOT, TW_ATTRIBUTED_SLOT, UDP_SLOT} from './slots.js'

export type Attribution = 'owner' | 'lineage' | 'remote-affinity' | 'unattributed'

/** What one snapshot leaves behind: small, no rows. */
export type SnapshotSummary = {
  rows: number
  /** Quads (processSlot, counterSlot, count, firstLine) for every nonzero counter. */
  counts: Int32Array
  /** Per tracked range (same order as the aggregator's ranges): highest dynamic ports in use on one address. */
  ephemeral: Int32Array
  ephemeralAddr: string[]
  /**
   * Triples (endpoint, connections, owner slot or -1) for the busiest endpoints with at least REMOTE_MIN
   * connections (REMOTE_CAP at most); endpoint is an id in the aggregator's `endpoints`.
   */
  remotes: Int32Array
  timeWait: Record<Attribution, number>
  /**
   * Pairs (process slot, local port) of the ports each process listens on (TCP LISTENING, distinct), at most
   * LISTEN_PER_SLOT per process and LISTEN_CAP in all: what joins a restarted service to its new PID. Absent when none.
   */
  listeners?: Int32Array
}

/** The summary of a snapshot with no rows (or whose rows were not aggregated). */
export const EMPTY_SUMMARY: SnapshotSummary = {
  rows: 0,
  counts: new Int32Array(0),
  ephemeral: new Int32Array(0),
  ephemeralAddr: [],
  remotes: new Int32Array(0),
  timeWait: {owner: 0, lineage: 0, 'remote-affinity': 0, unattributed: 0},
}

const REMOTE_MIN = 3
/** Local addresses per snapshot whose ports in use are kept in bit sets (see `usePort`). */
const HOT_ADDRESSES = 8
/** Listening ports a summary keeps per process, and in all: enough to recognise a service, flat in memory. */
export const LISTEN_PER_SLOT = 4
export const LISTEN_CAP = 512
/** Endpoints a snapshot's summary keeps at most (the busiest; what the analysis tests is the top 30 over the file). */
export const REMOTE_CAP = 256
/** The address table is compacted once it holds this many ids (or four times what the last compaction kept). */
const ADDRESS_COMPACT_MIN = 1 << 16
// A port (or -1 for none) as 0…65536; values past 65535 (malformed) count as none.
const portPart = (port: number) => (port < 0 || port > 65535 ? 0 : port + 1)
// Remote endpoints are keyed (address word, remote port word, 0) in SnapshotIds, connection tuples (address
// word, remote port word, local port part): an IPv4 address is its 32-bit value (as int32) with V4_WORD set in
// the port word, another address its table id.
const V4_WORD = 1 << 17
const addrWord = (addr: number) => (addr >= V4_BASE ? (addr - V4_BASE) | 0 : addr)
const portWord = (addr: number, port: number) => (addr >= V4_BASE ? portPart(port) | V4_WORD : portPart(port))
/** The address id behind words (a, b) of a key. */
const addrOfWords = (a: number, b: number) => (b & V4_WORD ? V4_BASE + (a >>> 0) : a)
const NO_OWNER = -1
const AMBIGUOUS = -2
// Address facts cached per memoised row (bits of the row's flags word).
const F_WILD = 1
const F_WILD6 = 2
const F_LOOP_PEER = 4
// State facts in the same word: TIME_WAIT, LISTENING, no remote end that counts (LISTENING/BOUND), UDP.
const F_TW = 8
const F_LISTEN = 16
const F_NO_REMOTE = 32
const F_UDP = 64
// Facts about one address (per address id).
const A_KNOWN = 1
const A_WILD = 2
const A_IPV6 = 4
const A_LOOPBACK = 8
// The MEMO_AUX words an aggregator caches per memoised row: its tag (the words are valid while it is this
// aggregator's), the row's process slot (-1: not known yet), its flags word.
const AUX_TAG = 0
const AUX_SLOT = 1
const AUX_FLAGS = 2
/** The row's counter slot (state or UDP) sits above the flag bits. */
const COUNTER_SHIFT = 8
/** Tags for the values an aggregator caches in a row memo's words; a new tag invalidates them all. */
let nextTag = 1

/** Labels (`addr:port`, `[v6]:port`) of the remote endpoints that snapshot summaries report, by id. */
export class EndpointTable {
  private readonly ids = new Map<string, number>()
  readonly labels: string[] = []

  id(label: string): number {
    let id = this.ids.get(label)
    if (id === undefined) {
      id = this.labels.length
      this.labels.push(label)
      this.ids.set(label, id)
    }
    return id
  }

  label(id: number): string {
    return this.labels[id] ?? '?'
  }
}

/** `addr:port`, with IPv6 addresses in brackets. */
export const endpointLabel = (addr: string, port: number) => `${addr.includes(':') ? `[${addr}]` : addr}:${port}`

/**
 * Aggregates the rows of one snapshot at a time (any input that has snapshots). Allocation-free per
 * row apart from new table entries. Memory is bounded by what one snapshot holds, whatever the
 * file's length or the number of distinct peers over it: remote endpoints and connection tuples live in
 * tables of one snapshot each (this one's and the one before, what TIME_WAIT lineage needs), emptied
 * for the snapshot after next; address ids not used since are given back and the rest renumbered now
 * and then (see `compactAddresses`).
 */
export class SnapshotAggregator {
  readonly processes = new Interner()
  readonly addresses = new AddressTable()
  /** The remote endpoints summaries report (strings are made only for these). */
  readonly endpoints = new EndpointTable()
  /** Process slot → [pid, nameId]. */
  readonly slotPid: number[] = []
  readonly slotName: number[] = []
  private readonly slotOf = new IntTable(256)
  private cur = new Int32Array(64 * SLOT_COUNT)
  private curLine = new Int32Array(64 * SLOT_COUNT)
  private readonly touched = new IntList()
  private touchedMark = new Uint8Array(64)
  /** This snapshot's (slot, port) listeners, and how many each slot has (cleared from the list at `end`). */
  private readonly listenRows = new IntList()
  private listenPerSlot = new Uint8Array(64)
  private readonly portSeen = new IntTable(16_384)
  /** (address id, port) pairs in use this snapshot: the set, and the pairs in the order first met. */
  private readonly addrPortSeen = new IntTable(16_384)
  private readonly addrPorts = new NumberList()
  /**
   * The first HOT_ADDRESSES local addresses of a snapshot (a server has a few) keep their ports in use in
   * a bit set each (8 KB), the others in `addrPortSeen`: most rows test and set a bit instead of hashing.
   */
  private readonly hotAddr = new Float64Array(HOT_ADDRESSES).fill(-1)
  private readonly hotBits = new Int32Array(HOT_ADDRESSES * 2048)
  private hotCount = 0
  private lastHot = 0
  /** Ports of wildcard binds (0.0.0.0, ::) this snapshot, a bit set per family (counted a word at a time). */
  private readonly wildBits = [new Int32Array(2048), new Int32Array(2048)]
  /** Local addresses in the order this snapshot first met them (hot or not), and the set of the others. */
  private readonly addrOrder = new NumberList()
  private readonly addrSeen = new IntTable(1024)
  private readonly wildTouched = new IntList()
  /** Distinct ports per process: owner slot per (proto, port) this snapshot; collisions go to `portSeen`. */
  private readonly portGen = new Uint32Array(131_072)
  private readonly portSlot = new Int32Array(131_072)
  private generation = 1
  /**
   * Remote endpoints and connection tuples, per snapshot: index [generation & 1] is this snapshot's, the
   * other the previous one's (valid while `tableGen` says it served generation - 1). Per id: connections
   * and owner slot (NO_OWNER, AMBIGUOUS) of an endpoint; owner slot and TIME_WAIT attribution (slot × 2 +
   * 1 for remote affinity) of a tuple.
   */
  private readonly remotes: SnapshotIds[]
  private readonly remoteConns: Int32Array[]
  private readonly remoteOwner: Int32Array[]
  private readonly tuples: SnapshotIds[]
  private readonly tupleOwner: Int32Array[]
  private readonly tupleAttr: Int32Array[]
  private readonly tableGen = [0, 1]
  /** This aggregator's tag in row memos' words (changes when address ids are renumbered). */
  private tag = nextTag++
  /** TIME_WAIT rows without an owner this snapshot: tuple id, remote endpoint id (-1: none), line. */
  private readonly twRows = new IntList()
  /** Where `end` builds the summary's arrays before copying them out. */
  private readonly scratch = new IntList()
  private maskRanges: PortRange[] = []
  private readonly rangeMask = new Uint32Array(65536)
  /** Address id → A_ bits (0 until asked). */
  private facts = new Uint8Array(256)
  private rows = 0
  private ownedTimeWait = 0
  /**
   * Told how each TIME_WAIT row without an owner of its own was attributed, when the snapshot ends
   * (`export --connections`); pid -1 when unattributed. Null (the default) costs nothing.
   */
  onTimeWait: ((line: number, pid: number, name: string | null, how: Attribution) => void) | null = null

  private addressCompactAt: number
  /** Endpoints and tuples the per-snapshot tables have room for at first (they grow; lowered by tests to exercise that). */
  static tableCapacity = 1 << 14
  /** Addresses are renumbered once the table holds this many (lowered by tests to exercise it). */
  static addressCompactMin = ADDRESS_COMPACT_MIN

  constructor(readonly ranges: PortRange[]) {
    this.addressCompactAt = SnapshotAggregator.addressCompactMin
    const n = SnapshotAggregator.tableCapacity
    const two = <T>(make: () => T) => [make(), make()]
    this.remotes = two(() => new SnapshotIds(n))
    this.tuples = two(() => new SnapshotIds(n))
    this.remoteConns = two(() => new Int32Array(n))
    this.remoteOwner = two(() => new Int32Array(n))
    this.tupleOwner = two(() => new Int32Array(n))
    this.tupleAttr = two(() => new Int32Array(n))
  }

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
        this.cur = grownTo(this.cur, this.cur.length * 2)
        this.curLine = grownTo(this.curLine, this.curLine.length * 2)
        this.touchedMark = grownTo(this.touchedMark, this.cur.length / SLOT_COUNT)
      }
    }
    return s
  }

  private bump(slot: number, counter: number, line: number, by = 1): void {
    const i = slot * SLOT_COUNT + counter
    if (this.cur[i] === 0) this.curLine[i] = line
    this.cur[i] = this.cur[i]! + by
    const mark = this.touchedMark
    if (mark[slot] === 0) {
      mark[slot] = 1
      this.touched.push(slot)
    }
  }

  connection(r: ConnectionRecord): void {
    const laddr = r.localAddrId !== undefined && r.localAddrId >= 0 ? r.localAddrId : this.addresses.id(r.localAddr)
    const raddr = r.remoteAddrId !== undefined && r.remoteAddrId >= 0 ? r.remoteAddrId : this.addresses.id(r.remoteAddr)
    // A row the parser has seen in the last snapshot carries words to cache what is derived from it here.
    const aux = r.memoAux
    if (aux !== undefined && r.memoEntry !== undefined && r.memoEntry >= 0 && r.process === null) {
      const at = r.memoEntry * MEMO_AUX
      if (aux[at + AUX_TAG] !== this.tag) {
        aux[at + AUX_TAG] = this.tag
        aux[at + AUX_SLOT] = -1
        aux[at + AUX_FLAGS] = this.rowFlags(r, laddr, raddr)
      }
      this.add(aux[at + AUX_FLAGS]!, r.pid, null, laddr, r.localPort, raddr, r.remotePort, r.line, aux, at)
    } else this.add(this.rowFlags(r, laddr, raddr), r.pid, r.process, laddr, r.localPort, raddr, r.remotePort, r.line, undefined, -1)
  }

  /**
   * The row `memo` holds as `entry` (see RecordSink.carried), owned by image `process` when an owner line
   * named one: from the words cached for it when it has them (its slot only when no name came with it).
   */
  carried(memo: RowMemo, entry: number, line: number, process: string | null = null): void {
    const aux = memo.aux
    const at = entry * MEMO_AUX
    const f = memo.fields
    const b = entry * MEMO_FIELDS
    const laddr = f[b + M_LADDR]!
    const raddr = f[b + M_RADDR]!
    if (laddr < 0 || raddr < 0 || (aux[at + AUX_TAG] !== this.tag && process === null)) {
      this.connection(restoreRow(memo, entry, line, process))
      return
    }
    if (aux[at + AUX_TAG] !== this.tag) {
      aux[at + AUX_TAG] = this.tag
      aux[at + AUX_SLOT] = -1
      aux[at + AUX_FLAGS] = this.rowFlags(restoreRow(memo, entry, line, process), laddr, raddr)
    }
    if (process === null) this.add(aux[at + AUX_FLAGS]!, f[b + M_PID]!, null, laddr, f[b + M_LPORT]!, raddr, f[b + M_RPORT]!, line, aux, at)
    else this.add(aux[at + AUX_FLAGS]!, f[b + M_PID]!, process, laddr, f[b + M_LPORT]!, raddr, f[b + M_RPORT]!, line, undefined, -1)
  }

  /** One row: its flags word, fields, and (at ≥ 0) the memo words caching its slot. */
  private add(flags: number, pid: number, process: string | null, laddr: number, lport: number, raddr: number, rport: number, line: number, aux: Int32Array | undefined, at: number): void {
    this.rows++
    const g = this.generation
    this.addresses.use(laddr, g)
    this.addresses.use(raddr, g)
    const tw = (flags & F_TW) !== 0
    if (tw && pid <= 0) {
      // The owner let go: attribute at the end of the snapshot, when all rows are known.
      const a = addrWord(raddr)
      const b = portWord(raddr, rport)
      const remote = rport >= 0 ? this.countRemote(a, b, -1) : -1
      this.twRows.push3(this.tupleOf(a, b, portPart(lport)), remote, line)
      this.countEphemeral(lport, laddr, flags)
      if (flags & F_LOOP_PEER && rport < 65536) this.usePort(raddr, rport)
      return
    }
    let slot = at >= 0 ? aux![at + AUX_SLOT]! : -1
    if (slot < 0) {
      slot = this.slot(pid, process)
      if (at >= 0) aux![at + AUX_SLOT] = slot
    }
    this.bump(slot, flags >> COUNTER_SHIFT, line)
    if (tw) this.ownedTimeWait++
    if (flags & F_LISTEN && (flags & F_UDP) === 0 && lport >= 0 && lport < 65536) this.listener(slot, lport)
    if (lport >= 0 && lport < 65536 && !tw && this.newPort(slot, flags & F_UDP ? 1 : 0, lport)) {
      this.bump(slot, PORTS_SLOT, line)
      if (this.ranges.length > 0 && inRange(this.ranges[0]!, lport)) this.bump(slot, EPHEMERAL_SLOT, line)
    }
    if ((flags & F_UDP) === 0) {
      this.countEphemeral(lport, laddr, flags)
      if ((flags & F_NO_REMOTE) === 0 && rport >= 0) {
        const a = addrWord(raddr)
        const b = portWord(raddr, rport)
        this.countRemote(a, b, pid > 0 ? slot : -1)
        if (pid > 0) {
          // The id first: a new one may grow (replace) the owner array.
          const t = this.tupleOf(a, b, portPart(lport))
          this.tupleOwner[this.generation & 1]![t] = slot
        }
      }
    }
  }

  /** A port `slot` listens on, kept while the slot has fewer than LISTEN_PER_SLOT and the snapshot fewer than LISTEN_CAP. */
  private listener(slot: number, port: number): void {
    if (slot >= this.listenPerSlot.length) this.listenPerSlot = grownTo(this.listenPerSlot, Math.max(slot + 1, this.listenPerSlot.length * 2))
    const have = this.listenPerSlot[slot]!
    if (have >= LISTEN_PER_SLOT || this.listenRows.length >= 2 * LISTEN_CAP) return
    const a = this.listenRows.a
    // IPv4 and IPv6 wildcard listeners on one port are one service port: kept once.
    if (have > 0) for (let k = 0; k < this.listenRows.length; k += 2) if (a[k] === slot && a[k + 1] === port) return
    this.listenRows.push(slot)
    this.listenRows.push(port)
    this.listenPerSlot[slot] = have + 1
  }

  /** Everything the aggregator derives from a row's own fields, in one word (cached per memoised row). */
  private rowFlags(r: ConnectionRecord, laddr: number, raddr: number): number {
    let f = this.addressFlags(r, laddr, raddr)
    if (r.proto === 'UDP') f |= F_UDP
    if (r.state === 'TIME_WAIT') f |= F_TW
    if (r.state === 'LISTENING') f |= F_LISTEN | F_NO_REMOTE
    if (r.state === 'BOUND') f |= F_NO_REMOTE
    return f | ((r.state === null ? UDP_SLOT : STATE_SLOT[r.state]) << COUNTER_SHIFT)
  }

  private addressFlags(r: ConnectionRecord, laddr: number, raddr: number): number {
    let f = 0
    const local = this.addressFacts(laddr)
    if (local & A_WILD) f |= local & A_IPV6 ? F_WILD | F_WILD6 : F_WILD
    if (r.remotePort >= 0 && (this.addressFacts(raddr) & A_LOOPBACK || raddr === laddr)) f |= F_LOOP_PEER
    return f
  }

  /**
   * What the aggregator asks of an address (A_ bits), worked out once per address id: from its IPv4 value
   * (no string is made for a peer), else from its string in the table.
   */
  private addressFacts(id: number): number {
    if (id >= V4_BASE) {
      const v4 = id - V4_BASE
      return A_KNOWN | (v4 === 0 ? A_WILD : 0) | (v4 >= 0x7f000000 && v4 < 0x80000000 ? A_LOOPBACK : 0)
    }
    let a = id < this.facts.length ? this.facts[id]! : 0
    if (a === 0) {
      const addr = this.addresses.value(id) ?? ''
      a = A_KNOWN | (isWildcard(addr) ? A_WILD : 0) | (isIpv6(addr) ? A_IPV6 : 0) | (isLoopback(addr) ? A_LOOPBACK : 0)
      if (id >= this.facts.length) this.facts = grownTo(this.facts, Math.max(id + 1, this.facts.length * 2))
      this.facts[id] = a
    }
    return a
  }

  /** This snapshot's id of tuple (remote address and port words, local port part), no owner yet when new. */
  private tupleOf(a: number, b: number, lp: number): number {
    const p = this.generation & 1
    const ids = this.tuples[p]!
    const t = ids.id(a, b, lp)
    if (ids.added) {
      if (t >= this.tupleOwner[p]!.length) {
        this.tupleOwner[p] = grownTo(this.tupleOwner[p]!, t * 2)
        this.tupleAttr[p] = grownTo(this.tupleAttr[p]!, t * 2)
      }
      this.tupleOwner[p]![t] = NO_OWNER
      this.tupleAttr[p]![t] = NO_OWNER
    }
    return t
  }

  /**
   * One more connection to remote endpoint (address and port words); its owner is the first slot seen, or
   * AMBIGUOUS once two differ. Returns the endpoint's id in this snapshot's table.
   */
  private countRemote(a: number, b: number, owner: number): number {
    const p = this.generation & 1
    const ids = this.remotes[p]!
    const d = ids.id(a, b, 0)
    if (ids.added) {
      if (d >= this.remoteConns[p]!.length) {
        this.remoteConns[p] = grownTo(this.remoteConns[p]!, d * 2)
        this.remoteOwner[p] = grownTo(this.remoteOwner[p]!, d * 2)
      }
      this.remoteConns[p]![d] = 1
      this.remoteOwner[p]![d] = owner >= 0 ? owner : NO_OWNER
      return d
    }
    this.remoteConns[p]![d]!++
    if (owner < 0) return d
    const owners = this.remoteOwner[p]!
    const o = owners[d]!
    owners[d] = o === NO_OWNER || o === owner ? owner : AMBIGUOUS
    return d
  }

  /** The previous snapshot's table (0 remotes, 1 tuples) and id of a key, or -1 when it did not have it. */
  private previous(which: 0 | 1, a: number, b: number, c: number): number {
    const q = (this.generation - 1) & 1
    if (this.tableGen[q] !== this.generation - 1) return -1
    return (which === 0 ? this.remotes : this.tuples)[q]!.find(a, b, c)
  }

  /** The owner of this snapshot's remote endpoint d in the snapshot before, else NO_OWNER. */
  private previousRemoteOwner(d: number): number {
    const ids = this.remotes[this.generation & 1]!
    const e = this.previous(0, ids.keyA(d), ids.keyB(d), 0)
    return e < 0 ? NO_OWNER : this.remoteOwner[(this.generation - 1) & 1]![e]!
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
  private countEphemeral(lport: number, laddr: number, flags: number): void {
    if (flags & (F_UDP | F_LISTEN) || lport < 0 || lport > 65535) return
    if (flags & F_WILD) {
      const fam = flags & F_WILD6 ? 1 : 0
      const w = this.wildBits[fam]!
      const bit = 1 << (lport & 31)
      if ((w[lport >>> 5]! & bit) === 0) {
        w[lport >>> 5]! |= bit
        this.wildTouched.push(fam * 65536 + lport)
      }
    } else this.usePort(laddr, lport)
  }

  /** A port (0…65535) in use on local address `addr` this snapshot: pairs are kept once, in the order first met. */
  private usePort(addr: number, port: number): void {
    let h = this.lastHot
    if (this.hotAddr[h] !== addr) {
      h = -1
      for (let k = 0; k < this.hotCount; k++) {
        if (this.hotAddr[k] === addr) {
          h = k
          break
        }
      }
      if (h < 0 && this.hotCount < HOT_ADDRESSES) {
        h = this.hotCount++
        this.hotAddr[h] = addr
        this.addrOrder.push(addr)
      }
      if (h >= 0) this.lastHot = h
    }
    if (h >= 0) {
      this.hotBits[h * 2048 + (port >>> 5)]! |= 1 << (port & 31)
      return
    }
    if (!this.addrPortSeen.insert(addr * 65536 + port)) return
    if (this.addrSeen.insert(addr)) this.addrOrder.push(addr)
    this.addrPorts.push(addr)
    this.addrPorts.push(port)
  }

  /** Ports hot address h uses in [start, end) (0 ≤ start ≤ end ≤ 65536) that no wildcard bind of family `fam` holds. */
  private hotPortsIn(h: number, fam: number, start: number, end: number): number {
    const bits = this.hotBits
    const wild = this.wildBits[fam]!
    const base = h * 2048
    let n = 0
    for (let p = start; p < end; ) {
      const w = p >>> 5
      const lo = p & 31
      const hi = Math.min(32, end - (w << 5))
      // Bits lo…hi−1 of word w.
      const mask = (hi === 32 ? -1 : (1 << hi) - 1) & ~((1 << lo) - 1)
      n += popcount(bits[base + w]! & ~wild[w]! & mask)
      p = (w + 1) << 5
    }
    return n
  }

  /** Closes the snapshot and returns its summary. */
  end(): SnapshotSummary {
    const timeWait = this.attributeTimeWait()
    const counts = this.scratch
    counts.clear()
    const touched = this.touched
    for (let k = 0; k < touched.length; k++) {
      const slot = touched.a[k]!
      for (let c = 0; c < SLOT_COUNT; c++) {
        const i = slot * SLOT_COUNT + c
        const v = this.cur[i]!
        if (v === 0) continue
        counts.push3(slot, c, v)
        counts.push(this.curLine[i]!)
        this.cur[i] = 0
      }
      this.touchedMark[slot] = 0
    }
    const countQuads = counts.a.slice(0, counts.length)
    const {ephemeral, ephemeralAddr} = this.ephemeralByAddress()
    const remotes = this.scratch
    remotes.clear()
    const p = this.generation & 1
    const conns = this.remoteConns[p]!
    const met = this.remotes[p]!.size
    let reported = 0
    for (let d = 0; d < met; d++) if (conns[d]! >= REMOTE_MIN) reported++
    const floor = reported > REMOTE_CAP ? this.busiestFloor(conns) : null
    // Endpoints in the order this snapshot first met them (ids are handed out in that order).
    for (let d = 0; d < met; d++) {
      const v = conns[d]!
      if (v < REMOTE_MIN || (floor !== null && !floor.has(d))) continue
      const owner = this.remoteOwner[p]![d]!
      remotes.push3(this.endpointOf(d), v, Math.max(-1, owner === NO_OWNER ? this.previousRemoteOwner(d) : owner))
    }
    const listen = this.listenRows
    const summary: SnapshotSummary = {
      rows: this.rows,
      counts: countQuads,
      ephemeral,
      ephemeralAddr,
      remotes: remotes.a.slice(0, remotes.length),
      timeWait,
      ...(listen.length > 0 ? {listeners: listen.a.slice(0, listen.length)} : {}),
    }
    this.reset()
    return summary
  }

  /** The endpoint id (in `endpoints`) of this snapshot's remote endpoint d (labels are made only for what summaries report). */
  private endpointOf(d: number): number {
    const ids = this.remotes[this.generation & 1]!
    const b = ids.keyB(d)
    return this.endpoints.id(endpointLabel(this.addresses.value(addrOfWords(ids.keyA(d), b)) ?? '?', (b & (V4_WORD - 1)) - 1))
  }

  /**
   * The REMOTE_CAP busiest remote endpoints of this snapshot, by connections and then by label (so the
   * choice does not depend on the order ids were handed out in).
   */
  private busiestFloor(conns: Int32Array): Set<number> {
    const list: {d: number; v: number; label: string}[] = []
    for (let d = 0; d < this.remotes[this.generation & 1]!.size; d++) {
      if (conns[d]! >= REMOTE_MIN) list.push({d, v: conns[d]!, label: this.endpoints.label(this.endpointOf(d))})
    }
    list.sort((a, b) => b.v - a.v || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
    return new Set(list.slice(0, REMOTE_CAP).map((x) => x.d))
  }

  private attributeTimeWait(): Record<Attribution, number> {
    const out: Record<Attribution, number> = {owner: this.ownedTimeWait, lineage: 0, 'remote-affinity': 0, unattributed: 0}
    const rows = this.twRows.a
    const nRows = this.twRows.length
    const zero = nRows > 0 ? this.slot(0, null) : -1
    const p = this.generation & 1
    const q = p ^ 1
    const tuples = this.tuples[p]!
    for (let i = 0; i < nRows; i += 3) {
      const t = rows[i]!
      const remote = rows[i + 1]!
      const line = rows[i + 2]!
      // A TIME_WAIT row seen in the previous snapshot keeps the owner (and method) it was given then.
      const before = this.previous(1, tuples.keyA(t), tuples.keyB(t), tuples.keyC(t))
      const carried = before >= 0 ? this.tupleAttr[q]![before]! : NO_OWNER
      let slot = carried === NO_OWNER ? NO_OWNER : carried >> 1
      let how: Attribution = carried !== NO_OWNER && (carried & 1) === 1 ? 'remote-affinity' : 'lineage'
      if (slot < 0) {
        slot = before >= 0 ? this.tupleOwner[q]![before]! : NO_OWNER
        if (slot < 0) slot = this.tupleOwner[p]![t]!
        if (slot < 0 && remote >= 0) {
          const a = this.remoteOwner[p]![remote]!
          const b = this.previousRemoteOwner(remote)
          const owner = a === NO_OWNER ? b : b === NO_OWNER || b === a ? a : AMBIGUOUS
          if (owner >= 0) {
            slot = owner
            how = 'remote-affinity'
          }
        }
      }
      if (this.onTimeWait) {
        if (slot >= 0) this.onTimeWait(line, this.slotPid[slot]!, this.processes.values[this.slotName[slot]!] ?? null, how)
        else this.onTimeWait(line, -1, null, 'unattributed')
      }
      if (slot >= 0) {
        this.bump(slot, STATE_SLOT.TIME_WAIT, line)
        this.bump(slot, TW_ATTRIBUTED_SLOT, line)
        if (how === 'remote-affinity') this.bump(slot, TW_AFFINITY_SLOT, line)
        this.tupleAttr[p]![t] = slot * 2 + (how === 'remote-affinity' ? 1 : 0)
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
    const mask = this.rangeBits()
    const ephemeral = new Int32Array(n)
    const ephemeralAddr: string[] = new Array(n).fill('')
    // Per local address: ports in use in each tracked range (hot addresses from their bit sets).
    const perAddr = new Map<number, Int32Array>()
    const pairs = this.addrPorts
    for (let j = 0; j < pairs.length; j += 2) {
      const addr = pairs.a[j]!
      const port = pairs.a[j + 1]!
      let c = perAddr.get(addr)
      if (c === undefined) perAddr.set(addr, (c = new Int32Array(n)))
      const fam = this.addressFacts(addr) & A_IPV6 ? 1 : 0
      if ((this.wildBits[fam]![port >>> 5]! & (1 << (port & 31))) !== 0) continue
      if (mask[port] !== 0 || n > 32) this.countIn(c, port, mask[port]!)
    }
    for (let h = 0; h < this.hotCount; h++) {
      const addr = this.hotAddr[h]!
      const fam = this.addressFacts(addr) & A_IPV6 ? 1 : 0
      perAddr.set(
        addr,
        Int32Array.from(this.ranges, (r) => this.hotPortsIn(h, fam, Math.min(65536, Math.max(0, r.start)), Math.max(0, Math.min(65536, r.start + r.count)))),
      )
    }
    const wildIn = [new Int32Array(n), new Int32Array(n)]
    const wildTouched = this.wildTouched
    for (let j = 0; j < wildTouched.length; j++) {
      const k = wildTouched.a[j]!
      const fam = k >= 65536 ? 1 : 0
      if (mask[k % 65536] !== 0 || n > 32) this.countIn(wildIn[fam]!, k % 65536, mask[k % 65536]!)
    }
    const consider = (label: string, counts: Int32Array) => {
      for (let r = 0; r < n; r++) {
        if (counts[r]! > ephemeral[r]!) {
          ephemeral[r] = counts[r]!
          ephemeralAddr[r] = label
        }
      }
    }
    // In the order the snapshot first met the addresses (ties go to the first).
    for (let k = 0; k < this.addrOrder.length; k++) {
      const addr = this.addrOrder.a[k]!
      const c = perAddr.get(addr)!
      const value = this.addresses.value(addr) ?? ''
      const fam = this.addressFacts(addr) & A_IPV6 ? 1 : 0
      const total = c.map((v, r) => v + wildIn[fam]![r]!)
      consider(value, total)
    }
    consider('0.0.0.0', wildIn[0]!)
    consider('::', wildIn[1]!)
    return {ephemeral, ephemeralAddr}
  }

  /** Per port, bit r set when the port is in tracked range r < 32 (rebuilt when the ranges change). */
  private rangeBits(): Uint32Array {
    const rs = this.ranges
    const known = this.maskRanges
    if (rs.length !== known.length || rs.some((r, i) => r.start !== known[i]!.start || r.count !== known[i]!.count)) {
      this.maskRanges = rs.map((r) => ({...r}))
      this.rangeMask.fill(0)
      rs.slice(0, 32).forEach((r, i) => {
        for (let port = Math.max(0, r.start); port < Math.min(65536, r.start + r.count); port++) this.rangeMask[port]! |= 1 << i
      })
    }
    return this.rangeMask
  }

  /** One more port in use in each tracked range holding `port` (`bits` from rangeBits; past 32 ranges, compared). */
  private countIn(c: Int32Array, port: number, bits: number): void {
    const n = this.ranges.length
    for (let r = 0; r < n; r++) if (r < 32 ? bits & (1 << r) : inRange(this.ranges[r]!, port)) c[r]!++
  }

  private reset(): void {
    this.rows = 0
    this.ownedTimeWait = 0
    this.touched.clear()
    for (let k = 0; k < this.listenRows.length; k += 2) this.listenPerSlot[this.listenRows.a[k]!] = 0
    this.listenRows.clear()
    this.addrPortSeen.clear()
    this.hotBits.fill(0, 0, this.hotCount * 2048)
    this.addrOrder.clear()
    this.addrSeen.clear()
    this.hotAddr.fill(-1)
    this.hotCount = 0
    this.addrPorts.clear()
    for (let j = 0; j < this.wildTouched.length; j++) {
      const k = this.wildTouched.a[j]!
      this.wildBits[k >= 65536 ? 1 : 0]![(k % 65536) >>> 5] = 0
    }
    this.wildTouched.clear()
    this.portSeen.clear()
    this.twRows.clear()
    this.nextGeneration()
    // Address ids only grow: renumber the ones the next snapshot can still look back to, now and then.
    if (this.addresses.size > this.addressCompactAt) this.compactAddresses()
  }

  private nextGeneration(): void {
    if (++this.generation === 0xffffffff) {
      this.portGen.fill(0)
      this.addresses.resetUse()
      this.generation = 2
    }
    const p = this.generation & 1
    this.remotes[p]!.begin()
    this.tuples[p]!.begin()
    this.tableGen[p] = this.generation
  }

  /**
   * Keeps the addresses of the snapshot that just ended and the one before, renumbered; the tables of
   * the snapshot that ended (what the next one looks back to) follow. Row memos' cached words are
   * invalidated (new tag); parsers holding address ids follow through the table's epoch.
   */
  private compactAddresses(): void {
    const was = this.generation - 1
    const amap = this.addresses.compact(was - 1)
    this.addressCompactAt = Math.max(SnapshotAggregator.addressCompactMin, this.addresses.size * 4)
    remap(this.facts, amap, this.addresses.size)
    const q = was & 1
    if (this.tableGen[q] === was) {
      this.remotes[q]!.rekeyA(amap, V4_WORD)
      this.tuples[q]!.rekeyA(amap, V4_WORD)
    }
    this.tag = nextTag++
  }

  /** Sizes of the tables that carry over between snapshots (tests hold them to a bound). */
  footprint(): {addresses: number; remotes: number; tuples: number; endpoints: number; slots: number} {
    return {
      addresses: this.addresses.size,
      remotes: this.remotes[0]!.size + this.remotes[1]!.size,
      tuples: this.tuples[0]!.size + this.tuples[1]!.size,
      endpoints: this.endpoints.labels.length,
      slots: this.slotPid.length,
    }
  }

  /** Forgets the tuple state carried between snapshots (a new input starts). */
  newInput(): void {
    // Two generations on: nothing is in this snapshot or the one before any more.
    this.nextGeneration()
    this.nextGeneration()
  }
}

/**
 * Moves the values of `a` to their new ids (`map[old]`, -1 for dropped; `size` new ids), in place (a
 * renumbering in order only moves values towards the front); past the new ids, `a` is cleared.
 */
function remap(a: Uint8Array, map: Int32Array, size: number): void {
  for (let i = 0; i < map.length; i++) {
    const j = map[i]!
    if (j >= 0 && j < a.length) a[j] = i < a.length ? a[i]! : 0
  }
  a.fill(0, size)
}

/** Set bits of a 32-bit word. */
function popcount(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555)
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24
}
