/**
 * Formats whose input is structured bytes, not lines (event log files, process and kernel dumps).
 * A `Parser` with a `binary` member is detected on the input's first bytes and read through random
 * access; the line pipeline (decode, split, detect on text) is skipped for it.
 */

import type {ParseOptions, RecordSink} from '../types.js'

/** Random access to one input's bytes: a file on disk, or an archive entry spooled to memory. */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number
  /** Up to `length` bytes from `offset` (fewer at the end, empty past it; never throws for that). */
  read(offset: number, length: number): Promise<Buffer>
}

export type BinaryReadOptions = ParseOptions & {readonly signal?: AbortSignal | undefined}

/** How a binary format is detected and read. */
export type BinaryFormat = {
  /** Confidence 0..1 from the input's first bytes (at most 64 KiB, maybe fewer). Pure, cheap, never throws. */
  detectBytes(head: Buffer): number
  /**
   * Reads the source into the sink. Never throws on bad data: what cannot be read goes to `sink.skip`
   * (line = a 1-based ordinal of the unit skipped: record, chunk or stream) with a reason, and facts
   * about the file go to `sink.note`. Every allocation a header field controls is capped; no read
   * goes past `source.size`. Stops early (keeping what was read) when `options.signal` aborts.
   */
  read(source: ByteSource, sink: RecordSink, options: BinaryReadOptions): Promise<void>
}

/** A ByteSource over bytes in memory (archive entries, tests). */
export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    read: async (offset, length) => buf.subarray(Math.min(offset, buf.length), Math.min(offset + Math.max(0, length), buf.length)),
  }
}
