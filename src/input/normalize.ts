import type Iconv from 'iconv-lite'

import {lazy} from '../lazy.js'

import {normalizeEncoding} from './encoding.js'
import {Utf16leToUtf8} from './utf16.js'

const iconv = lazy<typeof Iconv>('iconv-lite')

/** A change of encoding inside one input (two loops appending to one file), by byte offset. */
export type EncodingSwitch = {offset: number; to: string}

type Mode = 'utf-8' | 'utf-16le' | 'single'

/**
 * Turns an input's bytes into UTF-8, whatever it is written in, and follows a change of encoding in
 * the middle of the input: a PowerShell loop (UTF-16LE) appending to a cmd loop's file (OEM code
 * page), or the reverse. UTF-8 input passes through untouched (one memchr per chunk looks for NULs).
 *
 * Switches: to UTF-16LE at a UTF-16LE BOM or a run of ASCII/NUL pairs; back to the 8-bit encoding at
 * an 8-bit CR LF (bytes 0D 0A side by side never occur in UTF-16LE text of ASCII and CJK characters).
 */
export class Utf8Normalizer {
  readonly switches: EncodingSwitch[] = []
  private mode: Mode
  private readonly base: string
  private readonly utf16 = new Utf16leToUtf8()
  private single: ReturnType<typeof Iconv.getDecoder> | null = null
  private offset = 0
  /** UTF-16 bytes decoded so far, mod 2 (a code unit may be split across chunks). */
  private parity = 0

  constructor(encoding: string) {
    const e = normalizeEncoding(encoding)
    this.base = e === 'utf-16le' || e === 'utf-16be' ? 'cp850' : e
    this.mode = e === 'utf-16le' ? 'utf-16le' : e === 'utf-8' ? 'utf-8' : 'single'
    if (e === 'utf-16be') this.mode = 'single' // rare; big-endian output is decoded by iconv below
    if (this.mode === 'single') this.single = iconv().getDecoder(e === 'utf-16be' ? 'utf-16be' : e)
  }

  /**
   * Bytes at the end of the last chunk that may begin a switch to UTF-16LE (a BOM's FF, or what may be
   * ASCII/NUL pairs going on in the next chunk): decided with the next chunk, so a switch is found at
   * the same byte however the bytes arrive. At most seven bytes; a chunk is then copied behind them
   * into a reused buffer. What `push` returns is valid until the next `push` (`end` leaves it intact):
   * UTF-16LE is transcoded into a reused buffer too.
   */
  private held = Buffer.alloc(0)
  private joined = Buffer.alloc(0)

  /** UTF-8 bytes for this chunk (may hold back the tail of a split character or switch). */
  push(chunk: Buffer): Buffer {
    this.utf16.rewind()
    let buf = chunk
    const h = this.held.length
    if (h > 0) {
      if (this.joined.length < h + chunk.length) this.joined = Buffer.allocUnsafe(Math.max(h + chunk.length, this.joined.length * 2))
      this.held.copy(this.joined, 0)
      chunk.copy(this.joined, h)
      buf = this.joined.subarray(0, h + chunk.length)
    }
    const limit = this.mode === 'utf-16le' ? buf.length : undecidedFrom(buf)
    const out = this.convert(buf, limit)
    this.held = Buffer.from(buf.subarray(limit))
    this.offset += limit
    return out
  }

  /** Converts buf[0, limit), following switches; `offset` is where buf starts in the input. */
  private convert(buf: Buffer, limit: number): Buffer {
    const out: Buffer[] = []
    let i = 0
    while (i < limit) {
      if (this.mode === 'utf-16le') {
        // Nearly every chunk holds no 8-bit CR LF at all, which the kernel notes while it encodes: no search.
        const whole = this.utf16.writeUnlessCrLf(buf.subarray(i, limit))
        if (whole) {
          this.parity = (this.parity + limit - i) % 2
          out.push(whole)
          break
        }
      }
      const end = this.mode === 'utf-16le' ? this.find8bit(buf.subarray(0, limit), i) : this.findUtf16(buf, i, limit)
      out.push(this.decode(buf.subarray(i, end)))
      if (end >= limit) break
      i = this.switchAt(buf, end)
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out)
  }

  end(): Buffer {
    const last = this.convert(this.held, this.held.length)
    this.held = Buffer.alloc(0)
    const rest = this.mode === 'utf-16le' ? this.utf16.end() : Buffer.from(this.single?.end() ?? '', 'utf8')
    return rest.length === 0 ? last : Buffer.concat([last, rest])
  }

  /**
   * Input bytes whose UTF-8 has been handed out: those taken, less what waits for the next chunk (an
   * undecided tail, half a UTF-16 unit or surrogate pair). Exact in UTF-8 and UTF-16LE, until a switch.
   */
  get position(): number {
    return this.offset - (this.mode === 'utf-16le' ? this.utf16.held : 0)
  }

  private decode(bytes: Buffer): Buffer {
    if (bytes.length === 0) return bytes
    if (this.mode === 'utf-8') return bytes
    if (this.mode === 'utf-16le') {
      this.parity = (this.parity + bytes.length) % 2
      return this.utf16.write(bytes)
    }
    return Buffer.from(this.single!.write(bytes), 'utf8')
  }

  /** Flushes the old decoder, records the switch, returns where the new encoding's bytes start. */
  private switchAt(chunk: Buffer, at: number): number {
    if (this.mode === 'utf-16le') {
      this.utf16.reset()
      this.mode = this.base === 'utf-8' ? 'utf-8' : 'single'
      if (this.mode === 'single') this.single = iconv().getDecoder(this.base)
      this.switches.push({offset: this.offset + at, to: this.base})
      return at
    }
    this.single?.end()
    this.mode = 'utf-16le'
    this.parity = 0
    this.switches.push({offset: this.offset + at, to: 'utf-16le'})
    return chunk[at] === 0xff && chunk[at + 1] === 0xfe ? at + 2 : at
  }

  /**
   * Where UTF-16LE starts in 8-bit bytes (a BOM, or four ASCII/NUL pairs) at or after `from` and before
   * `limit` (bytes up to the chunk's end may confirm it), else `limit`.
   */
  private findUtf16(chunk: Buffer, from: number, limit: number): number {
    // The first BOM: an FF not followed by FE (a stray byte, or ÿ in a code page) does not hide a later one.
    let bom = chunk.indexOf(0xff, from)
    while (bom !== -1 && bom < limit && chunk[bom + 1] !== 0xfe) bom = chunk.indexOf(0xff, bom + 1)
    const before = bom === -1 || bom >= limit ? limit : bom
    // NUL at `nul`: the high byte of a UTF-16LE unit whose low byte is just before it.
    for (let nul = chunk.indexOf(0, from + 1); nul !== -1 && nul - 1 < before; nul = chunk.indexOf(0, nul + 1)) {
      if (isUtf16Run(chunk, nul - 1)) return nul - 1
    }
    return before
  }

  /**
   * Where 8-bit text starts in a UTF-16LE chunk, else the chunk's end: an 8-bit CR LF (0D 0A side by
   * side) ends the first 8-bit line; the 8-bit text starts after the last UTF-16 high byte (NUL) before it.
   */
  private find8bit(chunk: Buffer, from: number): number {
    // The pair itself is searched for: every UTF-16 line ends in 0D 00 0A 00, a CR without its LF next.
    for (let i = chunk.indexOf(CR_LF, from); i !== -1; i = chunk.indexOf(CR_LF, i + 1)) {
      let j = i - 1
      while (j >= from && chunk[j] !== 0) j--
      // j is the NUL high byte of the last UTF-16 unit (or before the chunk): 8-bit text follows it.
      const start = j + 1
      if ((this.parity + start - from) % 2 === 0) return start
    }
    return chunk.length
  }
}

/**
 * Where the undecided tail of an 8-bit chunk starts: the first of its last seven bytes from which it
 * may be ASCII/NUL pairs cut short (or a last FF, half a BOM); the chunk's length if none.
 */
function undecidedFrom(b: Buffer): number {
  const n = b.length
  for (let p = Math.max(0, n - 7); p < n; p++) {
    let may = true
    for (let k = p; k < n && may; k += 2) may = isUnitLow(b[k]!) && (k + 1 >= n || b[k + 1] === 0)
    if (may) return p
  }
  return n > 0 && b[n - 1] === 0xff ? n - 1 : n
}

const CR_LF = Buffer.from([0x0d, 0x0a])

const isUnitLow = (lo: number) => lo === 9 || lo === 10 || lo === 13 || (lo >= 32 && lo < 127)

/** Four code units of ASCII text in UTF-16LE: printable or CR/LF/TAB low bytes, NUL high bytes. */
function isUtf16Run(b: Buffer, at: number): boolean {
  if (at + 8 > b.length) return false
  for (let k = 0; k < 8; k += 2) {
    if (b[at + k + 1] !== 0 || !isUnitLow(b[at + k]!)) return false
  }
  return true
}
