// UTF-16LE to UTF-8 in the kernel's memory (src/input/utf16.ts is the caller): ASCII, nearly all of a
// netstat loop, 16 code units at a time (WebAssembly SIMD), the rest one unit at a time exactly as the
// JavaScript encoder does it.

import {alloc, free} from './memory'

let area: usize = 0
let areaCap: usize = 0

/**
 * Where the caller writes `n` code units (2n bytes); their UTF-8 is written right after them (at most 3
 * bytes a unit), and 16 bytes of slack follow.
 */
export function utf16Area(n: i32): i32 {
  const need = <usize>n * 5 + 16
  if (need > areaCap) {
    if (areaCap > 0) free(area, areaCap)
    areaCap = need + (need >> 3)
    area = alloc(areaCap)
  }
  return <i32>area
}

/** 1 when the bytes the last utf16ToUtf8 read hold an 8-bit CR LF (`0D 0A` side by side, at any offset), else 0. */
let crLf: i32 = 0

/**
 * Whether the last {@link utf16ToUtf8} met the bytes `0D 0A` side by side: the sign that 8-bit text follows
 * (UTF-16 lines end in `0D 00 0A 00`), which the caller otherwise searches every chunk for.
 */
export function utf16CrLf(): i32 {
  return crLf
}

/**
 * Writes the UTF-8 of the `n` code units at `at` right after them (at at + 2n) and returns its length. A
 * surrogate without its other half becomes EF BF BD (U+FFFD), as in `Buffer.from(string)`. Notes, in passing,
 * whether the bytes hold `0D 0A` side by side (`utf16CrLf`). Only a unit of three UTF-8 bytes can hold a CR
 * (0D) that a LF (0A) follows: as U+0A0D, or as its high byte with the next unit's low byte. The high bytes
 * of ASCII and two-byte units are at most 07, and those of surrogates D8–DF.
 */
export function utf16ToUtf8(at: i32, n: i32): i32 {
  let s = <usize>at
  const end = s + (<usize>n << 1)
  let o = end
  const notAscii = i16x8.splat(-128)
  crLf = 0
  while (s < end) {
    if (s + 32 <= end) {
      const a = v128.load(s)
      const b = v128.load(s, 16)
      if (!v128.any_true(v128.and(v128.or(a, b), notAscii))) {
        v128.store(o, i8x16.narrow_i16x8_u(a, b))
        s += 32
        o += 16
        continue
      }
    }
    const u = <u32>load<u16>(s)
    s += 2
    if (u < 0x80) {
      store<u8>(o++, <u8>u)
    } else if (u < 0x800) {
      store<u8>(o++, <u8>(0xc0 | (u >> 6)))
      store<u8>(o++, <u8>(0x80 | (u & 0x3f)))
    } else if ((u & 0xf800) != 0xd800) {
      if (u == 0x0a0d || (u >> 8 == 0x0d && s < end && load<u8>(s) == 0x0a)) crLf = 1
      store<u8>(o++, <u8>(0xe0 | (u >> 12)))
      store<u8>(o++, <u8>(0x80 | ((u >> 6) & 0x3f)))
      store<u8>(o++, <u8>(0x80 | (u & 0x3f)))
    } else if (u < 0xdc00 && s < end && (<u32>load<u16>(s) & 0xfc00) == 0xdc00) {
      const c = 0x10000 + ((u - 0xd800) << 10) + (<u32>load<u16>(s) - 0xdc00)
      s += 2
      store<u8>(o++, <u8>(0xf0 | (c >> 18)))
      store<u8>(o++, <u8>(0x80 | ((c >> 12) & 0x3f)))
      store<u8>(o++, <u8>(0x80 | ((c >> 6) & 0x3f)))
      store<u8>(o++, <u8>(0x80 | (c & 0x3f)))
    } else {
      store<u8>(o++, 0xef)
      store<u8>(o++, 0xbf)
      store<u8>(o++, 0xbd)
    }
  }
  return <i32>(o - end)
}
