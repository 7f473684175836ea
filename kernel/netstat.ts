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
//   LAST   [128, 400)     the last local and remote address and state bytes (64 each + lengths)
//   TOK    [400, 464)     token bounds
//   STATES [512, 4096)    state words, set once by the caller: [len u8][state u8][bytes…], ending in len 0
//   SCRATCH[4096, 4352)   the state word being looked up
//   IN     (heap)         the caller's chunk of input, where `inputArea` puts it
//
// The module is built with --memoryBase 8192: static data and the heap (kernel/aggregate.ts's tables, IN)
// start past these fixed areas.

const OUT: usize = 0
const LAST_LOCAL: usize = 128
const LAST_REMOTE: usize = 224
const LAST_STATE: usize = 320
const STATES: usize = 512
const SCRATCH: usize = 4096
let IN: usize = 0
let inCap: usize = 0

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
  if (<usize>size > inCap) {
    if (inCap > 0) heap.free(IN)
    inCap = <usize>size + (<usize>size >> 3) + 64
    IN = heap.alloc(inCap)
  }
  return <i32>IN
}

/** Where the caller writes the state words (see STATES). */
export function statesOffset(): i32 {
  return <i32>STATES
}

/** Forgets the last addresses and state (the caller's ids were renumbered). */
export function forget(): void {
  store<u8>(LAST_LOCAL + 64, 255)
  store<u8>(LAST_REMOTE + 64, 255)
  store<u8>(LAST_STATE + 64, 255)
}

@inline function isBlank(c: u32): bool {
  return c == 32 || c == 9
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

/** The 32-bit value of a canonical dotted quad in [s, e) (no leading zeros), else -1 (as f64: values pass 2^31). */
function dottedQuad(s: usize, e: usize): f64 {
  const n = e - s
  if (n < 7 || n > 15) return -1
  let value: u32 = 0
  let octet: u32 = 0
  let nd: u32 = 0
  let dots: u32 = 0
  for (let i = s; i < e; i++) {
    const c = <u32>load<u8>(i)
    if (c == 46) {
      if (nd == 0 || dots == 3) return -1
      value = (value << 8) | octet
      octet = 0
      nd = 0
      dots++
    } else if (c >= 48 && c <= 57) {
      if (nd > 0 && octet == 0) return -1
      octet = octet * 10 + (c - 48)
      nd++
      if (nd > 3 || octet > 255) return -1
    } else return -1
  }
  if (nd == 0 || dots != 3) return -1
  return <f64>((value << 8) | octet)
}

/** Compares [s, e) with the bytes kept at `last` and keeps them (length at last + 64; 255 = none). */
function sameAsLast(last: usize, s: usize, e: usize): bool {
  const len = <u32>(e - s)
  let same = false
  if (len < 64 && <u32>load<u8>(last + 64) == len) {
    let k: u32 = 0
    while (k < len && load<u8>(last + k) == load<u8>(s + k)) k++
    same = k == len
  }
  if (!same) {
    if (len < 64) {
      memory.copy(last, s, len)
      store<u8>(last + 64, <u8>len)
    } else store<u8>(last + 64, 255)
  }
  return same
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
  const port = digits(colon + 1, e)
  if (port > 65535) return false
  field(base, <i32>(as - IN))
  field(base + 1, <i32>(ae - IN))
  field(base + 2, port)
  store<f64>(OUT + 96 + (base == F_LSTART ? 0 : 8), dottedQuad(as, ae))
  field(base + 4, sameAsLast(last, as, ae) ? 1 : 0)
  return true
}

/**
 * The state (index in TCP_STATES + 1) of the word at [s, e), words joined by `_` when `words`; 0 when
 * the word is not in the table, -1 when the kernel cannot tell (bytes outside printable ASCII).
 */
function state(s: usize, e: usize, words: bool): i32 {
  const len = e - s
  // The last state's bytes again (rows of one snapshot repeat a handful of states).
  if (<usize>load<u8>(LAST_STATE + 64) == len) {
    let k: usize = 0
    while (k < len && load<u8>(LAST_STATE + k) == load<u8>(s + k)) k++
    if (k == len) return <i32>load<u8>(LAST_STATE + 65)
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
    if (c < 33 || c > 126 || n >= 200) return -1
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
  if (found > 0 && len < 64) {
    memory.copy(LAST_STATE, s, len)
    store<u8>(LAST_STATE + 64, <u8>len)
    store<u8>(LAST_STATE + 65, <u8>found)
  }
  return found
}

/**
 * Parses the row whose protocol starts at IN + start and whose line ends at IN + end. Returns OK (fields
 * in OUT), REJECT (not a complete row, as the JS reader decides) or FALLBACK (a state word this kernel
 * cannot read: the caller parses the row itself).
 */
export function parseRow(start: i32, end: i32): i32 {
  const n = IN + <usize>end
  let i = IN + <usize>start
  let count: i32 = 0
  while (i < n && count < 8) {
    while (i + 4 <= n && load<u32>(i) == 0x20202020) i += 4
    while (i < n && isBlank(<u32>load<u8>(i))) i++
    if (i >= n) break
    store<i32>(TOK + (<usize>count << 3), <i32>i)
    while (i < n && !isBlank(<u32>load<u8>(i))) i++
    store<i32>(TOK + (<usize>count << 3) + 4, <i32>i)
    count++
  }
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

export * from './aggregate'
