import {StringDecoder} from 'node:string_decoder'

import iconv from 'iconv-lite'

import {normalizeEncoding} from './encoding.js'

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
  private utf16 = new StringDecoder('utf16le')
  private single: ReturnType<typeof iconv.getDecoder> | null = null
  private offset = 0
  /** UTF-16 bytes decoded so far, mod 2 (a code unit may be split across chunks). */
  private parity = 0

  constructor(encoding: string) {
    const e = normalizeEncoding(encoding)
    this.base = e === 'utf-16le' || e === 'utf-16be' ? 'cp850' : e
    this.mode = e === 'utf-16le' ? 'utf-16le' : e === 'utf-8' ? 'utf-8' : 'single'
    if (e === 'utf-16be') this.mode = 'single' // rare; big-endian output is decoded by iconv below
    if (this.mode === 'single') this.single = iconv.getDecoder(e === 'utf-16be' ? 'utf-16be' : e)
  }

  /** UTF-8 bytes for this chunk (may hold back the tail of a split character). */
  push(chunk: Buffer): Buffer {
    const out: Buffer[] = []
    let i = 0
    while (i < chunk.length) {
      const end = this.mode === 'utf-16le' ? this.find8bit(chunk, i) : this.findUtf16(chunk, i)
      out.push(this.decode(chunk.subarray(i, end)))
      if (end >= chunk.length) break
      i = this.switchAt(chunk, end)
    }
    this.offset += chunk.length
    return out.length === 1 ? out[0]! : Buffer.concat(out)
  }

  end(): Buffer {
    const rest = this.mode === 'utf-16le' ? this.utf16.end() : (this.single?.end() ?? '')
    return Buffer.from(rest, 'utf8')
  }

  private decode(bytes: Buffer): Buffer {
    if (bytes.length === 0) return bytes
    if (this.mode === 'utf-8') return bytes
    if (this.mode === 'utf-16le') {
      this.parity = (this.parity + bytes.length) % 2
      return Buffer.from(this.utf16.write(bytes), 'utf8')
    }
    return Buffer.from(this.single!.write(bytes), 'utf8')
  }

  /** Flushes the old decoder, records the switch, returns where the new encoding's bytes start. */
  private switchAt(chunk: Buffer, at: number): number {
    if (this.mode === 'utf-16le') {
      this.utf16.end()
      this.utf16 = new StringDecoder('utf16le')
      this.mode = this.base === 'utf-8' ? 'utf-8' : 'single'
      if (this.mode === 'single') this.single = iconv.getDecoder(this.base)
      this.switches.push({offset: this.offset + at, to: this.base})
      return at
    }
    this.single?.end()
    this.mode = 'utf-16le'
    this.parity = 0
    this.switches.push({offset: this.offset + at, to: 'utf-16le'})
    return chunk[at] === 0xff && chunk[at + 1] === 0xfe ? at + 2 : at
  }

  /** Where UTF-16LE starts in an 8-bit chunk (a BOM, or four ASCII/NUL pairs), else the chunk's end. */
  private findUtf16(chunk: Buffer, from: number): number {
    let i = from
    for (;;) {
      const nul = chunk.indexOf(0, i)
      const bom = chunk.indexOf(0xff, i)
      if (bom !== -1 && (nul === -1 || bom < nul) && chunk[bom + 1] === 0xfe) return bom
      if (nul === -1) return chunk.length
      // NUL at `nul`: the high byte of a UTF-16LE unit whose low byte is just before it.
      const start = nul - 1
      if (start >= from && isUtf16Run(chunk, start)) return start
      i = nul + 1
    }
  }

  /**
   * Where 8-bit text starts in a UTF-16LE chunk, else the chunk's end: an 8-bit CR LF (0D 0A side by
   * side) ends the first 8-bit line; the 8-bit text starts after the last UTF-16 high byte (NUL) before it.
   */
  private find8bit(chunk: Buffer, from: number): number {
    for (let i = chunk.indexOf(0x0d, from); i !== -1; i = chunk.indexOf(0x0d, i + 1)) {
      if (chunk[i + 1] !== 0x0a) continue
      let j = i - 1
      while (j >= from && chunk[j] !== 0) j--
      // j is the NUL high byte of the last UTF-16 unit (or before the chunk): 8-bit text follows it.
      const start = j + 1
      if ((this.parity + start - from) % 2 === 0) return start
    }
    return chunk.length
  }
}

/** Four code units of ASCII text in UTF-16LE: printable or CR/LF/TAB low bytes, NUL high bytes. */
function isUtf16Run(b: Buffer, at: number): boolean {
  if (at + 8 > b.length) return false
  for (let k = 0; k < 8; k += 2) {
    const lo = b[at + k]!
    if (b[at + k + 1] !== 0 || !(lo === 9 || lo === 10 || lo === 13 || (lo >= 32 && lo < 127))) return false
  }
  return true
}
