/**
 * Bounded reading for the binary dump readers (minidump, kernel dump): every offset and length comes from
 * the file, so every read is clamped to the source and every string to a cap.
 */

import type {ByteSource} from './binary.js'
import type {LineParser, RecordSink, WallTime} from '../types.js'

/** Windows FILETIME epoch (1601-01-01) to the Unix epoch, in milliseconds. */
const FILETIME_EPOCH_MS = 11_644_473_600_000
/** Dump times outside these years are unset fields or garbage, not times. */
const MIN_TIME = Date.UTC(1990, 0, 1)
const MAX_TIME = Date.UTC(2100, 0, 1)

/** A FILETIME (100 ns ticks since 1601, UTC) as a WallTime (UTC ms), or null when unset or implausible. */
export function fileTime(lo: number, hi: number): WallTime | null {
  const ms = Math.floor((hi * 4_294_967_296 + lo) / 10_000) - FILETIME_EPOCH_MS
  return ms >= MIN_TIME && ms < MAX_TIME ? ms : null
}

/** A `time_t` (seconds since 1970, UTC) as a WallTime, or null when unset or implausible. */
export function unixTime(seconds: number): WallTime | null {
  const ms = seconds * 1000
  return ms >= MIN_TIME && ms < MAX_TIME ? ms : null
}

/** `0x0000beef`. */
export const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`

/** The bytes of a little-endian u32 read as four ASCII letters (`MATT`), or null when they are not all printable. */
export function fourCC(n: number): string | null {
  const s = String.fromCharCode(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24)
  return /^[\x21-\x7e]{4}$/.test(s) ? s : null
}

/** UTF-16LE text without the NULs that pad it and without control characters (they are never printed raw). */
export function utf16(buf: Buffer, start: number, end: number): string {
  const even = start + ((Math.max(0, end - start) >> 1) << 1)
  return buf.toString('utf16le', start, even).replace(/\0+$/, '').replace(/[\x00-\x1f\x7f]/g, '?')
}

/** Bytes [offset, offset + length) of `source`, clamped to it (fewer, or none, past its end; none for a bad offset). */
export async function readClamped(source: ByteSource, offset: number, length: number): Promise<Buffer> {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= source.size || !(length > 0)) return Buffer.alloc(0)
  return source.read(offset, Math.min(length, source.size - offset))
}

/**
 * Reads through a window of the source, so that small reads near one another (the names a dump writes one after
 * another) cost one read of the source per window. Refills stop after `limit` bytes (hostile offsets that jump
 * about would cost a window each); reads then go to the source exactly.
 */
export class ReadAhead {
  private buf: Buffer = Buffer.alloc(0)
  private start = 0
  private refilled = 0

  constructor(
    private readonly source: ByteSource,
    private readonly limit: number,
    private readonly window = 64 * 1024,
  ) {}

  /** As `readClamped`; the bytes are valid until the next call. */
  async read(offset: number, length: number): Promise<Buffer> {
    if (offset >= this.start && offset + length <= this.start + this.buf.length) return this.buf.subarray(offset - this.start, offset - this.start + length)
    if (length > this.window || this.refilled >= this.limit) return readClamped(this.source, offset, length)
    this.buf = await readClamped(this.source, offset, this.window)
    this.start = offset
    this.refilled += this.buf.length
    return this.buf.subarray(0, Math.min(length, this.buf.length))
  }
}

/** Dumps are read as bytes; fed as text (a forced `--format` on lines), every line is binary. */
class BinaryLines implements LineParser {
  constructor(private readonly sink: RecordSink) {}
  line(text: string, line: number): void {
    this.sink.skip(line, 'binary', text.slice(0, 200))
  }
  end(): void {}
}

export const linesAsBinary = (sink: RecordSink): LineParser => new BinaryLines(sink)
