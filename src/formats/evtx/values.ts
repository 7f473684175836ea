/**
 * Typed values of the event log's binary XML (substitution values and value text), as text the way
 * `wevtutil qe /f:xml` writes them. Every reader here is total: a value shorter than its type needs is
 * written as hex, never read past its bounds.
 */

/** Value types (MS-EVEN6 2.2.18); `| ARRAY` for arrays of them. */
export const VT = {
  null: 0x00,
  string: 0x01,
  ansiString: 0x02,
  int8: 0x03,
  uint8: 0x04,
  int16: 0x05,
  uint16: 0x06,
  int32: 0x07,
  uint32: 0x08,
  int64: 0x09,
  uint64: 0x0a,
  real32: 0x0b,
  real64: 0x0c,
  bool: 0x0d,
  binary: 0x0e,
  guid: 0x0f,
  sizeT: 0x10,
  fileTime: 0x11,
  sysTime: 0x12,
  sid: 0x13,
  hex32: 0x14,
  hex64: 0x15,
  evtHandle: 0x20,
  binXml: 0x21,
  evtXml: 0x23,
} as const
export const ARRAY = 0x80

/** FILETIME (100 ns since 1601) of the Unix epoch. */
const EPOCH_FILETIME = 116444736000000000n

/** Milliseconds since the Unix epoch of a FILETIME at `off`, or null when it is 0 or out of range. */
export function fileTimeMs(buf: Buffer, off: number): number | null {
  // In doubles: exact to a few microseconds at today's values, and no BigInt on the per-record path.
  const ft = buf.readUInt32LE(off + 4) * 4294967296 + buf.readUInt32LE(off)
  if (ft === 0) return null
  const ms = Math.floor(ft / 10000) - 11644473600000
  return Math.abs(ms) <= 8.64e15 ? ms : null
}

/** A FILETIME as `2023-03-10T14:05:12.3400000Z` (seven fraction digits, as Windows writes it). */
function fileTimeText(buf: Buffer, off: number): string {
  const ft = buf.readBigUInt64LE(off)
  const ms = fileTimeMs(buf, off)
  if (ms === null) return ft === 0n ? '1601-01-01T00:00:00.0000000Z' : `0x${ft.toString(16)}`
  const ticks = Number((ft - EPOCH_FILETIME) % 10000000n)
  const base = new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)
  return `${base}.${String(ticks < 0 ? ticks + 10000000 : ticks).padStart(7, '0')}Z`
}

function sysTimeText(buf: Buffer, off: number): string {
  const [y, mo, , d, h, mi, s, ms] = [0, 2, 4, 6, 8, 10, 12, 14].map((i) => buf.readUInt16LE(off + i)) as [number, number, number, number, number, number, number, number]
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${p(y, 4)}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}:${p(s)}.${p(ms, 3)}Z`
}

function guidText(buf: Buffer, off: number): string {
  const h = (a: number, b: number) => buf.toString('hex', off + a, off + b)
  const le = (a: number, n: number) => Buffer.from(buf.subarray(off + a, off + a + n)).reverse().toString('hex')
  return `{${le(0, 4)}-${le(4, 2)}-${le(6, 2)}-${h(8, 10)}-${h(10, 16)}}`.toUpperCase()
}

function sidText(buf: Buffer, off: number, size: number): string | null {
  if (size < 8) return null
  const count = buf[off + 1]!
  if (8 + 4 * count > size) return null
  let authority = 0
  for (let i = 2; i < 8; i++) authority = authority * 256 + buf[off + i]!
  let s = `S-${buf[off]!}-${authority}`
  for (let i = 0; i < count; i++) s += `-${buf.readUInt32LE(off + 8 + 4 * i)}`
  return s
}

/** Strips the NUL terminators a string value often carries. */
function trimNul(s: string): string {
  let e = s.length
  while (e > 0 && s.charCodeAt(e - 1) === 0) e--
  return e === s.length ? s : s.slice(0, e)
}

const hexOf = (buf: Buffer, off: number, size: number) => buf.toString('hex', off, off + size).toUpperCase()

/** Bytes one element of a fixed-size type takes (0: variable or unknown). */
function fixedSize(type: number, size: number): number {
  switch (type) {
    case VT.int8:
    case VT.uint8:
      return 1
    case VT.int16:
    case VT.uint16:
      return 2
    case VT.int32:
    case VT.uint32:
    case VT.real32:
    case VT.bool:
    case VT.hex32:
      return 4
    case VT.int64:
    case VT.uint64:
    case VT.real64:
    case VT.fileTime:
    case VT.hex64:
      return 8
    case VT.guid:
    case VT.sysTime:
      return 16
    case VT.sizeT:
      return size === 4 ? 4 : 8
    default:
      return 0
  }
}

/** One fixed-size element at `off` (the caller checked `fixedSize` bytes are there). */
function scalarText(buf: Buffer, off: number, type: number, n: number): string {
  switch (type) {
    case VT.int8:
      return String(buf.readInt8(off))
    case VT.uint8:
      return String(buf[off]!)
    case VT.int16:
      return String(buf.readInt16LE(off))
    case VT.uint16:
      return String(buf.readUInt16LE(off))
    case VT.int32:
      return String(buf.readInt32LE(off))
    case VT.uint32:
      return String(buf.readUInt32LE(off))
    case VT.int64:
      return String(buf.readBigInt64LE(off))
    case VT.uint64:
      return String(buf.readBigUInt64LE(off))
    case VT.real32:
      return String(buf.readFloatLE(off))
    case VT.real64:
      return String(buf.readDoubleLE(off))
    case VT.bool:
      return buf.readUInt32LE(off) !== 0 ? 'true' : 'false'
    case VT.hex32:
      return `0x${buf.readUInt32LE(off).toString(16)}`
    case VT.hex64:
      return `0x${buf.readBigUInt64LE(off).toString(16)}`
    case VT.sizeT:
      return n === 4 ? `0x${buf.readUInt32LE(off).toString(16).padStart(8, '0')}` : `0x${buf.readBigUInt64LE(off).toString(16).padStart(16, '0')}`
    case VT.fileTime:
      return fileTimeText(buf, off)
    case VT.sysTime:
      return sysTimeText(buf, off)
    case VT.guid:
      return guidText(buf, off)
    default:
      return ''
  }
}

/**
 * The text of a value of `type` in buf[off, off + size) (the caller keeps that range inside `buf`).
 * Nested binary XML (0x21) is not handled here: the caller reads it as a fragment.
 */
export function valueText(buf: Buffer, off: number, size: number, type: number): string {
  if (size <= 0) return ''
  const base = type & ~ARRAY
  if (type & ARRAY) {
    if (base === VT.string || base === VT.ansiString) {
      const text = base === VT.string ? buf.toString('utf16le', off, off + (size & ~1)) : buf.toString('latin1', off, off + size)
      return trimNul(text).split('\0').join(', ')
    }
    const n = fixedSize(base, 8)
    if (n === 0) return hexOf(buf, off, size)
    const parts: string[] = []
    for (let p = off; p + n <= off + size; p += n) parts.push(scalarText(buf, p, base, n))
    return parts.join(', ')
  }
  switch (base) {
    case VT.null:
      return ''
    case VT.string:
      return trimNul(buf.toString('utf16le', off, off + (size & ~1)))
    case VT.ansiString:
      return trimNul(buf.toString('latin1', off, off + size))
    case VT.sid:
      return sidText(buf, off, size) ?? hexOf(buf, off, size)
    case VT.binary:
    case VT.evtHandle:
    case VT.evtXml:
      return hexOf(buf, off, size)
    default: {
      const n = fixedSize(base, size)
      return n > 0 && n <= size ? scalarText(buf, off, base, n) : hexOf(buf, off, size)
    }
  }
}
