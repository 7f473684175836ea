// The netstat row kernel (AssemblyScript, compiled to WebAssembly by `npm run build:kernel`).
//
// Reads one `netstat -an[o][b][q]` row from bytes in this module's memory and writes its fields to OUT:
// the same splitting rules as src/parsers/netstat-row.ts (fields split by blank runs, at most eight;
// `addr:port` split at the last colon, `[v6%zone]:port`, `*`; a trailing PID; one- or several-word
// states). Addresses come back as byte ranges plus their IPv4 value, so the caller turns them into
// strings and ids only when they change. Nothing is allocated: everything lives at fixed offsets.
//
// Memory layout (bytes):
//   OUT    [0, 128)       i32 result fields (F_* below); the two IPv4 values as f64 at 96 and 104
//   LAST   [128, 320)     the last local and remote address bytes (64 each, then the length and the IPv4 value)
//   TOK    [400, 464)     token bounds
//   STATES [512, 4096)    state words, set once by the caller: [len u8][state u8][bytes…], ending in len 0
//   SCRATCH[4096, 4352)   the state word being looked up
//   LANE   [4400, 4480)   what the row lane (`lane`) took: end offset, BOUND seen, PID seen, `*` used, rows per state,
//                         owner lines, address ids handed back (see laneUsed)
//   WORDS  [4608, 5120)   state words already looked up: 16 entries of [len u8][state u8][bytes…] (see `state`)
//   IN     (heap)         the caller's chunk of input, where `inputArea` puts it
//
// The module is built with --memoryBase 8192: static data and the heap (kernel/aggregate.ts's tables, IN)
// start past these fixed areas.

const OUT: usize = 0
const LAST_LOCAL: usize = 128
const LAST_REMOTE: usize = 224
const STATES: usize = 512
const SCRATCH: usize = 4096
const WORDS: usize = 4608
/** Longest state word WORDS keeps, and its entries (a power of two). */
const WORD_MAX: usize = 30
const WORD_ENTRIES: usize = 16
let IN: usize = 0
let inCap: usize = 0
/** False while the lane parses rows: the last addresses (LAST) are neither compared nor kept then. */
let tracking = true

const F_PROTO = 0
const F_STATE = 1
const F_PID = 2
const F_LSTART = 3
const F_LEND = 4
const F_LPORT = 5
const F_LV4 = 6
const F_LSAME = 7
const F_RSTART = 8
const F_REND = 9
const F_RPORT = 10
const F_RV4 = 11
const F_RSAME = 12
const F_LSTAR = 13
const F_RSTAR = 14

/** parseRow results. */
const REJECT = 0
const OK = 1
const FALLBACK = 2

// Token bounds (at most eight), as i32 pairs.
const TOK: usize = 400

/** Where the caller puts its bytes (room for `size` of them; the place may move when it grows). */
export function inputArea(size: i32): i32 {
  // Room past the bytes, whatever their size, for a line's 128-byte masks (tokensShort).
  if (<usize>size + IN_ROOM > inCap) {
    if (inCap > 0) free(IN, inCap)
    inCap = <usize>size + (<usize>size >> 3) + IN_ROOM
    IN = alloc(inCap)
  }
  return <i32>IN
}

/** Bytes the input area keeps after the caller's, which the kernel may read and drops (see tokensShort). */
const IN_ROOM: usize = 192

/** Where the caller writes the state words (see STATES). */
export function statesOffset(): i32 {
  return <i32>STATES
}

/** Forgets the last addresses and state (the caller's ids were renumbered). */
export function forget(): void {
  untrack()
}

@inline function isBlank(c: u32): bool {
  return c == 32 || c == 9
}

// Blank runs, words and line ends are found 16 bytes at a time (WebAssembly SIMD): a row is about 85
// bytes of short words and blank runs. A line shorter than 128 bytes is split from two 64-bit masks of
// its bytes (tokensShort) and a port from its first 16 (shortDigits): these read up to 127 bytes past
// the line and drop what they read there (inputArea leaves that much room after the
// caller's bytes). Elsewhere blocks are read only where all 16 bytes lie before the end given, and the rest
// goes byte by byte.

/** Bit k set where byte k of the 16 at `p` is a blank (space or tab). */
@inline function blanks16(p: usize): i32 {
  const v = v128.load(p)
  return i8x16.bitmask(v128.or(i8x16.eq(v, i8x16.splat(32)), i8x16.eq(v, i8x16.splat(9))))
}

/** The first byte at or after `i` (before `n`) that is not a blank, else `n`. */
function skipBlanks(i: usize, n: usize): usize {
  while (i + 16 <= n) {
    const words = ~blanks16(i) & 0xffff
    if (words != 0) return i + <usize>ctz(words)
    i += 16
  }
  while (i < n && isBlank(<u32>load<u8>(i))) i++
  return i
}

/** The first blank at or after `i` (before `n`), else `n`. */
function skipWord(i: usize, n: usize): usize {
  while (i + 16 <= n) {
    const b = blanks16(i)
    if (b != 0) return i + <usize>ctz(b)
    i += 16
  }
  while (i < n && !isBlank(<u32>load<u8>(i))) i++
  return i
}

/** The first LF at or after `i` (before `n`), else `n`. */
function lineEnd(i: usize, n: usize): usize {
  while (i + 16 <= n) {
    const lf = i8x16.bitmask(i8x16.eq(v128.load(i), i8x16.splat(10)))
    if (lf != 0) return i + <usize>ctz(lf)
    i += 16
  }
  while (i < n && load<u8>(i) != 10) i++
  return i
}

@inline function field(i: i32, v: i32): void {
  store<i32>(OUT + (<usize>i << 2), v)
}

@inline function tok(i: i32): i32 {
  return load<i32>(TOK + (<usize>i << 2))
}

/** Non-negative decimal in [s, e), or -1 when empty, longer than nine digits or not all digits. */
function digits(s: usize, e: usize): i32 {
  if (e <= s || e - s > 9) return -1
  let v: i32 = 0
  for (let i = s; i < e; i++) {
    const d = <i32>load<u8>(i) - 48
    if (d < 0 || d > 9) return -1
    v = v * 10 + d
  }
  return v
}

/** Bit k set where byte k of the 16 at `p` is a decimal digit. */
@inline function digits16(p: usize): i32 {
  return i8x16.bitmask(i8x16.lt_u(i8x16.sub(v128.load(p), i8x16.splat(48)), i8x16.splat(10)))
}

/** The 32-bit value of a canonical dotted quad in [s, e) (no leading zeros), else -1 (as f64: values pass 2^31). */
function dottedQuad(s: usize, e: usize): f64 {
  const n = e - s
  if (n < 7 || n > 15) return -1
  // Octet by octet: one to three digits (no leading zero, at most 255), then a dot, but after the fourth.
  let value: u32 = 0
  let p = s
  for (let k = 0; k < 4; k++) {
    const d0 = <u32>load<u8>(p) - 48
    if (d0 > 9) return -1
    let octet = d0
    let q = p + 1
    let d = q < e ? <u32>load<u8>(q) - 48 : 10
    if (d <= 9) {
      if (d0 == 0) return -1
      octet = octet * 10 + d
      q++
      d = q < e ? <u32>load<u8>(q) - 48 : 10
      if (d <= 9) {
        octet = octet * 10 + d
        if (octet > 255) return -1
        q++
      }
    }
    value = (value << 8) | octet
    if (k < 3) {
      if (q + 1 >= e || load<u8>(q) != 46) return -1
      p = q + 1
    } else if (q != e) return -1
  }
  return <f64>value
}

/** As `digits` for [s, e), one to seven bytes of them, without a branch per byte (16 bytes from `s` are read). */
function shortDigits(s: usize, e: usize): i32 {
  const len = <i32>(e - s)
  if (len < 1 || len > 7) return digits(s, e)
  const live = (1 << len) - 1
  if ((digits16(s) & live) != live) return -1
  // The digits moved to the high bytes (most significant digit first in memory: lowest), zeros before them.
  const shift = <u64>(64 - 8 * len)
  let v = (load<u64>(s) << shift) - (0x3030303030303030 << shift)
  v = ((v * 10) + (v >> 8)) & 0x00ff00ff00ff00ff
  v = ((v * 100) + (v >> 16)) & 0x0000ffff0000ffff
  v = (v * 10000) + (v >> 32)
  return <i32>(v & 0xffffffff)
}

/**
 * Compares [s, e) with the address bytes kept at `last` (length at last + 64; 255 = none) and keeps them,
 * with their dottedQuad value at last + 72, when they differ. A server's rows share a few local addresses,
 * often row after row, and a repeat-heavy loop's remote ones: their quad is then read once.
 */
function sameAsLast(last: usize, s: usize, e: usize): bool {
  const len = <u32>(e - s)
  if (len < 64 && <u32>load<u8>(last + 64) == len) {
    // Up to 16 bytes (IPv4) in one compare of the 16 from `s`; longer ones byte by byte.
    if (len <= 16) {
      const live = (1 << len) - 1
      if ((i8x16.bitmask(i8x16.eq(v128.load(s), v128.load(last))) & live) == live) return true
    } else if (memory.compare(last, s, len) == 0) return true
  }
  if (len < 64) {
    if (len <= 16) v128.store(last, v128.load(s))
    else memory.copy(last, s, len)
    store<u8>(last + 64, <u8>len)
  } else store<u8>(last + 64, 255)
  store<f64>(last + 72, dottedQuad(s, e))
  return false
}

/**
 * Splits `addr:port` at [s, e) into fields base…base+4 (start, end relative to IN, port, IPv4 value,
 * same as the last one) and `star` (1: the address is `*`). False when it is no address (as the JS reader's `address`).
 */
function address(s: usize, e: usize, base: i32, star: i32, last: usize): bool {
  let colon = e - 1
  while (colon > s && load<u8>(colon) != 58) colon--
  if (colon <= s) {
    if (e - s == 1 && load<u8>(s) == 42) {
      store<u8>(last + 64, 255)
      field(star, 1)
      return true
    }
    return false
  }
  field(star, 0)
  let as = s
  let ae = colon
  if (load<u8>(s) == 91 && load<u8>(colon - 1) == 93) {
    as = s + 1
    ae = colon - 1
  }
  const port = shortDigits(colon + 1, e)
  if (port > 65535) return false
  field(base, <i32>(as - IN))
  field(base + 1, <i32>(ae - IN))
  field(base + 2, port)
  const same = sameAsLast(last, as, ae)
  // A quad is 7–15 bytes (the bytes kept at first are none of these lengths: zero, then 255).
  const len = ae - as
  store<f64>(OUT + 96 + (base == F_LSTART ? 0 : 8), len < 7 || len > 15 ? -1 : load<f64>(last + 72))
  // The lane keys addresses itself: only a caller reading fields wants to know whether they repeat.
  if (tracking) field(base + 4, same ? 1 : 0)
  return true
}

/**
 * The state (index in TCP_STATES + 1) of the word at [s, e), words joined by `_` when `words`; 0 when
 * the word is not in the table, -1 when the kernel cannot tell (bytes outside printable ASCII).
 */
function state(s: usize, e: usize, words: bool): i32 {
  const len = e - s
  // Words already looked up, by their bytes (rows repeat a handful of states, interleaved). `words` follows
  // from the bytes: the span holds blanks only when it is several words.
  const entry = len <= WORD_MAX ? WORDS + ((((len * 7) ^ <usize>load<u8>(s) ^ (<usize>load<u8>(e - 1) << 1)) & (WORD_ENTRIES - 1)) << 5) : 0
  if (entry != 0 && <usize>load<u8>(entry) == len) {
    let k: usize = 0
    while (k < len && load<u8>(entry + 2 + k) == load<u8>(s + k)) k++
    if (k == len) return <i32>load<u8>(entry + 1)
  }
  let n: usize = 0
  let i = s
  while (i < e) {
    const c = <u32>load<u8>(i)
    if (words && isBlank(c)) {
      while (i < e && isBlank(<u32>load<u8>(i))) i++
      if (n >= 200) return -1
      store<u8>(SCRATCH + n++, 95)
      continue
    }
    // Bytes of other characters are UTF-8 (every input is UTF-8 by now): `ABHÖREN`, `ÉTABLI` are read here.
    if (c < 33 || c == 127 || n >= 200) return -1
    store<u8>(SCRATCH + n++, <u8>c)
    i++
  }
  // ABHÖREN after an OEM→ANSI round trip: any one character (or none) between ABH and REN.
  let found: i32 = 0
  if (
    n >= 6 && n <= 8 && load<u8>(SCRATCH) == 65 && load<u8>(SCRATCH + 1) == 66 && load<u8>(SCRATCH + 2) == 72 &&
    load<u8>(SCRATCH + n - 3) == 82 && load<u8>(SCRATCH + n - 2) == 69 && load<u8>(SCRATCH + n - 1) == 78
  ) found = 1
  else {
    for (let k: usize = 0; k < n; k++) {
      const c = load<u8>(SCRATCH + k)
      if (c >= 97 && c <= 122) store<u8>(SCRATCH + k, c - 32)
    }
    let p = STATES
    for (;;) {
      const wl = <usize>load<u8>(p)
      if (wl == 0) break
      if (wl == n) {
        let k: usize = 0
        while (k < n && load<u8>(p + 2 + k) == load<u8>(SCRATCH + k)) k++
        if (k == n) {
          found = <i32>load<u8>(p + 1)
          break
        }
      }
      p += 2 + wl
    }
  }
  if (found > 0 && entry != 0) {
    store<u8>(entry, <u8>len)
    store<u8>(entry + 1, <u8>found)
    memory.copy(entry + 2, s, len)
  }
  return found
}

/** Splits [i, n) into at most eight words (TOK); returns how many. */
function tokens(i: usize, n: usize): i32 {
  let count: i32 = 0
  while (i < n && count < 8) {
    i = skipBlanks(i, n)
    if (i >= n) break
    store<i32>(TOK + (<usize>count << 3), <i32>i)
    i = skipWord(i, n)
    store<i32>(TOK + (<usize>count << 3) + 4, <i32>i)
    count++
  }
  return count
}

/** Bit k set where byte k of the 64 from `p` is part of a word (not blank, before `n`; `n` > p). */
@inline function words64(p: usize, n: usize): u64 {
  let m = <u64>(~blanks16(p) & 0xffff)
  m |= <u64>(~blanks16(p + 16) & 0xffff) << 16
  m |= <u64>(~blanks16(p + 32) & 0xffff) << 32
  m |= <u64>(~blanks16(p + 48) & 0xffff) << 48
  const len = n - p
  return len < 64 ? m & ((<u64>1 << <u64>len) - 1) : m
}

/**
 * As `tokens`, for a line shorter than 128 bytes: where words start and end, from two 64-bit masks of
 * its bytes. Reads up to 127 bytes past `n` (inputArea leaves room), which the masks drop.
 */
function tokensShort(s: usize, n: usize): i32 {
  const w0 = words64(s, n)
  const w1 = n - s > 64 ? words64(s + 64, n) : 0
  const carry = w0 >> 63
  let starts0 = w0 & ~(w0 << 1)
  let starts1 = w1 & ~((w1 << 1) | carry)
  let ends0 = ~w0 & (w0 << 1)
  let ends1 = ~w1 & ((w1 << 1) | carry)
  let count: i32 = 0
  while (starts0 != 0 && count < 8) {
    store<i32>(TOK + (<usize>count << 3), <i32>(s + <usize>ctz(starts0)))
    starts0 &= starts0 - 1
    count++
  }
  while (starts1 != 0 && count < 8) {
    store<i32>(TOK + (<usize>count << 3), <i32>(s + 64 + <usize>ctz(starts1)))
    starts1 &= starts1 - 1
    count++
  }
  let k: i32 = 0
  while (ends0 != 0 && k < count) {
    store<i32>(TOK + (<usize>k << 3) + 4, <i32>(s + <usize>ctz(ends0)))
    ends0 &= ends0 - 1
    k++
  }
  while (k < count) {
    store<i32>(TOK + (<usize>k << 3) + 4, <i32>(s + 64 + <usize>ctz(ends1)))
    ends1 &= ends1 - 1
    k++
  }
  return count
}

/**
 * Parses the row whose protocol starts at IN + start and whose line ends at IN + end. Returns OK (fields
 * in OUT), REJECT (not a complete row, as the JS reader decides) or FALLBACK (a state word this kernel
 * cannot read: the caller parses the row itself).
 */
export function parseRow(start: i32, end: i32): i32 {
  const n = IN + <usize>end
  const count = n - (IN + <usize>start) < 128 ? tokensShort(IN + <usize>start, n) : tokens(IN + <usize>start, n)
  if (count < 3) return REJECT
  const udp = load<u8>(IN + <usize>start) == 85
  field(F_PROTO, udp ? 1 : 0)
  if (!address(<usize>tok(2), <usize>tok(3), F_LSTART, F_LSTAR, LAST_LOCAL)) return REJECT
  if (!address(<usize>tok(4), <usize>tok(5), F_RSTART, F_RSTAR, LAST_REMOTE)) return REJECT
  field(F_STATE, 0)
  field(F_PID, -1)
  if (udp) {
    if (count == 4) {
      const pid = digits(<usize>tok(6), <usize>tok(7))
      if (pid < 0) return REJECT
      field(F_PID, pid)
    } else if (count != 3) return REJECT
    return OK
  }
  if (count < 4) return REJECT
  let stateEnd = count
  const pid = count >= 5 ? digits(<usize>tok((count - 1) * 2), <usize>tok((count - 1) * 2 + 1)) : -1
  if (pid >= 0) {
    field(F_PID, pid)
    stateEnd = count - 1
  }
  const st = state(<usize>tok(6), <usize>tok((stateEnd - 1) * 2 + 1), stateEnd - 3 > 1)
  if (st < 0) return FALLBACK
  if (st == 0) return FALLBACK
  field(F_STATE, st)
  return OK
}

import {aggGeneration, aggLastSlot, aggPidSlot, aggRow, aggSetPidSlot} from './aggregate'
import {alloc, allocZeroed, free} from './memory'
export * from './aggregate'
export * from './utf16'

const LANE: usize = 4400
const LANE_END: usize = LANE
const LANE_BOUND: usize = LANE + 4
const LANE_PID: usize = LANE + 8
const LANE_STAR: usize = LANE + 12
/** Rows taken per state: [0] UDP (no state), [k] TCP state k (index in TCP_STATES + 1). */
const LANE_COUNTS: usize = LANE + 16
/** Owner lines (`-b`) taken with the rows. */
const LANE_OWNER_LINES: usize = LANE + 72
/** How many of the caller's address ids the rows used (at laneUsed). */
const LANE_USED: usize = LANE + 76
const LANE_NEED_FLUSH = -1
// Kernel states (index in TCP_STATES + 1) and address facts (A_ bits of src/model/snapshot-aggregator.ts).
const K_LISTENING = 1
const K_TIME_WAIT = 3
const K_BOUND = 5
const A_WILD = 2
const A_IPV6 = 4
const A_LOOPBACK = 8
const UDP_COUNTER = 13
// Lines longer than this are left to the caller (its line-length cap is at least 512 when it asks for runs).
const LANE_MAX_LINE = 511

// Addresses other than IPv4 and `*` (IPv6: `[::]`, `[2406:da00::1]`, `[fe80::1%4]`) are keyed by the caller's
// address table (src/model/address-table.ts: ids in first-seen order, renumbered when it compacts). An address the
// lane has not met since the caller last compacted its table is asked of the caller (`laneAddressId`, imported: it
// checks the text as the JavaScript row reader does and returns id × 16 + its facts, or -1 when it is no address),
// and the answer is kept by the address's bytes: V6_SETS sets of two entries of [length u8][facts u8][_ u16]
// [id u32][stamp u32][bytes …], V6_STRIDE bytes each (length 0: empty; longer addresses are asked every time).
// The ids of the rows the lane takes go back to the caller (what a generation used is what a compaction keeps):
// in V6_USED, once per id and generation for those in the cache (stamp: the generation it was last sent in).
const V6_SETS = 2048
const V6_STRIDE: usize = 64
const V6_HEAD: usize = 12
const V6_MAX: usize = V6_STRIDE - V6_HEAD
/** Ids the lane can hand back per call (it stops before a row that would need more). */
const V6_USED_CAP = 1024
let v6: usize = 0
let v6Used: usize = 0

// @ts-ignore: decorator
@external("env", "laneAddressId")
declare function laneAddressId(start: i32, end: i32, loose: bool): f64

/**
 * The lane's question about a PID without a slot (rows without an image name): the caller makes the slot of
 * (pid, no name), as it would for the row the long way, and answers its number; -1 when it makes none.
 */
// @ts-ignore: decorator
@external("env", "laneSlot")
declare function laneSlot(pid: i32): i32

@inline function isHex(c: u32): bool {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102)
}

/**
 * The printable ASCII at [s, e) is an address as the row reader's LOOSE_V6 has it (src/formats/netstat/row.ts:
 * up to four hex digits, a colon, letters, digits, colons and dots, then perhaps `%` and a zone without `%`):
 * the caller then need not check it again. False says nothing (the caller checks it).
 */
function looseV6(s: usize, e: usize): bool {
  let i = s
  while (i < e && isHex(<u32>load<u8>(i))) i++
  if (i - s > 4 || i >= e || load<u8>(i) != 58) return false
  i++
  for (; i < e; i++) {
    const c = <u32>load<u8>(i) | 32
    if (!((c >= 48 && c <= 58) || c == 46 || (c >= 97 && c <= 122))) break
  }
  if (i == e) return true
  if (load<u8>(i) != 37 || i + 1 >= e) return false
  for (let k = i + 1; k < e; k++) if (load<u8>(k) == 37) return false
  return true
}

/** The facts (A_ bits) of the address laneAddress returned last, its cache entry (0: none) and whether it is the caller's (neither IPv4 nor `*`). */
let addrFacts: i32 = 0
let addrEntry: usize = 0
let addrOther = false

/**
 * An address of the last parsed row as an id (IPv4: V4_BASE + value; `*`: starId; another: the caller's id, see
 * otherAddress), or -1 when it has none the lane can make, -2 when the caller would have to be asked and `ask` is false.
 */
@inline function laneAddress(base: i32, star: i32, v4at: usize, starId: f64, starFacts: i32, ask: bool): f64 {
  addrEntry = 0
  addrOther = false
  if (load<i32>(OUT + (<usize>star << 2)) == 1) {
    addrFacts = starFacts
    return starId
  }
  const v4 = load<f64>(v4at)
  if (v4 >= 0) {
    addrFacts = (v4 == 0 ? A_WILD : 0) | (v4 >= 2130706432.0 && v4 < 2147483648.0 ? A_LOOPBACK : 0)
    return 4294967296.0 + v4
  }
  const s = IN + <usize>load<i32>(OUT + (<usize>base << 2))
  const e = IN + <usize>load<i32>(OUT + (<usize>(base + 1) << 2))
  if (e - s == 1 && load<u8>(s) == 42) {
    addrFacts = starFacts
    return starId
  }
  addrOther = true
  return otherAddress(s, e, ask)
}

/** Entry o holds the bytes [s, s + len). */
@inline function v6Is(o: usize, s: usize, len: usize): bool {
  return <usize>load<u8>(o) == len && memory.compare(o + V6_HEAD, s, len) == 0
}

/**
 * The caller's id of the address at [s, e) (printable ASCII with a colon: what looks like IPv6), its facts in
 * addrFacts; from the cache, else asked of the caller when `ask` (else -2). -1 when it is no address or none the
 * lane keys (the row is then the caller's, which decides as it always did).
 */
function otherAddress(s: usize, e: usize, ask: bool): f64 {
  const len = e - s
  let colon = false
  let h: u32 = 2166136261
  for (let i = s; i < e; i++) {
    const c = <u32>load<u8>(i)
    if (c < 33 || c > 126) return -1
    if (c == 58) colon = true
    h = (h ^ c) * 16777619
  }
  if (!colon) return -1
  if (v6 == 0) {
    v6 = allocZeroed(<usize>V6_SETS * 2 * V6_STRIDE)
    v6Used = alloc(<usize>V6_USED_CAP << 2)
  }
  let set: usize = 0
  if (len <= V6_MAX) {
    set = v6 + <usize>((h ^ (h >> 15)) & (V6_SETS - 1)) * 2 * V6_STRIDE
    let o = set
    if (!v6Is(o, s, len)) {
      o += V6_STRIDE
      if (!v6Is(o, s, len)) o = 0
    }
    if (o != 0) {
      addrEntry = o
      addrFacts = <i32>load<u8>(o + 1)
      return <f64>load<u32>(o + 4)
    }
  }
  if (!ask) return -2
  const r = laneAddressId(<i32>s, <i32>e, looseV6(s, e))
  if (r < 0) return -1
  const id = Math.floor(r / 16)
  addrFacts = <i32>(r - id * 16)
  if (set != 0) {
    // The newest first: the other entry of the set goes.
    memory.copy(set + V6_STRIDE, set, V6_STRIDE)
    store<u8>(set, <u8>len)
    store<u8>(set + 1, <u8>addrFacts)
    store<u32>(set + 4, <u32>id)
    store<u32>(set + 8, 0)
    memory.copy(set + V6_HEAD, s, len)
    addrEntry = set
  }
  return id
}

/** The lane takes a row with the caller's address `id` (cache entry `entry`, 0: none): sent back unless sent this generation. */
@inline function v6Use(id: f64, entry: usize, generation: u32): void {
  if (entry != 0 && <f64>load<u32>(entry + 4) == id && load<u8>(entry) != 0) {
    if (load<u32>(entry + 8) == generation) return
    store<u32>(entry + 8, generation)
  }
  const n = load<i32>(LANE_USED)
  store<i32>(v6Used + (<usize>n << 2), <i32>id)
  store<i32>(LANE_USED, n + 1)
}

/** Forgets the addresses the lane keyed (the caller's table was renumbered, or its generations started again). */
export function laneForgetAddresses(): void {
  if (v6 != 0) memory.fill(v6, 0, <usize>V6_SETS * 2 * V6_STRIDE)
}

/** Where `lane` leaves the caller's address ids its rows used (how many: in LANE). */
export function laneUsed(): i32 {
  return <i32>v6Used
}

// Owner lines (`-b`): the bytes of the owner lines that followed a row of a PID up to the next row, with the
// slot that row went to (-1: none, a TIME_WAIT row of PID 0) and how many lines they are, learned from rows
// the caller read (`laneLearn`). A cache of OWN_SETS sets of two entries, by the hash of (PID, bytes): a PID
// whose rows name several services (a shared svchost) keeps them all. Entries: [pid i32][slot i32]
// [length i32][lines i32][bytes …], OWN_STRIDE bytes each, length 0 = empty; a byte per set (at ownNext)
// says which of its entries a new one replaces.
const OWN_SETS = 2048
const OWN_STRIDE: usize = 256
const OWN_MAX = <i32>OWN_STRIDE - 16
let own: usize = 0
let ownNext: usize = 0

/** The set of (pid, bytes [s, s + len)), as the offset of its first entry. */
function ownSet(pid: i32, s: usize, len: usize): usize {
  let h: u32 = (2166136261 ^ <u32>pid) * 16777619
  for (let k: usize = 0; k < len; k++) h = (h ^ <u32>load<u8>(s + k)) * 16777619
  return <usize>((h ^ (h >> 15)) & (OWN_SETS - 1)) * 2
}

/** Entry o holds (pid, bytes [s, s + len)). */
@inline function ownIs(o: usize, pid: i32, s: usize, len: usize): bool {
  return <usize>load<i32>(o + 8) == len && load<i32>(o) == pid && memory.compare(o + 16, s, len) == 0
}

/** Where the lines from p on reach the first row (its start), or 0 when none starts within OWN_MAX bytes before n. */
function ownEnd(p: usize, n: usize): usize {
  const limit = p + <usize>OWN_MAX < n ? p + <usize>OWN_MAX : n
  let q = p
  for (;;) {
    q = lineEnd(q, limit)
    if (q >= limit) return 0
    q++
    if (rowAt(q, n)) return q
  }
  return unreachable()
}

/** Where the row of the line at p starts (its TCP or UDP, after blanks, then a blank), of the bytes before n; 0 when it is no row. */
@inline function rowStart(p: usize, n: usize): usize {
  while (p < n && isBlank(<u32>load<u8>(p))) p++
  if (p + 3 >= n) return 0
  const c = load<u8>(p)
  if (!((c == 84 && load<u8>(p + 1) == 67 && load<u8>(p + 2) == 80) || (c == 85 && load<u8>(p + 1) == 68 && load<u8>(p + 2) == 80))) return 0
  return isBlank(<u32>load<u8>(p + 3)) ? p : 0
}

/** A row starts at p (see rowStart). */
@inline function rowAt(p: usize, n: usize): bool {
  return rowStart(p, n) != 0
}

/**
 * The caller read the row of line `line` (PID `pid`) and the owner lines at staged bytes [start, end) after
 * it (complete lines, each one the caller took as an owner line, then a row): kept for that PID, with the
 * slot the row went to, when that row was the last one aggregated (else nothing is learned); counting
 * alone (`laneCountOnly`), always, without a slot.
 */
export function laneLearn(start: i32, end: i32, pid: i32, line: i32): void {
  // Counting alone, no slot is wanted: what the owner lines were is learned whatever row came before.
  const slot = countOnly ? -1 : aggLastSlot(line, pid)
  const len = end - start
  if (slot < -1 || len <= 0 || len > OWN_MAX) return
  if (own == 0) {
    own = allocZeroed(<usize>OWN_SETS * 2 * OWN_STRIDE)
    ownNext = allocZeroed(<usize>OWN_SETS)
  }
  const s = IN + <usize>start
  const set = ownSet(pid, s, <usize>len)
  let e = own + set * OWN_STRIDE
  if (!ownIs(e, pid, s, <usize>len)) {
    const other = e + OWN_STRIDE
    if (ownIs(other, pid, s, <usize>len) || (load<i32>(e + 8) != 0 && load<i32>(other + 8) == 0)) e = other
    else if (load<i32>(e + 8) != 0) {
      const at = ownNext + (set >> 1)
      const k = load<u8>(at)
      if (k == 1) e = other
      store<u8>(at, 1 - k)
    }
  }
  let lines: i32 = 0
  for (let k: usize = 0; k < <usize>len; k++) if (load<u8>(s + k) == 10) lines++
  store<i32>(e, pid)
  store<i32>(e + 4, slot)
  store<i32>(e + 8, len)
  store<i32>(e + 12, lines)
  memory.copy(e + 16, s, <usize>len)
}

/**
 * Set by `laneCountOnly`: the lane parses and counts rows but aggregates none (readers that only count,
 * `inspect`): no process slot is looked up, no address id is sent back, nothing reaches the aggregator.
 */
let countOnly = false

export function laneCountOnly(on: bool): void {
  countOnly = on
}

/**
 * The row lane: takes the lines of staged bytes [start, end) from `start` on while each is a row this
 * kernel reads and can key itself (TCP/UDP; IPv4, `*` or IPv6 addresses, the last by the caller's ids, see
 * otherAddress; a state word from the table, a PID whose slot the caller has made or makes when asked, see
 * laneSlot) followed by another row, or
 * (`owners`: the loop has owner lines) by owner lines it learned after a row of this PID (byte for byte, see
 * laneLearn) and then another row; aggregates the rows (aggRow; counting alone, no slot is needed and
 * nothing is aggregated) with their line numbers from `line` on, counting the owner lines as lines too;
 * stops before the first other line (the last row before another
 * kind of line is the caller's, as is a row whose owner lines are new). Returns the lines taken (what they
 * were in LANE), or LANE_NEED_FLUSH when `flushFirst` and the first line is one it would take (or one whose
 * address it would ask the caller for): the caller hands on the row it holds first, then asks again.
 */
export function lane(start: i32, end: i32, line: i32, starId: f64, starFacts: i32, flushFirst: bool, owners: bool): i32 {
  const n = IN + <usize>end
  let p = IN + <usize>start
  let count: i32 = 0
  let taken: i32 = 0
  tracking = false
  for (;;) {
    const nl = lineEnd(p, n)
    if (nl >= n) break
    let e = nl
    while (e > p && load<u8>(e - 1) == 13) e--
    if (<i32>(e - p) > LANE_MAX_LINE) break
    const i = rowStart(p, e)
    if (i == 0) break
    // The next line must be a row too: an owner line (`-b`) after this row would name its image, unless the
    // lines up to the next row are owner lines learned after a row of this PID, byte for byte.
    const plain = rowAt(nl + 1, n)
    if (!plain && !owners) break
    if (parseRow(<i32>(i - IN), <i32>(e - IN)) != OK) break
    // An address the caller is asked for gets an id: the row the caller holds goes first (as it would the long way).
    const ask = !flushFirst || count > 0
    const laddr = laneAddress(F_LSTART, F_LSTAR, OUT + 96, starId, starFacts, ask)
    if (laddr == -2) return needFlush()
    if (laddr < 0) break
    const lf = addrFacts
    const lEntry = addrEntry
    const lOther = addrOther
    const raddr = laneAddress(F_RSTART, F_RSTAR, OUT + 104, starId, starFacts, ask)
    if (raddr == -2) return needFlush()
    if (raddr < 0) break
    const rf = addrFacts
    const rEntry = addrEntry
    const rOther = addrOther
    const udp = load<i32>(OUT + (<usize>F_PROTO << 2)) == 1
    const st = load<i32>(OUT + (<usize>F_STATE << 2))
    const pid = load<i32>(OUT + (<usize>F_PID << 2))
    let ownLines = 0
    let ownSlot = -1
    let next = nl + 1
    if (!plain) {
      if (own == 0) break
      const to = ownEnd(next, n)
      if (to == 0) break
      const len = to - next
      let o = own + ownSet(pid, next, len) * OWN_STRIDE
      if (!ownIs(o, pid, next, len)) {
        o += OWN_STRIDE
        if (!ownIs(o, pid, next, len)) break
      }
      ownSlot = load<i32>(o + 4)
      ownLines = load<i32>(o + 12)
      next += len
    }
    let slot = -1
    if (!countOnly && (st != K_TIME_WAIT || pid > 0)) {
      slot = plain ? aggPidSlot(pid) : ownSlot
      if (slot < 0 && plain) {
        // A new process (a day of short-lived ones starts thousands): its slot is made now, in row order as
        // the long way would, so the row the caller holds goes first.
        if (!ask) return needFlush()
        slot = laneSlot(pid)
        if (slot >= 0) aggSetPidSlot(pid, slot)
      }
      if (slot < 0) break
    }
    if ((lOther || rOther) && count > 0 && load<i32>(LANE_USED) > V6_USED_CAP - 2) break
    if (flushFirst && count == 0) return needFlush()
    if (count == 0) {
      memory.fill(LANE, 0, 80)
    }
    const lport = load<i32>(OUT + (<usize>F_LSTAR << 2)) == 1 ? -1 : load<i32>(OUT + (<usize>(F_LSTART + 2) << 2))
    const rport = load<i32>(OUT + (<usize>F_RSTAR << 2)) == 1 ? -1 : load<i32>(OUT + (<usize>(F_RSTART + 2) << 2))
    let flags = 0
    if (lf & A_WILD) flags |= lf & A_IPV6 ? 3 : 1
    if (rport >= 0 && (rf & A_LOOPBACK || raddr == laddr)) flags |= 4
    if (udp) flags |= 64 | (UDP_COUNTER << 8)
    else {
      if (st == K_TIME_WAIT) flags |= 8
      if (st == K_LISTENING) flags |= 16 | 32
      if (st == K_BOUND) flags |= 32
      flags |= (st - 1) << 8
    }
    if (!countOnly) {
      if (lOther) v6Use(laddr, lEntry, aggGeneration())
      if (rOther) v6Use(raddr, rEntry, aggGeneration())
      aggRow(flags, slot, pid, laddr, lport, raddr, rport, line + taken)
    }
    const at = LANE_COUNTS + (<usize>(udp ? 0 : st) << 2)
    store<i32>(at, load<i32>(at) + 1)
    if (st == K_BOUND) store<i32>(LANE_BOUND, 1)
    if (pid >= 0) store<i32>(LANE_PID, 1)
    if (laddr == starId || raddr == starId) store<i32>(LANE_STAR, 1)
    if (ownLines > 0) store<i32>(LANE_OWNER_LINES, load<i32>(LANE_OWNER_LINES) + ownLines)
    count++
    taken += 1 + ownLines
    p = next
  }
  store<i32>(LANE_END, <i32>(p - IN))
  untrack()
  return taken
}

/** The lane's answer when the caller must hand on the row it holds first (see `lane`). */
function needFlush(): i32 {
  untrack()
  return LANE_NEED_FLUSH
}

/** After the lane: rows parsed for a caller compare addresses again, with none kept from the lane's rows. */
function untrack(): void {
  tracking = true
  store<u8>(LAST_LOCAL + 64, 255)
  store<u8>(LAST_REMOTE + 64, 255)
}

/** Where `lane` leaves what it took (see LANE). */
export function laneOut(): i32 {
  return <i32>LANE
}
