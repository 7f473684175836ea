import {M_LADDR, M_LPORT, M_PID, M_RADDR, M_RPORT, MEMO_AUX, MEMO_FIELDS, type RowMemo, restoreRow} from '../formats/netstat/row-memo.js'
import type {ConnectionRecord} from './records.js'
import {grownTo, Scratch} from '../typed-arrays.js'
import {AddressTable} from './address-table.js'
import {IntTable} from './int-table.js'
import {isIpv6, isLoopback, isWildcard, V4_BASE} from './address-kinds.js'
import {Interner} from './interning.js'
import {inRange, type PortRange} from './port-ranges.js'
import {PortleakError} from '../errors.js'
import {kernelCall, kernelError, kernelInstance, type KernelMemory, writeStateWords} from '../formats/netstat/kernel.js'
import {KernelLane} from '../formats/netstat/kernel-lane.js'
import {checkedAddress, NOT_AN_ADDRESS} from '../formats/netstat/row.js'
import {PORTS_SLOT, SLOT_COUNT, STATE_SLOT, UDP_SLOT} from './slots.js'

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
/** Listening ports a summary keeps per process, and in all: enough to recognise a service, flat in memory. */
export const LISTEN_PER_SLOT = 4
export const LISTEN_CAP = 512
/** Endpoints a snapshot's summary keeps at most (the busiest; what the analysis tests is the top 30 over the file). */
export const REMOTE_CAP = 256
/** The address table is compacted once it holds this many ids (or four times what the last compaction kept). */
const ADDRESS_COMPACT_MIN = 1 << 13
// Remote endpoints are keyed (address word, remote port word, 0) in the kernel's per-snapshot tables,
// connection tuples (address word, remote port word, local port part): an IPv4 address is its 32-bit value
// (as int32) with V4_WORD set in the port word, another address its table id; the port word holds the port + 1.
const V4_WORD = 1 << 17
/** The address id behind words (a, b) of a key. */
const addrOfWords = (a: number, b: number) => (b & V4_WORD ? V4_BASE + (a >>> 0) : a)
const NO_OWNER = -1
// A remote endpoint's record in the kernel (kernel/aggregate.ts R_*): 8 words, its key's two words first,
// connections in word 4, owner in word 5; in pages of 2^R_PAGE_BITS records.
const R_WORDS = 8
const R_CONNS = 4
const R_OWNER = 5
const R_PAGE_BITS = 14
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
  // Process slot → PID and name id, in typed arrays grown by doubling (`slots` in use).
  private pids = new Float64Array(256)
  private nameIds = new Int32Array(256)
  private slots = 0
  private slotOf = new IntTable(256)
  /**
   * The per-row state (counters per slot, listeners, distinct ports, ports in use per local address, the
   * remote-endpoint and tuple tables of this snapshot and the one before, TIME_WAIT rows waiting for an
   * owner) lives in the compiled kernel (kernel/aggregate.ts); this side keeps what needs strings.
   */
  private k: AggregatorExports
  private memory: KernelMemory
  /**
   * The row lane (kernel/netstat.ts `lane`) that parses and aggregates plain rows into this aggregator, for
   * sinks whose rows only go here (InputSink.rowLane).
   */
  lane: KernelLane
  /** The kernel's snapshot generation (address ids are marked with it, see AddressTable.use). */
  private generation = 1
  /** This aggregator's tag in row memos' words (changes when address ids are renumbered). */
  private tag = nextTag++
  private maskRanges: PortRange[] = []
  private readonly rangeMask = new Uint32Array(65536)
  /** Address id → A_ bits (0 until asked). */
  private facts = new Uint8Array(256)
  /** ephemeralByAddress's buffers: a local address's place in the snapshot's order, and ports per place and range. */
  private readonly addressPlace = new Map<number, number>()
  private readonly addressCounts = new Scratch(Int32Array)
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
    const instance = kernelInstance({
      env: {laneAddressId: (start, end, loose) => this.laneAddressId(start, end, loose === 1), laneSlot: (pid) => this.slot(pid, null, false)},
    })
    this.k = instance.exports as AggregatorExports
    this.memory = this.k.memory
    this.lane = new KernelLane(this.k, {star: (id) => id, starFacts: (id) => this.addressFacts(id), ran: (out, star) => this.laneRan(out, star)})
    if (this.k.aggSlotLayout() !== (SLOT_COUNT | (PORTS_SLOT << 8)) || this.k.aggRemoteWords() !== (R_WORDS | (R_CONNS << 8) | (R_OWNER << 16) | (R_PAGE_BITS << 24))) {
      throw new PortleakError('the compiled netstat kernel is out of date', 'EIO', ["Run `npm run build:kernel` (or `npm install`) in portleak's folder."])
    }
    kernelCall(() => this.k.aggInit(SnapshotAggregator.tableCapacity))
    this.syncRange()
    // The row lane reads rows with the kernel's row reader: its state words, no last addresses.
    writeStateWords(new Uint8Array(this.memory.buffer), this.k.statesOffset())
    this.k.forget()
  }

  /**
   * Gives back what only reading needs, once every input is read: the kernel's memory (its tables sized for
   * the largest snapshot, 17 MB on a day of short-lived processes) and the slot lookup (an entry per process
   * the inputs named, 10 MB for 250,000). What the analysis reads stays: slots, names, endpoints, addresses.
   * A row, a snapshot or a slot asked for after this fails at once (on null): a caller's bug.
   */
  release(): void {
    this.k = null!
    this.memory = null!
    this.lane = null!
    this.slotOf = null!
  }

  /** The kernel counts distinct ports in the first tracked range (ranges can change between snapshots). */
  private syncRange(): void {
    const r = this.ranges[0]
    this.k.aggRange(r ? r.start : 0, r ? r.count : 0)
  }

  /** Each slot's PID (a view, not to be written; made again once slots are added). */
  get slotPid(): Float64Array {
    return this.pids.subarray(0, this.slots)
  }

  /** Each slot's name id in `processes` (a view, as `slotPid`). */
  get slotName(): Int32Array {
    return this.nameIds.subarray(0, this.slots)
  }

  /**
   * The slot of (pid, image name as written), made on first use. The row lane finds the slots of rows without
   * a name by PID: it is told of each (`tellLane`), unless the lane itself asked for it (and keeps it).
   */
  slot(pid: number, name: string | null, tellLane = true): number {
    const nameId = this.processes.id(name)
    const key = pid * 1048576 + nameId
    let s = this.slotOf.get(key)
    if (s < 0) {
      s = this.slots++
      if (s === this.pids.length) {
        this.pids = grownTo(this.pids, 2 * s)
        this.nameIds = grownTo(this.nameIds, 2 * s)
      }
      this.pids[s] = pid
      this.nameIds[s] = nameId
      this.slotOf.set(key, s)
      if (name === null && tellLane) kernelCall(() => this.k.aggSetPidSlot(pid, s))
    }
    return s
  }

  /** What a run of the lane (`lane`) says beyond its counts: `*` met, and the other addresses the rows used. */
  private laneRan(out: Int32Array, starId: number): void {
    if (out[3] === 1) this.addresses.use(starId, this.generation)
    // The ids of other addresses (IPv6) the rows used, each once per generation: what compaction keeps.
    const used = out[19]!
    if (used > 0) {
      const ids = new Int32Array(this.memory.buffer, this.k.laneUsed(), used)
      for (let i = 0; i < used; i++) this.addresses.use(ids[i]!, this.generation)
    }
  }

  /**
   * The lane's question (kernel/netstat.ts otherAddress) about an address it has not met, printable ASCII with
   * a colon at [start, end) of the kernel's memory: its id, as the row reader would key it (first seen, first
   * numbered), times 16 plus its facts (A_ bits); -1 when it is no address (the row is then the row reader's).
   * `loose`: the kernel found it to be what the row reader's check accepts first (LOOSE_V6), no need to check.
   */
  private laneAddressId(start: number, end: number, loose: boolean): number {
    const text = this.lane.text(start, end)
    const addr = loose ? text : checkedAddress(text)
    if (addr === NOT_AN_ADDRESS) return -1
    const id = this.addresses.id(addr, true)
    return id >= V4_BASE ? -1 : id * 16 + this.addressFacts(id)
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
    const g = this.generation
    this.addresses.use(laddr, g)
    this.addresses.use(raddr, g)
    let slot = -1
    // A TIME_WAIT row without a PID is given its owner when the snapshot ends (no slot of its own).
    if ((flags & F_TW) === 0 || pid > 0) {
      slot = at >= 0 ? aux![at + AUX_SLOT]! : -1
      if (slot < 0) {
        slot = this.slot(pid, process)
        if (at >= 0) aux![at + AUX_SLOT] = slot
      }
    }
    try {
      this.k.aggRow(flags, slot, pid, laddr, lport, raddr, rport, line)
    } catch (e) {
      throw kernelError(e)
    }
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

  /** Closes the snapshot and returns its summary. */
  end(): SnapshotSummary {
    const k = this.k
    const timeWait = this.attributeTimeWait()
    const nq = kernelCall(() => k.aggCounts())
    // Views of the kernel's memory: made after the calls that may grow it, read before the next one that may.
    const buf = this.memory.buffer
    const countQuads = new Int32Array(buf, k.aggCountsAt(), nq).slice()
    const {ephemeral, ephemeralAddr} = this.ephemeralByAddress(buf)
    const remotes: number[] = []
    const words = new Int32Array(buf)
    const often = metOften(words, buf, k.aggRemotes(0), k.aggRemotes(3))
    const floor = often.length / 2 > REMOTE_CAP ? this.busiestFloor(words, often) : null
    // Endpoints in the order this snapshot first met them (ids are handed out in that order).
    for (let i = 0; i < often.length; i += 2) {
      const d = often[i]!
      if (floor !== null && !floor.has(d)) continue
      const r = often[i + 1]!
      const owner = words[r + R_OWNER]!
      remotes.push(this.endpointOf(words, r), words[r + R_CONNS]!, Math.max(-1, owner === NO_OWNER ? k.aggPrevRemoteOwner(d) : owner))
    }
    const nListen = k.aggLength(0)
    const summary: SnapshotSummary = {
      rows: k.aggRows(),
      counts: countQuads,
      ephemeral,
      ephemeralAddr,
      remotes: Int32Array.from(remotes),
      timeWait,
      ...(nListen > 0 ? {listeners: new Int32Array(buf, k.aggAt(0), nListen).slice()} : {}),
    }
    this.reset()
    return summary
  }

  /** The endpoint id (in `endpoints`) of the remote endpoint whose record starts at word r of `words` (labels are made only for what summaries report). */
  private endpointOf(words: Int32Array, r: number): number {
    const b = words[r + 1]!
    return this.endpoints.id(endpointLabel(this.addresses.value(addrOfWords(words[r]!, b)) ?? '?', (b & (V4_WORD - 1)) - 1))
  }

  /**
   * The REMOTE_CAP busiest remote endpoints of this snapshot, by connections and then by label (so the
   * choice does not depend on the order ids were handed out in).
   */
  private busiestFloor(words: Int32Array, often: readonly number[]): Set<number> {
    const list: {d: number; v: number; label: string}[] = []
    for (let i = 0; i < often.length; i += 2) {
      const r = often[i + 1]!
      list.push({d: often[i]!, v: words[r + R_CONNS]!, label: this.endpoints.label(this.endpointOf(words, r))})
    }
    list.sort((a, b) => b.v - a.v || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
    return new Set(list.slice(0, REMOTE_CAP).map((x) => x.d))
  }

  private attributeTimeWait(): Record<Attribution, number> {
    const k = this.k
    const zero = k.aggTimeWaitRows() > 0 ? this.slot(0, null) : -1
    const tell = this.onTimeWait
    kernelCall(() => k.aggAttribute(zero, tell !== null))
    if (tell) {
      const n = k.aggTwOutLength()
      const told = new Int32Array(this.memory.buffer, k.aggTwOut(), n).slice()
      for (let i = 0; i < n; i += 3) {
        const slot = told[i + 1]!
        if (slot >= 0) tell(told[i]!, this.pids[slot]!, this.processes.values[this.nameIds[slot]!] ?? null, told[i + 2] === 1 ? 'remote-affinity' : 'lineage')
        else tell(told[i]!, -1, null, 'unattributed')
      }
    }
    return {owner: k.aggTw(0), lineage: k.aggTw(1), 'remote-affinity': k.aggTw(2), unattributed: k.aggTw(3)}
  }

  private ephemeralByAddress(buf: ArrayBufferLike): {ephemeral: Int32Array; ephemeralAddr: string[]} {
    const k = this.k
    const n = this.ranges.length
    const mask = this.rangeBits()
    const ephemeral = new Int32Array(n)
    const wildBits = [new Int32Array(buf, k.aggAt(4), 2048), new Int32Array(buf, k.aggAt(4) + 8192, 2048)]
    // The local addresses in the order the snapshot first met them (every one the pairs and hot sets name), and
    // per address, by that place, the ports in use in each tracked range: one buffer and one map kept between
    // snapshots, not an array per address (a proxy's snapshot holds thousands of local addresses).
    const order = new Float64Array(buf, k.aggAt(6), k.aggLength(6))
    const place = this.addressPlace
    place.clear()
    for (let j = 0; j < order.length; j++) place.set(order[j]!, j)
    const counts = this.addressCounts.take(order.length * n)
    counts.fill(0)
    const pairs = new Float64Array(buf, k.aggAt(1), k.aggLength(1))
    for (let j = 0; j < pairs.length; j += 2) {
      const addr = pairs[j]!
      const port = pairs[j + 1]!
      const fam = this.addressFacts(addr) & A_IPV6 ? 1 : 0
      if ((wildBits[fam]![port >>> 5]! & (1 << (port & 31))) !== 0) continue
      if (mask[port] !== 0 || n > 32) this.countIn(counts, place.get(addr)! * n, port, mask[port]!)
    }
    // Hot addresses (their ports in bit sets) are never among the pairs.
    const hotCount = k.aggLength(2)
    const hotAddr = new Float64Array(buf, k.aggAt(2), hotCount)
    const hotBits = new Int32Array(buf, k.aggAt(3), hotCount * 2048)
    for (let h = 0; h < hotCount; h++) {
      const addr = hotAddr[h]!
      const fam = this.addressFacts(addr) & A_IPV6 ? 1 : 0
      const at = place.get(addr)! * n
      this.ranges.forEach((r, i) => {
        counts[at + i] = hotPortsIn(hotBits, h, wildBits[fam]!, Math.min(65536, Math.max(0, r.start)), Math.max(0, Math.min(65536, r.start + r.count)))
      })
    }
    const wildIn = [new Int32Array(n), new Int32Array(n)]
    const wildTouched = new Int32Array(buf, k.aggAt(5), k.aggLength(5))
    for (let j = 0; j < wildTouched.length; j++) {
      const w = wildTouched[j]!
      const fam = w >= 65536 ? 1 : 0
      if (mask[w % 65536] !== 0 || n > 32) this.countIn(wildIn[fam]!, 0, w % 65536, mask[w % 65536]!)
    }
    // Per range, the address with the most (the first of equals, in the order met; the wildcards last), named
    // once it has won: a string per address met would be made for nothing.
    const winner = new Float64Array(n).fill(Number.NaN)
    for (let j = 0; j < order.length; j++) {
      const addr = order[j]!
      const wild = wildIn[this.addressFacts(addr) & A_IPV6 ? 1 : 0]!
      for (let r = 0; r < n; r++) {
        const total = counts[j * n + r]! + wild[r]!
        if (total > ephemeral[r]!) {
          ephemeral[r] = total
          winner[r] = addr
        }
      }
    }
    const ephemeralAddr: string[] = new Array(n).fill('')
    for (let r = 0; r < n; r++) if (!Number.isNaN(winner[r]!)) ephemeralAddr[r] = this.addresses.value(winner[r]!) ?? ''
    const consider = (label: string, wild: Int32Array) => {
      for (let r = 0; r < n; r++) {
        if (wild[r]! > ephemeral[r]!) {
          ephemeral[r] = wild[r]!
          ephemeralAddr[r] = label
        }
      }
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

  /** One more port in use, in c[at + r], for each tracked range r holding `port` (`bits` from rangeBits; past 32 ranges, compared). */
  private countIn(c: Int32Array, at: number, port: number, bits: number): void {
    const n = this.ranges.length
    for (let r = 0; r < n; r++) if (r < 32 ? bits & (1 << r) : inRange(this.ranges[r]!, port)) c[at + r]!++
  }

  private reset(): void {
    this.follow(kernelCall(() => this.k.aggReset()))
    this.syncRange()
    // Address ids only grow: renumber the ones the next snapshot can still look back to, now and then.
    if (this.addresses.size > this.addressCompactAt) this.compactAddresses()
  }

  /** The kernel's next generation `g` (as its u32): when it started again, address marks are forgotten. */
  private follow(g: number): void {
    const next = g >>> 0
    if (next < this.generation) {
      this.addresses.resetUse()
      // The lane's cached addresses say in which generation they were last marked.
      this.k.laneForgetAddresses()
    }
    this.generation = next
  }

  /**
   * Keeps the addresses of the snapshot that just ended and the one before, renumbered; the tables of
   * the snapshot that ended (what the next one looks back to) follow. Row memos' cached words are
   * invalidated (new tag); parsers holding address ids follow through the table's epoch.
   */
  private compactAddresses(): void {
    const was = this.generation - 1
    const amap = this.addresses.compact(was - 1)
    // Twice what is kept, not more: a snapshot of tens of thousands of fresh IPv6 peers keeps that many strings
    // (and map entries) live, and four times as many before the next renumbering took a worker past its heap.
    this.addressCompactAt = Math.max(SnapshotAggregator.addressCompactMin, this.addresses.size * 2)
    remap(this.facts, amap, this.addresses.size)
    const at = kernelCall(() => this.k.aggScratch(amap.length))
    new Int32Array(this.memory.buffer, at, amap.length).set(amap)
    this.k.aggRekey(was)
    this.k.laneForgetAddresses()
    this.tag = nextTag++
  }

  /** Sizes of the tables that carry over between snapshots (tests hold them to a bound). */
  footprint(): {addresses: number; remotes: number; tuples: number; endpoints: number; slots: number; kernelBytes: number; kernelTop: number; kernelHanded: number} {
    const k = this.k
    return {
      addresses: this.addresses.size,
      remotes: k.aggSize(0, 0) + k.aggSize(0, 1),
      tuples: k.aggSize(1, 0) + k.aggSize(1, 1),
      endpoints: this.endpoints.labels.length,
      slots: this.slots,
      kernelBytes: this.memory.buffer.byteLength,
      kernelTop: this.k.aggHeapTop(),
      kernelHanded: this.k.aggHeapHanded(),
    }
  }

  /** Forgets the tuple state carried between snapshots (a new input starts). */
  newInput(): void {
    // Two generations on: nothing is in this snapshot or the one before any more.
    this.follow(this.k.aggNextGeneration())
    this.follow(this.k.aggNextGeneration())
    this.syncRange()
  }
}

/** Ports hot address h uses in [start, end) (0 ≤ start ≤ end ≤ 65536) that no wildcard bind of the family (`wild`) holds. */
function hotPortsIn(bits: Int32Array, h: number, wild: Int32Array, start: number, end: number): number {
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

/**
 * The snapshot's remote endpoints met at least REMOTE_MIN times, as pairs (id, where its record starts in
 * `words`, the kernel's memory as words), in id order: `met` records in pages of 2^R_PAGE_BITS whose addresses
 * are at `pagesAt`. A busy server's snapshot meets thousands of endpoints once each: one pass, no call per record.
 */
function metOften(words: Int32Array, buf: ArrayBuffer, pagesAt: number, met: number): number[] {
  const per = 1 << R_PAGE_BITS
  const pages = new Uint32Array(buf, pagesAt, Math.ceil(met / per))
  const out: number[] = []
  for (let p = 0, d = 0; d < met; p++) {
    const stop = Math.min(met, d + per)
    for (let r = pages[p]! >>> 2; d < stop; d++, r += R_WORDS) if (words[r + R_CONNS]! >= REMOTE_MIN) out.push(d, r)
  }
  return out
}

/** The aggregator's part of the compiled kernel (kernel/aggregate.ts). */
type AggregatorExports = {
  memory: KernelMemory
  aggSlotLayout(): number
  aggRemoteWords(): number
  aggInit(capacity: number): void
  aggRange(start: number, count: number): void
  aggRow(flags: number, slot: number, pid: number, laddr: number, lport: number, raddr: number, rport: number, line: number): void
  aggPrevRemoteOwner(d: number): number
  aggTimeWaitRows(): number
  aggAttribute(zero: number, record: boolean): void
  aggTw(which: number): number
  aggTwOut(): number
  aggTwOutLength(): number
  aggCounts(): number
  aggCountsAt(): number
  aggRows(): number
  aggAt(which: number): number
  aggLength(which: number): number
  aggRemotes(which: number): number
  aggSize(which: number, parity: number): number
  aggHeapTop(): number
  aggHeapHanded(): number
  aggReset(): number
  aggNextGeneration(): number
  aggScratch(n: number): number
  aggRekey(was: number): void
  aggSetPidSlot(pid: number, slot: number): void
  statesOffset(): number
  forget(): void
  inputArea(size: number): number
  lane(start: number, end: number, line: number, starId: number, starFacts: number, flushFirst: boolean, owners: boolean): number
  laneOut(): number
  laneLearn(start: number, end: number, pid: number, line: number): void
  laneUsed(): number
  laneForgetAddresses(): void
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
