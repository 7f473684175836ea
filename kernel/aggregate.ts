// The per-row state of src/model/snapshot-aggregator.ts (AssemblyScript, compiled into the same module as
// kernel/netstat.ts by `npm run build:kernel`): per process slot counters, listeners, distinct ports per
// process, ports in use per local address, and the two-generation remote-endpoint and connection-tuple
// tables that TIME_WAIT attribution looks back into. The TypeScript side keeps what needs strings (process
// slots, the address table, endpoint labels) and hands this numbers: a slot, an address id as an f64
// (IPv4: V4_BASE + value, past 2^32), ports, a line.
//
// Memory is the runtime's bump heap (`--runtime stub`) with a list of given-back blocks (kernel/memory.ts): every
// table here is allocated once and grown when one snapshot needs more, so what is held is bounded by the largest
// snapshot (a grown table's old block is reused by the next that grows, when it fits: the heap reaches 0.7–0.8 of
// what it hands out on one snapshot of 50,000–300,000 fresh peers, 1.0 without), but for what is kept per process slot the
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

/**
 * src/model/snapshot-ids.ts: dense ids 0, 1, 2… for keys (a, b, c) in the order one snapshot first met
 * them, emptied in O(1) (`begin`). Index slots of 8 bytes (stamp << 16 | 16 hash bits, id); keys by id,
 * four words apart. Two per-id value arrays (`v0`, `v1`) grow with the ids.
 */
class Ids {
  index: usize = 0
  mask: i32 = 0
  stamp: u32 = 1
  size: i32 = 0
  keys: usize = 0
  cap: i32 = 0
  v0: usize = 0
  v1: usize = 0
  added: bool = false
  hit: i32 = -1
  tag: u32 = 0
  constructor(capacity: i32) {
    const slots = slotsFor(capacity)
    this.index = allocZeroed(<usize>slots << 3)
    this.mask = slots - 1
    this.cap = capacity
    this.keys = alloc(<usize>capacity << 4)
    this.v0 = alloc(<usize>capacity << 2)
    this.v1 = alloc(<usize>capacity << 2)
  }
  begin(): void {
    this.size = 0
    if (++this.stamp == 0x10000) {
      memory.fill(this.index, 0, <usize>(this.mask + 1) << 3)
      this.stamp = 1
    }
  }
  private probe(a: i32, b: i32, c: i32): i32 {
    const index = this.index
    const keys = this.keys
    const mask = this.mask
    const h = hash3(a, b, c)
    const stampBits = this.stamp << 16
    const tag = stampBits | (h >>> 16)
    this.tag = tag
    for (let i = <i32>h & mask; ; i = (i + 1) & mask) {
      const t = load<u32>(index + (<usize>i << 3))
      if (t == tag) {
        const d = load<i32>(index + (<usize>i << 3) + 4)
        const k = keys + (<usize>d << 4)
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
    if (d == this.cap) {
      const n = d * 2
      this.keys = grow(this.keys, <usize>d << 4, <usize>n << 4, false)
      this.v0 = grow(this.v0, <usize>d << 2, <usize>n << 2, false)
      this.v1 = grow(this.v1, <usize>d << 2, <usize>n << 2, false)
      this.cap = n
    }
    const k = this.keys + (<usize>d << 4)
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
    return load<i32>(this.keys + (<usize>d << 4))
  }
  @inline keyB(d: i32): i32 {
    return load<i32>(this.keys + (<usize>d << 4), 4)
  }
  @inline keyC(d: i32): i32 {
    return load<i32>(this.keys + (<usize>d << 4), 8)
  }
  @inline get0(d: i32): i32 {
    return load<i32>(this.v0 + (<usize>d << 2))
  }
  @inline set0(d: i32, v: i32): void {
    store<i32>(this.v0 + (<usize>d << 2), v)
  }
  @inline get1(d: i32): i32 {
    return load<i32>(this.v1 + (<usize>d << 2))
  }
  @inline set1(d: i32, v: i32): void {
    store<i32>(this.v1 + (<usize>d << 2), v)
  }
  /** Rewrites the first key word through map (n entries) unless the second word has a bit of unlessB; re-indexes. */
  rekeyA(map: usize, unlessB: i32): void {
    for (let d = 0; d < this.size; d++) {
      const k = this.keys + (<usize>d << 4)
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
/** Remote endpoints (v0 connections, v1 owner) and tuples (v0 owner, v1 TIME_WAIT attribution), per generation parity. */
let remotes0!: Ids
let remotes1!: Ids
let tuples0!: Ids
let tuples1!: Ids
let tableGen0: u32 = 0
let tableGen1: u32 = 1
/** TIME_WAIT rows without an owner: tuple id, remote endpoint id (-1: none), line. */
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
  remotes0 = new Ids(capacity)
  remotes1 = new Ids(capacity)
  tuples0 = new Ids(capacity)
  tuples1 = new Ids(capacity)
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
    twRows.push(tupleOf(a, b, portPart(lport)))
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
      countRemote(a, b, pid > 0 ? slot : -1)
      if (pid > 0) {
        const t = tupleOf(a, b, portPart(lport))
        tuplesOf(generation).set0(t, slot)
      }
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

function tupleOf(a: i32, b: i32, lp: i32): i32 {
  const ids = tuplesOf(generation)
  const t = ids.id(a, b, lp)
  if (ids.added) {
    ids.set0(t, NO_OWNER)
    ids.set1(t, NO_OWNER)
  }
  return t
}

function countRemote(a: i32, b: i32, owner: i32): i32 {
  const ids = remotesOf(generation)
  const d = ids.id(a, b, 0)
  if (ids.added) {
    ids.set0(d, 1)
    ids.set1(d, owner >= 0 ? owner : NO_OWNER)
    return d
  }
  ids.set0(d, ids.get0(d) + 1)
  if (owner < 0) return d
  const o = ids.get1(d)
  ids.set1(d, o == NO_OWNER || o == owner ? owner : AMBIGUOUS)
  return d
}

/** The previous snapshot's id of a key in its remotes (which 0) or tuples (1), or -1. */
function previous(which: i32, a: i32, b: i32, c: i32): i32 {
  const q = generation - 1
  if (tableGen(q) != q) return -1
  return (which == 0 ? remotesOf(q) : tuplesOf(q)).find(a, b, c)
}

/** The owner of this snapshot's remote endpoint d in the snapshot before, else NO_OWNER. */
export function aggPrevRemoteOwner(d: i32): i32 {
  const ids = remotesOf(generation)
  const e = previous(0, ids.keyA(d), ids.keyB(d), 0)
  return e < 0 ? NO_OWNER : remotesOf(generation - 1).get1(e)
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
  const tuples = tuplesOf(generation)
  const prevTuples = tuplesOf(generation - 1)
  const remotes = remotesOf(generation)
  for (let i = 0; i < n; i += 3) {
    const t = twRows.at(i)
    const remote = twRows.at(i + 1)
    const line = twRows.at(i + 2)
    const before = previous(1, tuples.keyA(t), tuples.keyB(t), tuples.keyC(t))
    // An owner the tuple had in the snapshot before is newer than one carried along with an older TIME_WAIT
    // row of the same tuple (listed in use and in TIME_WAIT at once): the row is that owner's. So a carried
    // owner reaches back no further than one TIME_WAIT row lasts, and a worker's priming covers it.
    const carried = before >= 0 && prevTuples.get0(before) < 0 ? prevTuples.get1(before) : NO_OWNER
    let slot = carried == NO_OWNER ? NO_OWNER : carried >> 1
    let affinity = carried != NO_OWNER && (carried & 1) == 1
    if (slot < 0) {
      slot = before >= 0 ? prevTuples.get0(before) : NO_OWNER
      if (slot < 0) slot = tuples.get0(t)
      if (slot < 0 && remote >= 0) {
        const a = remotes.get1(remote)
        const b = aggPrevRemoteOwner(remote)
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
      tuples.set1(t, slot * 2 + (affinity ? 1 : 0))
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

/** This snapshot's remote endpoints: 0 keys (4 words per id), 1 connections, 2 owners; 3 the number of ids. */
export function aggRemotes(which: i32): usize {
  const ids = remotesOf(generation)
  return which == 0 ? ids.keys : which == 1 ? ids.v0 : which == 2 ? ids.v1 : <usize>ids.size
}

/** Ids in the remotes (which 0) or tuples (1) table of generation parity p. */
export function aggSize(which: i32, p: i32): i32 {
  return (which == 0 ? remotesOf(<u32>p) : tuplesOf(<u32>p)).size
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
  remotesOf(was).rekeyA(scratch, V4_WORD)
  tuplesOf(was).rekeyA(scratch, V4_WORD)
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
