/**
 * The 32-bit value of a canonical dotted quad (`10.1.0.5`: four decimal octets ≤ 255 without leading
 * zeros), else -1. Other spellings of the same address stay distinct strings, as written.
 */
export function dottedQuad(s: string): number {
  const n = s.length
  if (n < 7 || n > 15) return -1
  for (let i = 0; i < n; i++) QUAD[i] = s.charCodeAt(i) & 0xff
  return dottedQuadBytes(QUAD, 0, n)
}

const QUAD = new Uint8Array(15)

/** {@link dottedQuad} over bytes [s, e) of `buf`. */
export function dottedQuadBytes(buf: Uint8Array, s: number, e: number): number {
  const n = e - s
  if (n < 7 || n > 15) return -1
  let value = 0
  let octet = 0
  let digits = 0
  let dots = 0
  for (let i = s; i < e; i++) {
    const c = buf[i]!
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1
      value = value * 256 + octet
      octet = 0
      digits = 0
      dots++
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1
      octet = octet * 10 + (c - 48)
      if (++digits > 3 || octet > 255) return -1
    } else return -1
  }
  if (digits === 0 || dots !== 3) return -1
  return value * 256 + octet
}

/** The canonical dotted quad of a 32-bit IPv4 value (what {@link dottedQuad} reads back). */
export const quadString = (n: number) => `${Math.floor(n / 16777216)}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
