// The per-row state of src/model/snapshot-aggregator.ts (AssemblyScript, compiled into the same module as
// kernel/netstat.ts by `npm run build:kernel`): per process slot counters, listeners, distinct ports per
// process, ports in use per local address, and the two-generation remote-endpoint and connection-tuple
// tables that TIME_WAIT attribution looks back into. The TypeScript side keeps what needs strings (process
// slots, the address table, endpoint labels) and hands this numbers: a slot, an address id as an f64
// (IPv4: V4_BASE + value, past 2^32), ports, a line.
//
// Memory is the runtime's bump heap (`--runtime stub`) with a list of given-back blocks (kernel/memory.ts): every
// table here is allocated once and grown when one snapshot needs more, so what is held is bounded by the largest
// snapshot (a grown table's old block is reused by the next that grows, when it fits; the endpoint and tuple
// records sit in pages that never move, so only their indexes leave blocks behind: one snapshot of 2 million
// fresh peers holds about 60 bytes of heap per peer), but for what is kept per process slot the
// file names: its number in this snapshot (4 bytes) and, for a PID without an image name, its entry in the
// PID table (below). Nothing is allocated per row otherwise.

import {alloc, allocZeroed, free, grow, heapHanded, heapTop} from './memory'

// Counter slots (src/model/slots.ts; the wrapper checks them against aggSlotCount): one per TCP state
// (TIME_WAIT is the third), UDP, then the derived series.
const TIME_WAIT_SLOT = 2
const PORTS_SLOT = 14
const EPHEMERAL_SLOT = PORTS_SLOT + 1
const TW_ATTRIBUTED_SLOT = EPHEMERAL_SLOT + 1
const TW_AFFINITY_SLOT = TW_ATTRIBUTED_SLOT + 1
const SLOT_COUNT = TW_AFFINITY_SLOT + 1

/** Counter slots per process this kernel was built for (and where PORTS sits, times 256). */
export function aggSlotLayout(): i32 {
  return SLOT_COUNT | (PORTS_SLOT << 8)
}

// Row flags (src/model/snapshot-aggregator.ts).
const F_WILD = 1
const F_WILD6 = 2
const F_LOOP_PEER = 4
const F_TW = 8
const F_LISTEN = 16
const F_NO_REMOTE = 32
const F_UDP = 64
const COUNTER_SHIFT = 8

const NO_OWNER = -1
const AMBIGUOUS = -2
const HOT_ADDRESSES = 8
const LISTEN_PER_SLOT = 4
const LISTEN_CAP = 512
const V4_BASE: i64 = 0x100000000
const V4_WORD: i32 = 1 << 17

/** A growable list of 32-bit words. */
class List32 {
  ptr: usize = 0
  len: i32 = 0
  cap: i32 = 0
  constructor(cap: i32) {
    this.ptr = alloc(<usize>cap << 2)
    this.cap = cap
  }
  @inline push(v: i32): void {
    if (this.len == this.cap) this.grow(this.len + 1)
    store<i32>(this.ptr + (<usize>this.len << 2), v)
    this.len++
  }
  grow(n: i32): void {
    let c = this.cap * 2
    if (c < n) c = n
    this.ptr = grow(this.ptr, <usize>this.cap << 2, <usize>c << 2, false)
    this.cap = c
  }
  @inline at(i: i32): i32 {
    return load<i32>(this.ptr + (<usize>i << 2))
  }
}

/** A growable list of f64 values (address ids: IPv4 ones pass 2^32). */
class ListF64 {
  ptr: usize = 0
  len: i32 = 0
  cap: i32 = 0
  constructor(cap: i32) {
    this.ptr = alloc(<usize>cap << 3)
    this.cap = cap
  }
  @inline push(v: f64): void {
    if (this.len == this.cap) {
      this.ptr = grow(this.ptr, <usize>this.cap << 3, <usize>this.cap << 4, false)
      this.cap *= 2
    }
    store<f64>(this.ptr + (<usize>this.len << 3), v)
    this.len++
  }
}

@inline function hashKey(key: i64): u32 {
  let h = (<u32>key ^ (<u32>(key >>> 32) * 0x9e3779b1)) * 0x85ebca6b
  h ^= h >>> 13
  h *= 0xc2b2ae35
  return h ^ (h >>> 16)
}

/** A set of non-negative 64-bit keys, emptied in O(1) by a stamp. */
class KeySet {
  keys: usize = 0
  stamps: usize = 0
  mask: i32 = 0
  stamp: u32 = 1
  size: i32 = 0
  constructor(capacity: i32) {
    let cap = 16
    while (cap < capacity * 2) cap <<= 1
    this.alloc(cap)
  }
  private alloc(cap: i32): void {
    this.keys = alloc(<usize>cap << 3)
    this.stamps = allocZeroed(<usize>cap << 2)
    this.mask = cap - 1
  }
  /** Adds key; true when it was not there. */
  insert(key: i64): bool {
    const mask = this.mask
    const stamp = this.stamp
    let i = <i32>hashKey(key) & mask
    for (;;) {
      const s = load<u32>(this.stamps + (<usize>i << 2))
      if (s != stamp) break
      if (load<i64>(this.keys + (<usize>i << 3)) == key) return false
      i = (i + 1) & mask
    }
    store<u32>(this.stamps + (<usize>i << 2), stamp)
    store<i64>(this.keys + (<usize>i << 3), key)
    if (++this.size * 2 > mask) this.grow()
    return true
  }
  private grow(): void {
    const oldKeys = this.keys
    const oldStamps = this.stamps
    const oldCap = this.mask + 1
    const stamp = this.stamp
    this.alloc(oldCap * 2)
    const mask = this.mask
    for (let j = 0; j < oldCap; j++) {
      if (load<u32>(oldStamps + (<usize>j << 2)) != stamp) continue
      const key = load<i64>(oldKeys + (<usize>j << 3))
      let i = <i32>hashKey(key) & mask
      while (load<u32>(this.stamps + (<usize>i << 2)) == stamp) i = (i + 1) & mask
      store<u32>(this.stamps + (<usize>i << 2), stamp)
      store<i64>(this.keys + (<usize>i << 3), key)
    }
    free(oldStamps, <usize>oldCap << 2)
    free(oldKeys, <usize>oldCap << 3)
  }
  clear(): void {
    this.size = 0
    if (++this.stamp == 0) {
      memory.fill(this.stamps, 0, <usize>(this.mask + 1) << 2)
      this.stamp = 1
    }
  }
}

@inline function hash3(a: i32, b: i32, c: i32): u32 {
  let h = <u32>a * 0x9e3779b1 ^ (<u32>b ^ 0x7f4a7c15) * 0x85ebca6b ^ (<u32>c ^ 0x165667b1) * 0xc2b2ae35
  h ^= h >>> 15
  h *= 0x2c1b3c6d
  return h ^ (h >>> 12)
}

@inline function slotsFor(n: i32): i32 {
  let cap = 16
  while (cap < n * 2) cap <<= 1
  return cap
}

// Records per page of an Ids table.
const PAGE_BITS = 14
const PAGE_MASK = (1 << PAGE_BITS) - 1

/**
 * Dense ids 0, 1, 2… for keys (a, b, c) in the order one snapshot first met them, emptied in O(1)
 * (`begin`). Index slots of 8 bytes (stamp << 16 | 16 hash bits, id); one record of `words` 32-bit words per
 * id: the key's three words, then the values (`get`/`set` word w ≥ 3), so an id's words share a cache line.
 * Records sit in pages of 2^PAGE_BITS that never move: a table grown by doubling and copying leaves its old
 * blocks behind, each too small for the next growth (one snapshot of 2 million fresh peers: the heap's top at
 * twice the live tables). Only the index still doubles, and the pages fill the blocks it leaves.
 */
class Ids {
  index: usize = 0
  mask: i32 = 0
  stamp: u32 = 1
  size: i32 = 0
  /** Page addresses (u32 each), `pageCap` of room. */
  pages: usize = 0
  pageCap: i32 = 0
  cap: i32 = 0
  stride: usize = 0
  added: bool = false
  hit: i32 = -1
  tag: u32 = 0
  /** A count of the owner's, emptied with the ids (the remotes tables count their inline tuples in it). */
  extra: i32 = 0
  constructor(capacity: i32, words: i32) {
    const slots = slotsFor(capacity)
    this.index = allocZeroed(<usize>slots << 3)
    this.mask = slots - 1
    this.stride = <usize>words << 2
    this.pageCap = 16
    this.pages = alloc(<usize>this.pageCap << 2)
    while (this.cap < capacity) this.addPage()
  }
  private addPage(): void {
    const n = this.cap >>> PAGE_BITS
    if (n == this.pageCap) {
      this.pages = grow(this.pages, <usize>n << 2, <usize>n << 3, false)
      this.pageCap = n * 2
    }
    store<u32>(this.pages + (<usize>n << 2), <u32>alloc(<usize>(PAGE_MASK + 1) * this.stride))
    this.cap += PAGE_MASK + 1
  }
  begin(): void {
    this.size = 0
    this.extra = 0
    if (++this.stamp == 0x10000) {
      memory.fill(this.index, 0, <usize>(this.mask + 1) << 3)
      this.stamp = 1
    }
  }
  @inline rec(d: i32): usize {
    return <usize>load<u32>(this.pages + (<usize>(d >>> PAGE_BITS) << 2)) + <usize>(d & PAGE_MASK) * this.stride
  }
  private probe(a: i32, b: i32, c: i32): i32 {
    const index = this.index
    const mask = this.mask
    const h = hash3(a, b, c)
    const stampBits = this.stamp << 16
    const tag = stampBits | (h >>> 16)
    this.tag = tag
    for (let i = <i32>h & mask; ; i = (i + 1) & mask) {
      const t = load<u32>(index + (<usize>i << 3))
      if (t == tag) {
        const d = load<i32>(index + (<usize>i << 3) + 4)
        const k = this.rec(d)
        if (load<i32>(k) == a && load<i32>(k, 4) == b && load<i32>(k, 8) == c) {
          this.hit = d
          return i
        }
      } else if ((t & 0xffff0000) != stampBits) {
        this.hit = -1
        return i
      }
    }
    return unreachable()
  }
  find(a: i32, b: i32, c: i32): i32 {
    this.probe(a, b, c)
    return this.hit
  }
  id(a: i32, b: i32, c: i32): i32 {
    const i = this.probe(a, b, c)
    if (this.hit >= 0) {
      this.added = false
      return this.hit
    }
    const d = this.size++
    if (d == this.cap) this.addPage()
    const k = this.rec(d)
    store<i32>(k, a)
    store<i32>(k, b, 4)
    store<i32>(k, c, 8)
    this.added = true
    // Grown past 70 % full to at most half full: a busy snapshot's four tables (this one's and the one
    // before's remotes and tuples) took 2 MiB of index at 18–25 % full, past what a core's cache holds.
    if (this.size * 10 > this.mask * 7) this.rehash(slotsFor(this.size))
    else {
      store<u32>(this.index + (<usize>i << 3), this.tag)
      store<i32>(this.index + (<usize>i << 3) + 4, d)
    }
    return d
  }
  @inline keyA(d: i32): i32 {
    return load<i32>(this.rec(d))
  }
  @inline keyB(d: i32): i32 {
    return load<i32>(this.rec(d), 4)
  }
  @inline keyC(d: i32): i32 {
    return load<i32>(this.rec(d), 8)
  }
  @inline get(d: i32, w: i32): i32 {
    return load<i32>(this.rec(d) + (<usize>w << 2))
  }
  @inline set(d: i32, w: i32, v: i32): void {
    store<i32>(this.rec(d) + (<usize>w << 2), v)
  }
  /** Rewrites the first key word through map (n entries) unless the second word has a bit of unlessB; re-indexes. */
  rekeyA(map: usize, unlessB: i32): void {
    for (let d = 0; d < this.size; d++) {
      const k = this.rec(d)
      if ((load<i32>(k, 4) & unlessB) == 0) store<i32>(k, load<i32>(map + (<usize>load<i32>(k) << 2)))
    }
    this.rehash(this.mask + 1)
  }
  rehash(slots: i32): void {
    if (slots != this.mask + 1) {
      free(this.index, <usize>(this.mask + 1) << 3)
      this.index = allocZeroed(<usize>slots << 3)
      this.mask = slots - 1
    } else memory.fill(this.index, 0, <usize>slots << 3)
    const mask = this.mask
    const index = this.index
    const stampBits = this.stamp << 16
    for (let d = 0; d < this.size; d++) {
      const h = hash3(this.keyA(d), this.keyB(d), this.keyC(d))
      let i = <i32>h & mask
      while ((load<u32>(index + (<usize>i << 3)) & 0xffff0000) == stampBits) i = (i + 1) & mask
      store<u32>(index + (<usize>i << 3), stampBits | (h >>> 16))
      store<i32>(index + (<usize>i << 3) + 4, d)
    }
  }
}

// A remote endpoint's record (key: address word, port word, 0): its connections and owner, and inline the
// first connection tuple met on it (local port word; -1: none yet), that tuple's owner and TIME_WAIT
// attribution. Tuples past the first on an endpoint go to the overflow table, keyed (endpoint id, local port
// word, 0): on a busy server nearly every endpoint has one tuple, so a row costs one record and one probe, not
// two of each. A tuple is named by a handle: endpoint id << 1, or overflow id << 1 | 1.
const R_TLP = 3
const R_CONNS = 4
const R_OWNER = 5
const R_TOWNER = 6
const R_WORDS = 8
const O_OWNER = 3
const O_WORDS = 5
const NO_TUPLE = -1

/** Words per remote endpoint record (the wrapper reads keys, connections and owners from them). */
export function aggRemoteWords(): i32 {
  return R_WORDS | (R_CONNS << 8) | (R_OWNER << 16) | (PAGE_BITS << 24)
}

// ---- The aggregator's state (one per module instance; `aggInit` makes it). ----

// A snapshot's counters are kept by its own numbering of the slots it touches (`local`, in `touched` order):
// what is held grows with the processes of the largest snapshot, not with every process the file names (a day
// of short-lived processes names hundreds of thousands). Per slot only its local number plus one (0: not
// touched this snapshot) is kept: four bytes.
let slotCap: i32 = 0
let localOf: usize = 0
let localCap: i32 = 0
let cur: usize = 0
let curLine: usize = 0
let listenPerLocal: usize = 0
let touched!: List32
let listenRows!: List32
let portSeen!: KeySet
let addrPortSeen!: KeySet
let addrSeen!: KeySet
/** (address, port) pairs in use this snapshot, in the order first met (not on hot addresses). */
let addrPorts!: ListF64
let addrOrder!: ListF64
let hotAddr: usize = 0
let hotBits: usize = 0
let hotCount: i32 = 0
let lastHot: i32 = 0
let wildBits: usize = 0
let wildTouched!: List32
let portGen: usize = 0
let portSlot: usize = 0
let generation: u32 = 1
/** Remote endpoints with their first tuple (R_* words) and the tuples past it (O_* words), per generation parity. */
let remotes0!: Ids
let remotes1!: Ids
let tuples0!: Ids
let tuples1!: Ids
let tableGen0: u32 = 0
let tableGen1: u32 = 1
/** TIME_WAIT rows without an owner: tuple handle, remote endpoint id (-1: none), line. */
let twRows!: List32
/** Per attributed TIME_WAIT row when wanted: line, slot (-1: none), 1 when by remote affinity. */
let twOut!: List32
/** Counter quads `end` hands out. */
let quads!: List32
let rows: i32 = 0
let ownedTimeWait: i32 = 0
let range0Start: i32 = 0
let range0End: i32 = -1
let scratch: usize = 0
let scratchCap: i32 = 0
let twLineage: i32 = 0
let twAffinity: i32 = 0
let twUnattributed: i32 = 0

@inline function remotesOf(p: u32): Ids {
  return p & 1 ? remotes1 : remotes0
}

@inline function tuplesOf(p: u32): Ids {
  return p & 1 ? tuples1 : tuples0
}

@inline function tableGen(p: u32): u32 {
  return p & 1 ? tableGen1 : tableGen0
}

function zeroed(bytes: usize): usize {
  return allocZeroed(bytes)
}

/** Makes the aggregator's tables (`capacity`: endpoints and tuples each per-snapshot table has room for at first). */
export function aggInit(capacity: i32): void {
  slotCap = 64
  localOf = zeroed(<usize>slotCap << 2)
  localCap = 64
  cur = zeroed(<usize>localCap * SLOT_COUNT * 4)
  curLine = zeroed(<usize>localCap * SLOT_COUNT * 4)
  listenPerLocal = zeroed(<usize>localCap)
  touched = new List32(64)
  listenRows = new List32(64)
  portSeen = new KeySet(16384)
  addrPortSeen = new KeySet(16384)
  addrSeen = new KeySet(1024)
  addrPorts = new ListF64(64)
  addrOrder = new ListF64(64)
  hotAddr = alloc(HOT_ADDRESSES * 8)
  for (let h = 0; h < HOT_ADDRESSES; h++) store<f64>(hotAddr + (<usize>h << 3), -1)
  hotBits = zeroed(HOT_ADDRESSES * 2048 * 4)
  wildBits = zeroed(2 * 2048 * 4)
  wildTouched = new List32(64)
  portGen = zeroed(131072 * 4)
  portSlot = zeroed(131072 * 4)
  remotes0 = new Ids(capacity, R_WORDS)
  remotes1 = new Ids(capacity, R_WORDS)
  tuples0 = new Ids(capacity >> 2, O_WORDS)
  tuples1 = new Ids(capacity >> 2, O_WORDS)
  twRows = new List32(192)
  twOut = new List32(64)
  quads = new List32(256)
}

/** The first tracked range (distinct ports in it count as EPHEMERAL); count ≤ 0: none. */
export function aggRange(start: i32, count: i32): void {
  range0Start = start
  range0End = count > 0 ? start + count : start
}

function growSlots(slot: i32): void {
  let n = slotCap * 2
  while (n <= slot) n *= 2
  localOf = grow(localOf, <usize>slotCap << 2, <usize>n << 2, true)
  slotCap = n
}

function growLocals(): void {
  const n = localCap * 2
  const bytes = <usize>n * SLOT_COUNT * 4
  const was = <usize>localCap * SLOT_COUNT * 4
  cur = grow(cur, was, bytes, true)
  curLine = grow(curLine, was, bytes, true)
  listenPerLocal = grow(listenPerLocal, <usize>localCap, <usize>n, true)
  localCap = n
}

/** The slot's number in this snapshot, given on its first count. */
@inline function localFor(slot: i32): i32 {
  if (slot >= slotCap) growSlots(slot)
  const at = localOf + (<usize>slot << 2)
  const l = load<i32>(at)
  if (l != 0) return l - 1
  const n = touched.len
  if (n == localCap) growLocals()
  touched.push(slot)
  store<i32>(at, n + 1)
  return n
}

@inline function bump(local: i32, counter: i32, line: i32): void {
  const i = (<usize>(local * SLOT_COUNT + counter)) << 2
  const v = load<i32>(cur + i)
  if (v == 0) store<i32>(curLine + i, line)
  store<i32>(cur + i, v + 1)
}

@inline function portPart(port: i32): i32 {
  return port < 0 || port > 65535 ? 0 : port + 1
}

@inline function addrWord(addr: i64): i32 {
  return addr >= V4_BASE ? <i32>(addr - V4_BASE) : <i32>addr
}

@inline function portWord(addr: i64, port: i32): i32 {
  return addr >= V4_BASE ? portPart(port) | V4_WORD : portPart(port)
}

/**
 * One row: its flags word, process slot (unused for TIME_WAIT rows without a PID), pid, local and remote
 * address ids (f64: IPv4 ids pass 2^32) and ports, and its line.
 */
export function aggRow(flags: i32, slot: i32, pid: i32, laddrF: f64, lport: i32, raddrF: f64, rport: i32, line: i32): void {
  rows++
  lastRowLine = line
  lastRowPid = pid
  lastRowSlot = slot
  const raddr = <i64>raddrF
  const tw = (flags & F_TW) != 0
  if (tw && pid <= 0) {
    const a = addrWord(raddr)
    const b = portWord(raddr, rport)
    const remote = rport >= 0 ? countRemote(a, b, -1) : -1
    twRows.push(tupleOf(remote >= 0 ? remote : endpointOnly(a, b), portPart(lport)))
    twRows.push(remote)
    twRows.push(line)
    countEphemeral(lport, laddrF, flags)
    if (flags & F_LOOP_PEER && rport < 65536) usePort(raddrF, rport)
    return
  }
  const local = localFor(slot)
  bump(local, flags >> COUNTER_SHIFT, line)
  if (tw) ownedTimeWait++
  const portOk = lport >= 0 && lport < 65536
  if (flags & F_LISTEN && (flags & F_UDP) == 0 && portOk) listener(slot, local, lport)
  if (portOk && !tw && newPort(slot, flags & F_UDP ? 1 : 0, lport)) {
    bump(local, PORTS_SLOT, line)
    if (lport >= range0Start && lport < range0End) bump(local, EPHEMERAL_SLOT, line)
  }
  if ((flags & F_UDP) == 0) {
    countEphemeral(lport, laddrF, flags)
    if ((flags & F_NO_REMOTE) == 0 && rport >= 0) {
      const a = addrWord(raddr)
      const b = portWord(raddr, rport)
      const d = countRemote(a, b, pid > 0 ? slot : -1)
      if (pid > 0) tupleSet(generation, tupleOf(d, portPart(lport)), 0, slot)
    }
  }
}

function listener(slot: i32, local: i32, port: i32): void {
  const have = <i32>load<u8>(listenPerLocal + <usize>local)
  if (have >= LISTEN_PER_SLOT || listenRows.len >= 2 * LISTEN_CAP) return
  if (have > 0) for (let k = 0; k < listenRows.len; k += 2) if (listenRows.at(k) == slot && listenRows.at(k + 1) == port) return
  listenRows.push(slot)
  listenRows.push(port)
  store<u8>(listenPerLocal + <usize>local, <u8>(have + 1))
}

function newRemote(ids: Ids, d: i32, conns: i32, owner: i32): void {
  ids.set(d, R_TLP, NO_TUPLE)
  ids.set(d, R_CONNS, conns)
  ids.set(d, R_OWNER, owner)
}

function countRemote(a: i32, b: i32, owner: i32): i32 {
  const ids = remotesOf(generation)
  const d = ids.id(a, b, 0)
  if (ids.added) {
    newRemote(ids, d, 1, owner >= 0 ? owner : NO_OWNER)
    return d
  }
  ids.set(d, R_CONNS, ids.get(d, R_CONNS) + 1)
  if (owner < 0) return d
  const o = ids.get(d, R_OWNER)
  ids.set(d, R_OWNER, o == NO_OWNER || o == owner ? owner : AMBIGUOUS)
  return d
}

/** The record of (a, b) for a tuple whose remote endpoint is not counted (no remote port): no connections. */
function endpointOnly(a: i32, b: i32): i32 {
  const ids = remotesOf(generation)
  const d = ids.id(a, b, 0)
  if (ids.added) newRemote(ids, d, 0, NO_OWNER)
  return d
}

/** The handle of the tuple (remote endpoint d, local port word lp) in this snapshot, made with no owner. */
function tupleOf(d: i32, lp: i32): i32 {
  const r = remotesOf(generation)
  const have = r.get(d, R_TLP)
  if (have == lp) return d << 1
  if (have == NO_TUPLE) {
    r.set(d, R_TLP, lp)
    r.set(d, R_TOWNER, NO_OWNER)
    r.set(d, R_TOWNER + 1, NO_OWNER)
    r.extra++
    return d << 1
  }
  const o = tuplesOf(generation)
  const t = o.id(d, lp, 0)
  if (o.added) {
    o.set(t, O_OWNER, NO_OWNER)
    o.set(t, O_OWNER + 1, NO_OWNER)
  }
  return (t << 1) | 1
}

/** Word `which` (0 owner, 1 TIME_WAIT attribution) of tuple handle h of generation g. */
@inline function tupleGet(g: u32, h: i32, which: i32): i32 {
  return h & 1 ? tuplesOf(g).get(h >> 1, O_OWNER + which) : remotesOf(g).get(h >> 1, R_TOWNER + which)
}

@inline function tupleSet(g: u32, h: i32, which: i32, v: i32): void {
  if (h & 1) tuplesOf(g).set(h >> 1, O_OWNER + which, v)
  else remotesOf(g).set(h >> 1, R_TOWNER + which, v)
}

/** The previous snapshot's record of the remote endpoint that previousTuple last looked up (-1: none). */
let prevRemote: i32 = -1

/** The handle in the snapshot before of this snapshot's tuple h, or -1 (sets prevRemote). */
function previousTuple(h: i32): i32 {
  prevRemote = -1
  const q = generation - 1
  if (tableGen(q) != q) return -1
  const r = remotesOf(generation)
  let d = h >> 1
  let lp: i32
  if (h & 1) {
    const o = tuplesOf(generation)
    lp = o.keyB(d)
    d = o.keyA(d)
  } else lp = r.get(d, R_TLP)
  const pr = remotesOf(q)
  const e = pr.find(r.keyA(d), r.keyB(d), 0)
  prevRemote = e
  if (e < 0) return -1
  if (pr.get(e, R_TLP) == lp) return e << 1
  const t = tuplesOf(q).find(e, lp, 0)
  return t < 0 ? -1 : (t << 1) | 1
}

/** The owner of this snapshot's remote endpoint d in the snapshot before, else NO_OWNER. */
export function aggPrevRemoteOwner(d: i32): i32 {
  const q = generation - 1
  if (tableGen(q) != q) return NO_OWNER
  const ids = remotesOf(generation)
  const e = remotesOf(q).find(ids.keyA(d), ids.keyB(d), 0)
  return e < 0 ? NO_OWNER : remotesOf(q).get(e, R_OWNER)
}

function newPort(slot: i32, udp: i32, port: i32): bool {
  const k = <usize>(udp * 65536 + port) << 2
  if (load<u32>(portGen + k) != generation) {
    store<u32>(portGen + k, generation)
    store<i32>(portSlot + k, slot)
    return true
  }
  const first = load<i32>(portSlot + k)
  if (first == slot) return false
  portSeen.insert((<i64>first * 2 + udp) * 65536 + port)
  return portSeen.insert((<i64>slot * 2 + udp) * 65536 + port)
}

function countEphemeral(lport: i32, laddr: f64, flags: i32): void {
  if (flags & (F_UDP | F_LISTEN) || lport < 0 || lport > 65535) return
  if (flags & F_WILD) {
    const fam = flags & F_WILD6 ? 1 : 0
    const w = wildBits + (<usize>(fam * 2048 + (lport >>> 5)) << 2)
    const bit = 1 << (lport & 31)
    const v = load<i32>(w)
    if ((v & bit) == 0) {
      store<i32>(w, v | bit)
      wildTouched.push(fam * 65536 + lport)
    }
  } else usePort(laddr, lport)
}

function usePort(addr: f64, port: i32): void {
  let h = lastHot
  if (load<f64>(hotAddr + (<usize>h << 3)) != addr) {
    h = -1
    for (let k = 0; k < hotCount; k++) {
      if (load<f64>(hotAddr + (<usize>k << 3)) == addr) {
        h = k
        break
      }
    }
    if (h < 0 && hotCount < HOT_ADDRESSES) {
      h = hotCount++
      store<f64>(hotAddr + (<usize>h << 3), addr)
      addrOrder.push(addr)
    }
    if (h >= 0) lastHot = h
  }
  if (h >= 0) {
    const w = hotBits + (<usize>(h * 2048 + (port >>> 5)) << 2)
    store<i32>(w, load<i32>(w) | (1 << (port & 31)))
    return
  }
  if (!addrPortSeen.insert(<i64>addr * 65536 + port)) return
  if (addrSeen.insert(<i64>addr)) addrOrder.push(addr)
  addrPorts.push(addr)
  addrPorts.push(<f64>port)
}

/** TIME_WAIT rows without an owner so far this snapshot (the caller makes the PID 0 slot before `aggAttribute`). */
export function aggTimeWaitRows(): i32 {
  return twRows.len / 3
}

/**
 * Attributes this snapshot's TIME_WAIT rows without an owner (lineage from the snapshot before, the tuple's
 * own owner, remote-endpoint affinity); unattributed ones count on slot `zero`. Counts in aggTw*; with
 * `record`, one triple per row in twOut (see aggTwOut).
 */
export function aggAttribute(zero: i32, record: bool): void {
  twLineage = 0
  twAffinity = 0
  twUnattributed = 0
  twOut.len = 0
  const n = twRows.len
  if (n == 0) return
  const q = generation - 1
  const remotes = remotesOf(generation)
  for (let i = 0; i < n; i += 3) {
    const t = twRows.at(i)
    const remote = twRows.at(i + 1)
    const line = twRows.at(i + 2)
    const before = previousTuple(t)
    // An owner the tuple had in the snapshot before is newer than one carried along with an older TIME_WAIT
    // row of the same tuple (listed in use and in TIME_WAIT at once): the row is that owner's. So a carried
    // owner reaches back no further than one TIME_WAIT row lasts, and a worker's priming covers it.
    const carried = before >= 0 && tupleGet(q, before, 0) < 0 ? tupleGet(q, before, 1) : NO_OWNER
    let slot = carried == NO_OWNER ? NO_OWNER : carried >> 1
    let affinity = carried != NO_OWNER && (carried & 1) == 1
    if (slot < 0) {
      slot = before >= 0 ? tupleGet(q, before, 0) : NO_OWNER
      if (slot < 0) slot = tupleGet(generation, t, 0)
      if (slot < 0 && remote >= 0) {
        // The tuple's endpoint is `remote`: previousTuple looked it up in the snapshot before.
        const a = remotes.get(remote, R_OWNER)
        const b = prevRemote >= 0 ? remotesOf(q).get(prevRemote, R_OWNER) : NO_OWNER
        const owner = a == NO_OWNER ? b : b == NO_OWNER || b == a ? a : AMBIGUOUS
        if (owner >= 0) {
          slot = owner
          affinity = true
        }
      }
    }
    if (record) {
      twOut.push(line)
      twOut.push(slot >= 0 ? slot : -1)
      twOut.push(affinity ? 1 : 0)
    }
    if (slot >= 0) {
      const local = localFor(slot)
      bump(local, TIME_WAIT_SLOT, line)
      bump(local, TW_ATTRIBUTED_SLOT, line)
      if (affinity) bump(local, TW_AFFINITY_SLOT, line)
      tupleSet(generation, t, 1, slot * 2 + (affinity ? 1 : 0))
      if (affinity) twAffinity++
      else twLineage++
    } else {
      bump(localFor(zero), TIME_WAIT_SLOT, line)
      twUnattributed++
    }
  }
}

/** Attribution counts of the last aggAttribute: 0 owner, 1 lineage, 2 remote affinity, 3 unattributed. */
export function aggTw(which: i32): i32 {
  return which == 0 ? ownedTimeWait : which == 1 ? twLineage : which == 2 ? twAffinity : twUnattributed
}

/** The per-row triples of the last aggAttribute (with `record`): where, and how many words. */
export function aggTwOut(): usize {
  return twOut.ptr
}

export function aggTwOutLength(): i32 {
  return twOut.len
}

/** Collects the nonzero counters as quads (slot, counter, count, first line), clearing them; returns how many words. */
export function aggCounts(): i32 {
  quads.len = 0
  for (let k = 0; k < touched.len; k++) {
    const slot = touched.at(k)
    for (let c = 0; c < SLOT_COUNT; c++) {
      const i = (<usize>(k * SLOT_COUNT + c)) << 2
      const v = load<i32>(cur + i)
      if (v == 0) continue
      quads.push(slot)
      quads.push(c)
      quads.push(v)
      quads.push(load<i32>(curLine + i))
      store<i32>(cur + i, 0)
    }
  }
  return quads.len
}

export function aggCountsAt(): usize {
  return quads.ptr
}

export function aggRows(): i32 {
  return rows
}

/** Where the views of `end` read: which 0 listeners, 1 addrPorts (f64 pairs), 2 hot addresses (f64), 3 hot bits, 4 wild bits, 5 wildTouched, 6 addrOrder (f64). */
export function aggAt(which: i32): usize {
  switch (which) {
    case 0: return listenRows.ptr
    case 1: return addrPorts.ptr
    case 2: return hotAddr
    case 3: return hotBits
    case 4: return wildBits
    case 5: return wildTouched.ptr
    default: return addrOrder.ptr
  }
}

/** Lengths (in entries) of the lists aggAt names: 0 listeners (words), 1 addrPorts (f64 words), 2 hot addresses, 5 wildTouched, 6 addrOrder. */
export function aggLength(which: i32): i32 {
  switch (which) {
    case 0: return listenRows.len
    case 1: return addrPorts.len
    case 2: return hotCount
    case 5: return wildTouched.len
    default: return addrOrder.len
  }
}

/** This snapshot's remote endpoints: 0 where their pages' addresses are (u32 each, 2^PAGE_BITS records of aggRemoteWords a page), 3 the number of ids. */
export function aggRemotes(which: i32): usize {
  const ids = remotesOf(generation)
  return which == 0 ? ids.pages : <usize>ids.size
}

/** Records in the remotes table (which 0; endpoints met without a remote port included) or tuples (1) of generation parity p. */
export function aggSize(which: i32, p: i32): i32 {
  return which == 0 ? remotesOf(<u32>p).size : remotesOf(<u32>p).extra + tuplesOf(<u32>p).size
}

/** The highest byte of memory the kernel's heap has handed out (tests hold it to a bound). */
export function aggHeapTop(): usize {
  return heapTop()
}

/** Bytes the kernel's heap has handed out in all (reused blocks counted each time). */
export function aggHeapHanded(): usize {
  return heapHanded()
}

/** Ends the snapshot's per-row state and starts the next generation; returns it. */
export function aggReset(): u32 {
  rows = 0
  lastRowLine = -1
  ownedTimeWait = 0
  // Counters were cleared as aggCounts read them; the slots' numbers and listener counts are cleared here.
  for (let k = 0; k < touched.len; k++) store<i32>(localOf + (<usize>touched.at(k) << 2), 0)
  memory.fill(listenPerLocal, 0, <usize>touched.len)
  touched.len = 0
  listenRows.len = 0
  addrPortSeen.clear()
  memory.fill(hotBits, 0, <usize>hotCount * 2048 * 4)
  addrOrder.len = 0
  addrSeen.clear()
  for (let h = 0; h < HOT_ADDRESSES; h++) store<f64>(hotAddr + (<usize>h << 3), -1)
  hotCount = 0
  addrPorts.len = 0
  for (let j = 0; j < wildTouched.len; j++) {
    const k = wildTouched.at(j)
    store<i32>(wildBits + (<usize>((k >= 65536 ? 2048 : 0) + ((k % 65536) >>> 5)) << 2), 0)
  }
  wildTouched.len = 0
  portSeen.clear()
  twRows.len = 0
  return aggNextGeneration()
}

/** The snapshot generation rows are aggregated in now (what the row lane stamps address ids with). */
export function aggGeneration(): u32 {
  return generation
}

/** The next generation (the caller resets its address marks when it comes back as 2). */
export function aggNextGeneration(): u32 {
  if (++generation == 0xffffffff) {
    memory.fill(portGen, 0, 131072 * 4)
    generation = 2
  }
  remotesOf(generation).begin()
  tuplesOf(generation).begin()
  if (generation & 1) tableGen1 = generation
  else tableGen0 = generation
  return generation
}

/** A buffer of n words for the caller (address maps for aggRekey). */
export function aggScratch(n: i32): usize {
  if (n > scratchCap) {
    if (scratchCap > 0) free(scratch, <usize>scratchCap << 2)
    scratch = alloc(<usize>n << 2)
    scratchCap = n
  }
  return scratch
}

/** Renumbers the non-IPv4 address words of the tables of generation `was` through the map in aggScratch. */
export function aggRekey(was: u32): void {
  if (tableGen(was) != was) return
  // Tuples past an endpoint's first are keyed by the endpoint's id, which a renumbering leaves alone.
  remotesOf(was).rekeyA(scratch, V4_WORD)
}

// ---- The last row aggregated (the row lane learns its owner lines, see laneLearn in kernel/netstat.ts). ----

let lastRowLine: i32 = -1
let lastRowPid: i32 = -1
let lastRowSlot: i32 = -1

/** The slot the last row went to (-1: none of its own) when it was (line, pid), else -2. */
export function aggLastSlot(line: i32, pid: i32): i32 {
  return line == lastRowLine && pid == lastRowPid ? lastRowSlot : -2
}

// ---- Process slots of rows without an image name, by PID (the row lane resolves them without the caller). ----

let pidKeys: usize = 0
let pidSlots: usize = 0
let pidMask: i32 = -1
let pidCount: i32 = 0

@inline function pidHash(pid: i32): i32 {
  return <i32>hashKey(<i64>pid + 0x80000000)
}

/** The caller's slot of (pid, no name); kept for `aggPidSlot`. */
export function aggSetPidSlot(pid: i32, slot: i32): void {
  if ((pidCount + 1) * 2 > pidMask) {
    const oldKeys = pidKeys
    const oldSlots = pidSlots
    const oldCap = pidMask + 1
    const cap = oldCap < 256 ? 256 : oldCap * 2
    pidKeys = alloc(<usize>cap << 2)
    pidSlots = alloc(<usize>cap << 2)
    memory.fill(pidSlots, 0xff, <usize>cap << 2)
    pidMask = cap - 1
    pidCount = 0
    for (let j = 0; j < oldCap; j++) {
      const s = load<i32>(oldSlots + (<usize>j << 2))
      if (s >= 0) aggSetPidSlot(load<i32>(oldKeys + (<usize>j << 2)), s)
    }
    if (oldCap > 0) {
      free(oldKeys, <usize>oldCap << 2)
      free(oldSlots, <usize>oldCap << 2)
    }
  }
  let i = pidHash(pid) & pidMask
  for (;;) {
    const s = load<i32>(pidSlots + (<usize>i << 2))
    if (s < 0) break
    if (load<i32>(pidKeys + (<usize>i << 2)) == pid) {
      store<i32>(pidSlots + (<usize>i << 2), slot)
      return
    }
    i = (i + 1) & pidMask
  }
  store<i32>(pidKeys + (<usize>i << 2), pid)
  store<i32>(pidSlots + (<usize>i << 2), slot)
  pidCount++
}

/** The slot of (pid, no name), or -1 when the caller has not made it. */
export function aggPidSlot(pid: i32): i32 {
  if (pidMask < 0) return -1
  let i = pidHash(pid) & pidMask
  for (;;) {
    const s = load<i32>(pidSlots + (<usize>i << 2))
    if (s < 0) return -1
    if (load<i32>(pidKeys + (<usize>i << 2)) == pid) return s
    i = (i + 1) & pidMask
  }
  return unreachable()
}
