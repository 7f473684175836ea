import {type Attribution, EMPTY_SUMMARY, type SnapshotSummary} from './snapshot-aggregator.js'
import {packInScratch, type QuadRemap, unpackQuads} from './packed-quads.js'
import {grownTo, type Scratch} from '../typed-arrays.js'

/**
 * Every snapshot's summary as a case keeps it until the analysis: a record of RECORD words per snapshot, its
 * arrays (dynamic ports per range, their addresses, busiest endpoints, listening ports) in shared chunks of
 * words, its packed counter quads (packed-quads.ts) in shared chunks of bytes. A snapshot is a number here.
 *
 * Kept as objects (the summary, four typed arrays, a list of address strings, the TIME_WAIT tallies), a summary
 * took about 1.4 KB of heap beyond its numbers: 9 MB on a 5 GB loop of 6,500 snapshots. And as a worker's
 * summaries were made objects in the parent while it read, and kept, they outlived V8's young-generation
 * collections: what survives those makes V8 grow the young generation, which on that loop then added 15–25 MB of
 * RSS. A worker now sends blocks of these arrays (`block`), whose arrays the parent takes over (`absorb`).
 */
export class SummaryStore {
  private meta = new Int32Array(RECORD * 64)
  private count = 0
  private readonly ints = new Chunks((n) => new Int32Array(n), INT_CHUNK)
  private readonly bytes = new Chunks((n) => new Uint8Array(n), BYTE_CHUNK)
  /** Addresses the records name (the busiest address of a range), each once. */
  private readonly addrIds = new Map<string, number>()
  private readonly addrs: string[] = []
  /** How the quads of absorbed records are renumbered as they are unpacked (a record's REMAP word). */
  private readonly remaps: QuadRemap[] = []

  constructor() {
    this.add(EMPTY_SUMMARY)
  }

  /** Records held, the empty one included. */
  get size(): number {
    return this.count
  }

  /** Bytes of the records' arrays and of the chunks (whole, filled or not). */
  footprint(): number {
    let n = this.meta.byteLength
    for (const c of this.ints.list) n += c.byteLength
    for (const c of this.bytes.list) n += c.byteLength
    return n
  }

  /** Keeps a summary; its record. */
  add(s: SnapshotSummary): number {
    const tw = s.timeWait
    const addr = s.ephemeralAddr.map((a) => this.addrId(a))
    return this.put(s.rows, tw.owner, tw.lineage, tw['remote-affinity'], tw.unattributed, -1, s.ephemeral, addr, s.remotes, s.listeners ?? null, packInScratch(s.counts))
  }

  /** Forgets every record but the empty one (a worker's, once it sent them): records made after start at 1 again. */
  clear(): void {
    this.count = 1
    this.ints.clear()
    this.bytes.clear()
    this.addrIds.clear()
    this.addrs.length = 0
    this.remaps.length = 0
    const empty = this.meta.slice(0, RECORD)
    this.meta = new Int32Array(RECORD * 64)
    this.meta.set(empty)
  }

  rows(id: number): number {
    return this.meta[id * RECORD + ROWS]!
  }

  /** The snapshot's TIME_WAIT rows by how their owner was found. */
  timeWait(id: number): Record<Attribution, number> {
    const m = this.meta
    const at = id * RECORD + TW
    return {owner: m[at]!, lineage: m[at + 1]!, 'remote-affinity': m[at + 2]!, unattributed: m[at + 3]!}
  }

  /** Highest dynamic ports in use on one address, for tracked range `range` (0 when the record has none). */
  ephemeral(id: number, range: number): number {
    const at = id * RECORD
    return range < this.meta[at + N_EPH]! ? this.ints.list[this.meta[at + INTS]!]![this.meta[at + INTS_AT]! + range]! : 0
  }

  /** The address behind `ephemeral(id, range)` ('' when none). */
  ephemeralAddr(id: number, range: number): string {
    const at = id * RECORD
    if (range >= this.meta[at + N_ADDR]!) return ''
    return this.addrs[this.ints.list[this.meta[at + INTS]!]![this.meta[at + INTS_AT]! + this.meta[at + N_EPH]! + range]!]!
  }

  /** Every range's address (see `ephemeralAddr`). */
  ephemeralAddrs(id: number): string[] {
    return Array.from({length: this.meta[id * RECORD + N_ADDR]!}, (_, r) => this.ephemeralAddr(id, r))
  }

  /** Triples (endpoint, connections, owner slot or -1), as SnapshotSummary's: a view, not to be written. */
  remotes(id: number): Int32Array {
    const at = id * RECORD
    const from = this.meta[at + INTS_AT]! + this.meta[at + N_EPH]! + this.meta[at + N_ADDR]!
    return this.view(at, from, this.meta[at + N_REM]!)
  }

  /** Pairs (slot, port) of listening ports, as SnapshotSummary's (a view); undefined when none were kept. */
  listeners(id: number): Int32Array | undefined {
    const at = id * RECORD
    const n = this.meta[at + N_LISTEN]!
    if (n < 0) return undefined
    const from = this.meta[at + INTS_AT]! + this.meta[at + N_EPH]! + this.meta[at + N_ADDR]! + this.meta[at + N_REM]!
    return this.view(at, from, n)
  }

  /**
   * The counter quads in the case's slot numbers and lines: a fresh array, or a view of `into` that its next
   * use overwrites (the analysis' passes over every snapshot).
   */
  quads(id: number, into?: Scratch<Int32Array>): Int32Array {
    const at = id * RECORD
    const n = this.meta[at + N_BYTES]!
    if (n === 0) return new Int32Array(0)
    const from = this.meta[at + BYTES_AT]!
    const r = this.meta[at + REMAP]! < 0 ? undefined : this.remaps[this.meta[at + REMAP]!]!
    return unpackQuads(this.bytes.list[this.meta[at + BYTES]!]!.subarray(from, from + n), into, r)
  }

  /** The whole summary again, as the aggregator gave it (fresh arrays). */
  read(id: number): SnapshotSummary {
    const listeners = this.listeners(id)
    return {
      rows: this.rows(id),
      counts: this.quads(id),
      ephemeral: Int32Array.from({length: this.meta[id * RECORD + N_EPH]!}, (_, r) => this.ephemeral(id, r)),
      ephemeralAddr: this.ephemeralAddrs(id),
      remotes: this.remotes(id).slice(),
      timeWait: this.timeWait(id),
      ...(listeners ? {listeners: listeners.slice()} : {}),
    }
  }

  /**
   * Records `ids` copied out into one block of arrays (to move to another thread): the records' words with their
   * offsets into the block's arrays, the addresses they name listed in the block.
   */
  block(ids: readonly number[]): SummaryBlock {
    let nInts = 0
    let nBytes = 0
    for (const id of ids) {
      nInts += this.intsOf(id)
      nBytes += this.meta[id * RECORD + N_BYTES]!
    }
    const meta = new Int32Array(ids.length * RECORD)
    const ints = new Int32Array(nInts)
    const bytes = new Uint8Array(nBytes)
    const addrs: string[] = []
    const local = new Map<number, number>()
    let i = 0
    let b = 0
    ids.forEach((id, k) => {
      const at = id * RECORD
      const out = k * RECORD
      meta.set(this.meta.subarray(at, at + RECORD), out)
      const n = this.intsOf(id)
      if (n > 0) ints.set(this.view(at, this.meta[at + INTS_AT]!, n), i)
      meta[out + INTS] = 0
      meta[out + INTS_AT] = i
      // Address ids are the block's own.
      for (let a = i + this.meta[at + N_EPH]!, end = a + this.meta[at + N_ADDR]!; a < end; a++) {
        let mine = local.get(ints[a]!)
        if (mine === undefined) local.set(ints[a]!, (mine = addrs.push(this.addrs[ints[a]!]!) - 1))
        ints[a] = mine
      }
      i += n
      const nb = this.meta[at + N_BYTES]!
      if (nb > 0) bytes.set(this.bytes.list[this.meta[at + BYTES]!]!.subarray(this.meta[at + BYTES_AT]!, this.meta[at + BYTES_AT]! + nb), b)
      meta[out + BYTES] = 0
      meta[out + BYTES_AT] = b
      b += nb
    })
    return {meta, ints, bytes, addrs}
  }

  /**
   * Takes a block's records in (a worker's, renumbered into this case): slots through `remap.slots` (listeners,
   * endpoint owners, and the quads as they are unpacked), lines shifted by `remap.lineOffset` (the quads'),
   * endpoints through `endpoint`. The block's arrays become chunks of this store, rewritten in place: a copy
   * would keep a loop's summaries twice in memory (the worker's buffers, once freed, stay with its allocator).
   * Returns the first record's id; the others follow it.
   */
  absorb(block: SummaryBlock, remap: QuadRemap, endpoint: (id: number) => number): number {
    const first = this.count
    const slots = remap.slots
    if (this.remaps.at(-1) !== remap) this.remaps.push(remap)
    const r = this.remaps.length - 1
    const {meta, ints, bytes, addrs} = block
    const addr = addrs.map((a) => this.addrId(a))
    const intChunk = ints.length > 0 ? this.ints.adopt(ints) : -1
    const byteChunk = bytes.length > 0 ? this.bytes.adopt(bytes) : -1
    for (let k = 0; k < meta.length; k += RECORD) {
      const from = meta[k + INTS_AT]!
      const nEph = meta[k + N_EPH]!
      const nAddr = meta[k + N_ADDR]!
      const nRem = meta[k + N_REM]!
      const nListen = meta[k + N_LISTEN]!
      for (let i = from + nEph; i < from + nEph + nAddr; i++) ints[i] = addr[ints[i]!]!
      for (let i = from + nEph + nAddr; i < from + nEph + nAddr + nRem; i += 3) {
        ints[i] = endpoint(ints[i]!)
        if (ints[i + 2]! >= 0) ints[i + 2] = slots[ints[i + 2]!]!
      }
      const at = from + nEph + nAddr + nRem
      for (let i = at; i < at + nListen; i += 2) ints[i] = slots[ints[i]!]!
      const id = this.record()
      this.meta.set(meta.subarray(k, k + RECORD), id * RECORD)
      this.meta[id * RECORD + REMAP] = r
      this.meta[id * RECORD + INTS] = intChunk
      this.meta[id * RECORD + BYTES] = byteChunk
    }
    return first
  }

  private addrId(a: string): number {
    let id = this.addrIds.get(a)
    if (id === undefined) this.addrIds.set(a, (id = this.addrs.push(a) - 1))
    return id
  }

  private intsOf(id: number): number {
    const at = id * RECORD
    return this.meta[at + N_EPH]! + this.meta[at + N_ADDR]! + this.meta[at + N_REM]! + Math.max(0, this.meta[at + N_LISTEN]!)
  }

  private view(at: number, from: number, n: number): Int32Array {
    return n === 0 ? EMPTY_INTS : this.ints.list[this.meta[at + INTS]!]!.subarray(from, from + n)
  }

  /** A new record's id (its words to be set). */
  private record(): number {
    if ((this.count + 1) * RECORD > this.meta.length) this.meta = grownTo(this.meta, this.meta.length * 2)
    return this.count++
  }

  private put(
    rows: number,
    owner: number,
    lineage: number,
    affinity: number,
    unattributed: number,
    remap: number,
    ephemeral: ArrayLike<number>,
    addr: ArrayLike<number>,
    remotes: ArrayLike<number>,
    listeners: ArrayLike<number> | null,
    packed: Uint8Array,
  ): number {
    const id = this.record()
    const at = id * RECORD
    const m = this.meta
    m[at + ROWS] = rows
    m[at + TW] = owner
    m[at + TW + 1] = lineage
    m[at + TW + 2] = affinity
    m[at + TW + 3] = unattributed
    m[at + REMAP] = remap
    m[at + N_EPH] = ephemeral.length
    m[at + N_ADDR] = addr.length
    m[at + N_REM] = remotes.length
    m[at + N_LISTEN] = listeners === null ? -1 : listeners.length
    const n = ephemeral.length + addr.length + remotes.length + (listeners?.length ?? 0)
    m[at + INTS] = this.ints.place(n)
    const i = (m[at + INTS_AT] = this.ints.at)
    if (n > 0) {
      const chunk = this.ints.list[m[at + INTS]!]!
      chunk.set(ephemeral, i)
      chunk.set(addr, i + ephemeral.length)
      chunk.set(remotes, i + ephemeral.length + addr.length)
      if (listeners) chunk.set(listeners, i + ephemeral.length + addr.length + remotes.length)
    }
    m[at + N_BYTES] = packed.length
    m[at + BYTES] = this.bytes.place(packed.length)
    m[at + BYTES_AT] = this.bytes.at
    if (packed.length > 0) this.bytes.list[m[at + BYTES]!]!.set(packed, this.bytes.at)
    return id
  }
}

/** Records of a SummaryStore copied out with their arrays (see `SummaryStore.block`): what a worker sends. */
export type SummaryBlock = {meta: Int32Array<ArrayBuffer>; ints: Int32Array<ArrayBuffer>; bytes: Uint8Array<ArrayBuffer>; addrs: string[]}

/** The buffers of a block, to move rather than copy in a `postMessage`. */
export const blockBuffers = (b: SummaryBlock): ArrayBuffer[] => [b.meta.buffer, b.ints.buffer, b.bytes.buffer]

/** The record of the summary of a snapshot with no rows (or whose rows were not aggregated), in every store. */
export const EMPTY_RECORD = 0

// A record's words: rows, the four TIME_WAIT tallies (owner, lineage, remote-affinity, unattributed), the quads'
// renumbering (-1: none), the chunk and offset of its words (ephemeral, address ids, remotes, listeners, in this
// order), their counts (listeners -1 when absent), the chunk, offset and length of its packed quads.
const ROWS = 0
const TW = 1
const REMAP = 5
const INTS = 6
const INTS_AT = 7
const N_EPH = 8
const N_ADDR = 9
const N_REM = 10
const N_LISTEN = 11
const BYTES = 12
const BYTES_AT = 13
const N_BYTES = 14
const RECORD = 16
/** Words and bytes of the shared chunks; a record's arrays longer than a quarter of one get a chunk of their own. */
const INT_CHUNK = 1 << 15
const BYTE_CHUNK = 1 << 16
const EMPTY_INTS = new Int32Array(0)

/** Arrays handed out in pieces: a piece never spans two. */
class Chunks<T extends Int32Array | Uint8Array> {
  readonly list: T[] = []
  /** Where the last `place` starts in its chunk. */
  at = 0
  private filling = -1
  private fill = 0

  constructor(
    private readonly make: (n: number) => T,
    private readonly size: number,
  ) {}

  /** Room for `n` elements: the chunk's index (their start in `at`); -1 for none. */
  place(n: number): number {
    if (n === 0) {
      this.at = 0
      return -1
    }
    if (n > this.size >> 2) {
      this.at = 0
      return this.list.push(this.make(n)) - 1
    }
    if (this.filling < 0 || this.fill + n > this.size) {
      this.filling = this.list.push(this.make(this.size)) - 1
      this.fill = 0
    }
    this.at = this.fill
    this.fill += n
    return this.filling
  }

  /** `chunk` whole, as it is (never filled further): its index. */
  adopt(chunk: T): number {
    return this.list.push(chunk) - 1
  }

  clear(): void {
    this.list.length = 0
    this.filling = -1
    this.fill = 0
  }
}
