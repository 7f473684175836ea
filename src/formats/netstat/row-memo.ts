import {grownTo, ViewCache} from '../../typed-arrays.js'
import {V4_BASE} from '../../model/address-kinds.js'
import {LazyAddressRecord, newConnection} from '../shared/records.js'
import {quadString} from '../shared/dotted-quad.js'
import {type ConnectionRecord, type Proto, TCP_STATES, type TcpState} from '../types.js'

/** Rows longer than this are parsed every time (real netstat rows are 60–120 bytes). */
export const MAX_ROW = 240
/** Consumer words per entry (see {@link RowMemo.aux}). */
export const MEMO_AUX = 3
/** Words per entry in {@link RowMemo.fields}, and where each field sits. */
export const MEMO_FIELDS = 9
export const M_PROTO = 0
export const M_STATE = 1
export const M_PID = 2
export const M_LPORT = 3
export const M_LADDR = 4
export const M_RPORT = 5
export const M_RADDR = 6
/** IPv4 values of the two addresses whose strings the memo does not hold (-1: it holds the string). */
export const M_LV4 = 7
export const M_RV4 = 8
/** Blanks before a row that {@link RowMemo.next} accepts (more go the long way, past the line-length cap). */
export const MAX_LEAD = 16
/** Rows of the snapshot before that {@link RowMemo.next} tries, from the cursor on. */
const LOOK_AHEAD = 3
/** Snapshots the memo stays off after one where it did not pay, at first and at most (doubling between). */
const PAUSE_MIN = 4
const PAUSE_MAX = 64
/** Lookups a snapshot needs before its hit rate says anything. */
const MEASURE_MIN = 256
/** Rows {@link RowMemo.gallop} takes at least and at most at once. */
const GALLOP_MIN = 8
const GALLOP_MAX = 512

const PROTOS: readonly Proto[] = ['TCP', 'UDP']

/**
 * The rows of the last two snapshots, by their bytes: a loop's snapshots repeat most rows of the one
 * before (long-lived connections, leaked BOUND sockets, TIME_WAIT for two to four minutes), so a row
 * seen again is looked up instead of parsed. Lookups verify every byte: a hit restores exactly the
 * fields the row reader produced for the same bytes, so the memo never changes a result.
 *
 * Memory is bounded by the rows of two snapshots: entries not seen in the snapshot that just ended
 * are dropped when the table is compacted (at snapshot starts, once it has doubled).
 */
export class RowMemo {
  private table: Int32Array
  private mask: number
  private arena = new Uint8Array(1 << 20)
  private used = 0
  private count = 0
  /** Entries before the first compaction (lowered by tests to exercise it). */
  static minCompact = 16_384
  private compactAt = RowMemo.minCompact
  private generation = 1
  private offs = new Int32Array(1024)
  private lens = new Int32Array(1024)
  private hashes = new Int32Array(1024)
  private gens = new Uint32Array(1024)
  /** Per entry ({@link MEMO_FIELDS} words): proto (0 TCP, 1 UDP), state (index + 1, 0 for none), pid, ports and address ids. */
  private fieldWords = new Float64Array(1024 * MEMO_FIELDS)
  /** Per entry: the address strings, or null for an IPv4 address not made into a string (its value at M_LV4, M_RV4). */
  private localAddrs: (string | null)[] = []
  private remoteAddrs: (string | null)[] = []
  /**
   * {@link MEMO_AUX} words per entry for a consumer to cache what it derives from the row (set to -1
   * when the entry is made, moved with it on compaction). Entry numbers are valid until the next snapshot.
   */
  aux = new Int32Array(1024 * MEMO_AUX).fill(-1)
  /** Views of the chunk rows are looked up in (made once per chunk). */
  private readonly views = new ViewCache()
  private arenaView = new DataView(this.arena.buffer)
  /**
   * Rows mostly come in the same order as in the snapshot before: entries in the order this snapshot
   * met them (`order`), the previous snapshot's (`prevOrder`), and where the next row is expected there.
   * The expected entry is compared first; the hash is computed only when it is not the one.
   */
  private order = new Int32Array(16_384)
  private orderLen = 0
  private prevOrder = new Int32Array(16_384)
  private prevLen = 0
  private cursor = 0
  /** Per entry: its position in the order of the snapshot that last met it. */
  private pos = new Int32Array(1024)
  /**
   * Line images: the exact bytes of the lines rows were met on by {@link next} or {@link gallop}, in
   * `order` (this snapshot) and `prevOrder` (the one before); per position, where its line starts and
   * ends there (-1: the row was met the long way, no image). Where the snapshot before has images back
   * to back, a stretch of lines is compared with them in one native call instead of row by row.
   */
  private img = new Uint8Array(1 << 16)
  private imgLen = 0
  private prevImg = new Uint8Array(1 << 16)
  private imgOff = new Int32Array(16_384)
  private imgEnd = new Int32Array(16_384)
  private prevImgOff = new Int32Array(16_384)
  private prevImgEnd = new Int32Array(16_384)
  /** Per position of the snapshot before: how many positions from it on have images back to back. */
  private prevRun = new Int32Array(16_384)
  /** Rows the next {@link gallop} tries at once, and rows left to go one by one after one failed. */
  private gallopRows = GALLOP_MIN
  private gallopPause = 0
  /** The position in the snapshot before of the first row the last successful {@link gallop} took. */
  gallopFrom = 0
  /** Rows looked up, rows found, and rows found by {@link gallop} (for tests and the benchmark's profile). */
  lookups = 0
  hits = 0
  galloped = 0
  /**
   * False while the memo is off: a snapshot where fewer than one row in five was found (a busy server's
   * fresh peers) turns it off for a few snapshots, then it fills for one snapshot and is measured again
   * on the next; each time it does not pay, the pause doubles (up to PAUSE_MAX).
   */
  active = true
  private offFor = 0
  private pause = PAUSE_MIN
  private measure = true
  private markLookups = 0
  private markHits = 0

  constructor() {
    this.table = new Int32Array(32_768)
    this.mask = this.table.length - 1
  }

  /** The entry holding exactly bytes [s, e) of buf, or -1. */
  find(buf: Uint8Array, s: number, e: number): number {
    const len = e - s
    if (len > MAX_ROW || !this.active) {
      this.lastSlot = -1
      return -1
    }
    this.lookups++
    const arena = this.arenaView
    const view = this.views.of(buf)
    if (this.cursor < this.prevLen) {
      const entry = this.prevOrder[this.cursor]!
      if (this.lens[entry] === len) {
        const off = this.offs[entry]!
        if (sameBytes(arena, off, view, s, len)) {
          this.cursor++
          return this.met(entry)
        }
      }
    }
    const h = this.hash(buf, s, e)
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const entry = this.table[i]! - 1
      if (entry < 0) {
        this.lastSlot = i
        this.lastHash = h
        return -1
      }
      if (this.hashes[entry] !== h || this.lens[entry] !== len) continue
      if (sameBytes(arena, this.offs[entry]!, view, s, len)) {
        // Found out of order: rows were dropped or added since; carry on from its place in the last snapshot.
        if (this.gens[entry] !== this.generation) this.cursor = this.pos[entry]! + 1
        return this.met(entry)
      }
    }
  }

  /** Where the line matched by the last successful {@link next} ends (after its LF). */
  nextEnd = 0

  /**
   * The fast path for a row repeated in order: when buf[p…end) starts with a whole line holding the
   * row expected next (blanks, its exact bytes, CRs, LF), that entry, met as `find` would meet it,
   * with {@link nextEnd} set; else -1 and nothing changes. The line splits and trims exactly as a
   * line handed to `find` would, so it is the same row.
   */
  next(buf: Uint8Array, p: number, end: number): number {
    const cursor = this.cursor
    if (cursor >= this.prevLen) return -1
    let i = p
    while (i < end && (buf[i] === 32 || buf[i] === 9)) i++
    if (i - p > MAX_LEAD) return -1
    const view = this.views.of(buf)
    // The row expected next, or one of the two after it (rows that closed since the snapshot before).
    const last = Math.min(this.prevLen, cursor + LOOK_AHEAD)
    for (let c = cursor; c < last; c++) {
      const entry = this.prevOrder[c]!
      const len = this.lens[entry]!
      let k = i + len
      // A line of another length ends elsewhere: one byte tells most of them apart before the compare.
      if (k >= end || (buf[k] !== 13 && buf[k] !== 10) || !sameBytes(this.arenaView, this.offs[entry]!, view, i, len)) continue
      while (k < end && buf[k] === 13) k++
      if (k >= end || buf[k] !== 10) return -1
      this.nextEnd = k + 1
      // As `find` moves the cursor: past the entry, unless this snapshot met it already.
      if (c === cursor || this.gens[entry] !== this.generation) this.cursor = c + 1
      this.lookups++
      const before = this.orderLen
      this.met(entry)
      if (this.orderLen > before) {
        this.imgOff[before] = p
        this.imgEnd[before] = k + 1
      }
      if (this.gallopPause > 0) this.gallopPause--
      return entry
    }
    return -1
  }

  /**
   * The next rows of the snapshot before at once, when buf[p…end) starts with exactly the lines they
   * were met on there (one native comparison of up to a few hundred lines): the number of rows taken
   * (entries {@link prevEntry}(gallopFrom + i), met as `next` meets them, {@link nextEnd} after the last
   * line), or 0 and nothing changes. Positions taken get images at buf offsets, see {@link imageRun}.
   */
  gallop(buf: Buffer, p: number, end: number): number {
    const k = this.cursor
    if (k >= this.prevLen || this.gallopPause > 0) return 0
    const m = Math.min(this.prevRun[k]!, this.gallopRows)
    if (m < GALLOP_MIN) return 0
    const from = this.prevImgOff[k]!
    const to = this.prevImgEnd[k + m - 1]!
    if (p + (to - from) > end || buf.compare(this.prevImg, from, to, p, p + (to - from)) !== 0) {
      this.gallopRows = GALLOP_MIN
      this.gallopPause = GALLOP_MIN
      return 0
    }
    if (this.gallopRows < GALLOP_MAX) this.gallopRows *= 2
    const shift = p - from
    for (let i = k; i < k + m; i++) {
      const before = this.orderLen
      this.met(this.prevOrder[i]!)
      if (this.orderLen > before) {
        this.imgOff[before] = this.prevImgOff[i]! + shift
        this.imgEnd[before] = this.prevImgEnd[i]! + shift
      }
    }
    this.lookups += m
    this.galloped += m
    this.cursor = k + m
    this.gallopFrom = k
    this.nextEnd = to + shift
    return m
  }

  /** The entry at position i of the snapshot before. */
  prevEntry(i: number): number {
    return this.prevOrder[i]!
  }

  /** This snapshot's order so far (positions from here on are rows met after now). */
  get position(): number {
    return this.orderLen
  }

  /**
   * Keeps buf[start…end), the `lines` lines `next` and `gallop` took since position `from` (whose images
   * still hold buf offsets), as those positions' images.
   */
  imageRun(buf: Buffer, start: number, end: number, from: number, lines: number): void {
    if (lines < 2) {
      // A lone row (as every row of a `-b` loop, between owner lines) cannot start a stretch: no image, so
      // `gallop` does not try rows whose images would be back to back but whose lines are not.
      for (let i = from; i < this.orderLen; i++) this.imgOff[i] = -1
      return
    }
    const len = end - start
    if (this.imgLen + len > this.img.length) {
      const bigger = new Uint8Array(Math.max(this.img.length * 2, this.imgLen + len))
      bigger.set(this.img.subarray(0, this.imgLen))
      this.img = bigger
    }
    buf.copy(this.img, this.imgLen, start, end)
    const shift = this.imgLen - start
    for (let i = from; i < this.orderLen; i++) {
      this.imgOff[i] = this.imgOff[i]! + shift
      this.imgEnd[i] = this.imgEnd[i]! + shift
    }
    this.imgLen += len
  }

  /** The entries' fields ({@link MEMO_FIELDS} words each, at the M_ offsets); valid until the next `add`. */
  get fields(): Float64Array {
    return this.fieldWords
  }

  /** A row met (again) in this snapshot. */
  private met(entry: number): number {
    if (this.gens[entry] !== this.generation) {
      this.gens[entry] = this.generation
      this.append(entry)
    }
    this.hits++
    return entry
  }

  private append(entry: number): void {
    if (this.orderLen === this.order.length) this.order = grownTo(this.order, this.order.length * 2)
    if (this.orderLen === this.imgOff.length) {
      this.imgOff = grownTo(this.imgOff, this.imgOff.length * 2)
      this.imgEnd = grownTo(this.imgEnd, this.imgEnd.length * 2)
    }
    this.imgOff[this.orderLen] = -1
    this.pos[entry] = this.orderLen
    this.order[this.orderLen++] = entry
  }

  private lastSlot = -1
  private lastHash = 0

  /** Copies entry's fields into rec (what the row reader wrote for these bytes). */
  restore(entry: number, rec: ConnectionRecord): void {
    const f = this.fieldWords
    const b = entry * MEMO_FIELDS
    rec.proto = PROTOS[f[b + M_PROTO]!]!
    const st = f[b + M_STATE]!
    rec.state = st === 0 ? null : TCP_STATES[st - 1]!
    rec.pid = f[b + M_PID]!
    const lazy = rec instanceof LazyAddressRecord ? rec : null
    const local = this.localAddrs[entry] ?? null
    if (lazy) {
      lazy.local = local
      lazy.localV4 = f[b + M_LV4]!
    } else rec.localAddr = local ?? quadString(f[b + M_LV4]!)
    rec.localPort = f[b + M_LPORT]!
    rec.localAddrId = f[b + M_LADDR]!
    const remote = this.remoteAddrs[entry] ?? null
    if (lazy) {
      lazy.remote = remote
      lazy.remoteV4 = f[b + M_RV4]!
    } else rec.remoteAddr = remote ?? quadString(f[b + M_RV4]!)
    rec.remotePort = f[b + M_RPORT]!
    rec.remoteAddrId = f[b + M_RADDR]!
    rec.process = null
    rec.memoEntry = entry
    rec.memoAux = this.aux
  }

  /** Remembers the row just parsed from bytes [s, e) (right after a `find` of the same bytes that missed). */
  add(buf: Uint8Array, s: number, e: number, rec: ConnectionRecord): void {
    const len = e - s
    rec.memoEntry = -1
    if (len > MAX_ROW || this.lastSlot < 0) return
    const entry = this.count
    if (entry === this.gens.length) this.growEntries()
    if (this.used + len + 4 > this.arena.length) this.growArena(len + 4)
    // Four bytes at a time (a subarray per row would allocate a Buffer).
    const to = this.arenaView
    const view = this.views.of(buf)
    const at = this.used
    let k = 0
    for (; k + 4 <= len; k += 4) to.setInt32(at + k, view.getInt32(s + k, true), true)
    for (; k < len; k++) this.arena[at + k] = buf[s + k]!
    this.offs[entry] = this.used
    this.lens[entry] = len
    this.hashes[entry] = this.lastHash
    this.gens[entry] = this.generation
    this.append(entry)
    const f = this.fieldWords
    const b = entry * MEMO_FIELDS
    f[b + M_PROTO] = rec.proto === 'UDP' ? 1 : 0
    f[b + M_STATE] = rec.state === null ? 0 : stateWord(rec.state)
    f[b + M_PID] = rec.pid
    f[b + M_LPORT] = rec.localPort
    f[b + M_LADDR] = rec.localAddrId ?? -1
    f[b + M_RPORT] = rec.remotePort
    f[b + M_RADDR] = rec.remoteAddrId ?? -1
    // A lazy record's IPv4 strings stay unmade: the memo keeps their values.
    if (rec instanceof LazyAddressRecord) {
      this.localAddrs[entry] = rec.local
      this.remoteAddrs[entry] = rec.remote
      f[b + M_LV4] = rec.localV4
      f[b + M_RV4] = rec.remoteV4
    } else {
      this.localAddrs[entry] = rec.localAddr
      this.remoteAddrs[entry] = rec.remoteAddr
    }
    this.aux.fill(-1, entry * MEMO_AUX, entry * MEMO_AUX + MEMO_AUX)
    this.used += len
    this.table[this.lastSlot] = entry + 1
    this.lastSlot = -1
    this.count++
    rec.memoEntry = entry
    rec.memoAux = this.aux
    if (this.count * 2 > this.mask) this.rehash(this.table.length * 2)
  }

  /** A new snapshot starts: rows not seen in the one that ended may be dropped. */
  nextSnapshot(): void {
    if (!this.paysOff()) return
    this.generation++
    this.lastSlot = -1
    ;[this.order, this.prevOrder] = [this.prevOrder, this.order]
    this.prevLen = this.orderLen
    this.orderLen = 0
    this.cursor = 0
    ;[this.img, this.prevImg] = [this.prevImg, this.img]
    ;[this.imgOff, this.prevImgOff] = [this.prevImgOff, this.imgOff]
    ;[this.imgEnd, this.prevImgEnd] = [this.prevImgEnd, this.imgEnd]
    this.imgLen = 0
    if (this.prevRun.length < this.prevLen) this.prevRun = new Int32Array(this.prevImgOff.length)
    const off = this.prevImgOff
    const ends = this.prevImgEnd
    const run = this.prevRun
    for (let i = this.prevLen - 1, next = 0; i >= 0; i--) {
      next = off[i]! < 0 ? 0 : i + 1 < this.prevLen && off[i + 1]! >= 0 && off[i + 1] === ends[i] ? next + 1 : 1
      run[i] = next
    }
    this.gallopRows = GALLOP_MIN
    this.gallopPause = 0
    if (this.count >= this.compactAt) this.compact()
  }

  /** Address ids renumbered by their table (old → new, -1 or past the map: dropped, looked up again by the consumer). */
  remapAddresses(map: Int32Array): void {
    const f = this.fieldWords
    for (let e = 0; e < this.count; e++) {
      const b = e * MEMO_FIELDS
      for (const k of [M_LADDR, M_RADDR]) {
        const id = f[b + k]!
        // IPv4 ids (V4_BASE + value) are never renumbered.
        f[b + k] = id >= V4_BASE ? id : id >= 0 && id < map.length ? map[id]! : -1
      }
    }
  }

  /** Whether the memo works in the snapshot that starts (see `active`); off, it holds nothing. */
  private paysOff(): boolean {
    const looked = this.lookups - this.markLookups
    const found = this.hits - this.markHits
    this.markLookups = this.lookups
    this.markHits = this.hits
    if (this.active) {
      if (this.measure && looked >= MEASURE_MIN) {
        if (found * 5 < looked) {
          this.active = false
          this.offFor = this.pause
          this.pause = Math.min(this.pause * 2, PAUSE_MAX)
          this.clear()
          return false
        }
        this.pause = PAUSE_MIN
      }
      this.measure = true
      return true
    }
    if (--this.offFor > 0) return false
    // On again: this snapshot fills the memo, the next one says whether it pays.
    this.active = true
    this.measure = false
    return true
  }

  /** Forgets every row (a new input starts). */
  clear(): void {
    this.table.fill(0)
    this.count = 0
    this.used = 0
    this.localAddrs.length = 0
    this.remoteAddrs.length = 0
    this.lastSlot = -1
    this.orderLen = 0
    this.prevLen = 0
    this.cursor = 0
    this.imgLen = 0
  }

  private compact(): void {
    const keep = this.generation - 1
    const map = new Int32Array(this.count).fill(-1)
    let n = 0
    let used = 0
    // In place: kept entries only move towards the front.
    const arena = this.arena
    const f = this.fieldWords
    const aux = this.aux
    for (let e = 0; e < this.count; e++) {
      if (this.gens[e]! < keep) continue
      const len = this.lens[e]!
      const off = this.offs[e]!
      if (off !== used) arena.copyWithin(used, off, off + len)
      this.offs[n] = used
      this.lens[n] = len
      this.hashes[n] = this.hashes[e]!
      this.gens[n] = this.gens[e]!
      for (let k = 0; k < MEMO_FIELDS; k++) f[n * MEMO_FIELDS + k] = f[e * MEMO_FIELDS + k]!
      for (let k = 0; k < MEMO_AUX; k++) aux[n * MEMO_AUX + k] = aux[e * MEMO_AUX + k]!
      this.localAddrs[n] = this.localAddrs[e]!
      this.remoteAddrs[n] = this.remoteAddrs[e]!
      this.pos[n] = this.pos[e]!
      map[e] = n
      used += len
      n++
    }
    this.used = used
    this.count = n
    this.localAddrs.length = n
    this.remoteAddrs.length = n
    // Only entries met in the last snapshot are kept, and that is its whole order.
    for (let k = 0; k < this.prevLen; k++) this.prevOrder[k] = map[this.prevOrder[k]!]!
    this.compactAt = Math.max(RowMemo.minCompact, n * 4)
    this.rehash(this.table.length)
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size)
    this.mask = size - 1
    for (let e = 0; e < this.count; e++) {
      let i = this.hashes[e]! & this.mask
      while (this.table[i] !== 0) i = (i + 1) & this.mask
      this.table[i] = e + 1
    }
    this.lastSlot = -1
  }

  private growEntries(): void {
    const n = this.gens.length * 2
    this.offs = grownTo(this.offs, n)
    this.lens = grownTo(this.lens, n)
    this.hashes = grownTo(this.hashes, n)
    this.gens = grownTo(this.gens, n)
    this.pos = grownTo(this.pos, n)
    this.fieldWords = grownTo(this.fieldWords, n * MEMO_FIELDS)
    this.aux = grownTo(this.aux, n * MEMO_AUX, -1)
  }

  private growArena(len: number): void {
    const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.used + len))
    bigger.set(this.arena.subarray(0, this.used))
    this.arena = bigger
    this.arenaView = new DataView(bigger.buffer)
  }

  /** Murmur3-style mix of the row's bytes, four at a time. */
  private hash(buf: Uint8Array, s: number, e: number): number {
    const view = this.views.of(buf)
    let h = (e - s) | 0
    let i = s
    for (; i + 4 <= e; i += 4) {
      let k = Math.imul(view.getInt32(i, true), 0xcc9e2d51)
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593)
      h ^= k
      h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0
    }
    for (; i < e; i++) h = Math.imul(h ^ buf[i]!, 0x01000193)
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    return h
  }
}

/**
 * True when `len` bytes at a[ao…] and b[bo…] are the same. Eight bytes at a time as doubles: equal
 * doubles have equal bits except ±0 (and NaN is never equal), so a zero or a difference is settled
 * four bytes, then one byte, at a time.
 */
export function sameBytes(a: DataView, ao: number, b: DataView, bo: number, len: number): boolean {
  let k = 0
  while (k + 8 <= len) {
    const x = a.getFloat64(ao + k, true)
    if (x !== b.getFloat64(bo + k, true) || x === 0) break
    k += 8
  }
  while (k + 4 <= len && a.getInt32(ao + k, true) === b.getInt32(bo + k, true)) k += 4
  while (k < len && a.getUint8(ao + k) === b.getUint8(bo + k)) k++
  return k === len
}

let scratch: ConnectionRecord | null = null

/** Entry `entry` of `memo` as the record the row reader made for it, at `line` (one shared record: use it before the next call). */
export function restoreRow(memo: RowMemo, entry: number, line: number, process: string | null = null): ConnectionRecord {
  const rec = (scratch ??= {...newConnection(), localAddrId: -1, remoteAddrId: -1, memoEntry: -1, memoAux: new Int32Array(0)})
  memo.restore(entry, rec)
  rec.line = line
  rec.process = process
  return rec
}

const STATE_INDEX = new Map<TcpState, number>(TCP_STATES.map((s, i) => [s, i]))
/** A state's word in {@link RowMemo.fields} (M_STATE): its index in TCP_STATES + 1 (0 is no state). */
export const stateWord = (s: TcpState) => STATE_INDEX.get(s)! + 1
