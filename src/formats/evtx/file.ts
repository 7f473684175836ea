/**
 * The `.evtx` container (MS-EVEN6 2.2.1–2.2.3): a 4 KiB file header, then 64 KiB chunks, each with
 * a 512-byte header (record range, checksums, string and template tables) and event records. Chunks
 * are read one at a time through the ByteSource: memory stays at one chunk and its caches.
 */
import {crc32} from 'node:zlib'

import type {ByteSource} from '../shared/binary.js'
import {ChunkXml, Damaged, extractEvent, type EventFields} from './binxml.js'
import {fileTimeMs} from './values.js'

export const FILE_MAGIC = 'ElfFile\0'
const CHUNK_MAGIC = 'ElfChnk\0'
export const HEADER_SIZE = 4096
export const CHUNK_SIZE = 65536
const CHUNK_HEADER = 512
const RECORD_MAGIC = 0x00002a2a
/** Record header (magic, size, id, time) and the size copy at its end. */
const RECORD_MIN = 24 + 4

export type FileHeader = {
  chunkCount: number
  version: string
  flags: number
  checksumOk: boolean
}

/** The file header, or null when the bytes do not start with one. */
export function readFileHeader(head: Buffer): FileHeader | null {
  if (head.length < 128 || head.toString('latin1', 0, 8) !== FILE_MAGIC) return null
  return {
    chunkCount: head.readUInt16LE(42),
    version: `${head.readUInt16LE(38)}.${head.readUInt16LE(36)}`,
    flags: head.readUInt32LE(120),
    checksumOk: crc32(head.subarray(0, 120)) === head.readUInt32LE(124),
  }
}

/** One record read, or why it was not. */
export type RecordOut =
  | {ok: true; recordId: number; written: number | null; fields: EventFields}
  | {ok: false; reason: 'damaged' | 'truncated' | 'checksum'; why: string}

export type ChunkResult = {
  /** 'empty': never written (zeros); 'bad': not a chunk (magic); 'cut': the input ends inside the header. */
  state: 'ok' | 'empty' | 'bad' | 'cut'
  headerChecksumOk: boolean
  dataChecksumOk: boolean
}

/**
 * Reads one chunk's records from `chunk` (at most CHUNK_SIZE bytes; fewer when the input ends inside
 * it), calling `each` per record in order. Never throws.
 */
export function readChunk(chunk: Buffer, xml: ChunkXml, each: (r: RecordOut) => void): ChunkResult {
  const result: ChunkResult = {state: 'ok', headerChecksumOk: true, dataChecksumOk: true}
  if (chunk.length < CHUNK_HEADER) {
    result.state = chunk.every((b) => b === 0) ? 'empty' : 'cut'
    return result
  }
  if (chunk.toString('latin1', 0, 8) !== CHUNK_MAGIC) {
    result.state = chunk.readBigUInt64LE(0) === 0n && chunk.readBigUInt64LE(8) === 0n ? 'empty' : 'bad'
    return result
  }
  result.headerChecksumOk = crc32(chunk.subarray(128, CHUNK_HEADER), crc32(chunk.subarray(0, 120))) === chunk.readUInt32LE(124)
  const free = chunk.readUInt32LE(48)
  // The free-space offset ends the records; a value out of range means "read to the chunk's end".
  const end = free > CHUNK_HEADER && free <= chunk.length ? free : chunk.length
  result.dataChecksumOk = free > CHUNK_HEADER && free <= chunk.length && crc32(chunk.subarray(CHUNK_HEADER, free)) === chunk.readUInt32LE(52)
  const suspect = !result.dataChecksumOk
  xml.reset(chunk)
  const fail = (why: string, reason: 'damaged' | 'truncated' = 'damaged') => each({ok: false, reason: suspect && reason === 'damaged' ? 'checksum' : reason, why})
  for (let p = CHUNK_HEADER; p + 8 <= end; ) {
    if (chunk.readUInt32LE(p) !== RECORD_MAGIC) {
      // Slack after the last record is zeros; anything else is damage.
      if (!chunk.subarray(p, Math.min(end, p + 8)).every((b) => b === 0)) fail(`no record magic at chunk offset 0x${p.toString(16)}; rest of the chunk not read`)
      break
    }
    const size = chunk.readUInt32LE(p + 4)
    const at = `record at chunk offset 0x${p.toString(16)}`
    if (size < RECORD_MIN) {
      fail(`${at}: size ${size}${size === 0 ? ' (empty data)' : ''}; rest of the chunk not read`)
      break
    }
    if (p + size > chunk.length || p + size > end) {
      const cut = chunk.length < CHUNK_SIZE && p + size > chunk.length
      fail(`${at}: size ${size} runs past the ${cut ? 'end of the input' : 'chunk'}`, cut ? 'truncated' : 'damaged')
      break
    }
    if (chunk.readUInt32LE(p + size - 4) !== size) {
      fail(`${at}: size ${size} does not match its copy at the end; rest of the chunk not read`)
      break
    }
    const recordId = chunk.readUInt32LE(p + 12) * 4294967296 + chunk.readUInt32LE(p + 8)
    try {
      const [root] = xml.fragment(p + 24, p + size - 4)
      each({ok: true, recordId, written: fileTimeMs(chunk, p + 16), fields: extractEvent(xml, root)})
    } catch (error) {
      if (!(error instanceof Damaged) && !(error instanceof RangeError)) throw error
      fail(`record ${recordId}: ${error.message}`)
    }
    p += size
  }
  return result
}

/** Reads `count` chunks from chunk `index` (0-based) on: at most count × CHUNK_SIZE bytes. */
export const chunksAt = (source: ByteSource, index: number, count: number): Promise<Buffer> =>
  source.read(HEADER_SIZE + index * CHUNK_SIZE, count * CHUNK_SIZE)
