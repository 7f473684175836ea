/**
 * The input path of binary formats (event log files, dumps): detected on the first bytes, read through
 * a ByteSource instead of lines. A file on disk is read in place through a file handle; an archive
 * entry, gzip output or stdin is spooled into memory first, up to the archive limit for nested data.
 * Hash, byte count, `--max-bytes`, interrupts and progress behave as for text inputs.
 */
import type {createHash} from 'node:crypto'
import {open} from 'node:fs/promises'

import {SummarySink} from '../model/summary.js'
import type {InputSummary} from '../model/types.js'
import type {ByteSource} from '../formats/shared/binary.js'
import {bufferSource} from '../formats/shared/binary.js'
import {parsers} from '../formats/registry.js'
import type {Parser} from '../formats/types.js'
import type {ArchiveLimits} from './archive.js'
import type {IngestOptions, SinkFactory} from './ingest.js'
import type {ChunkReader} from './reader.js'
import type {InputSource} from './sources.js'

type Hash = ReturnType<typeof createHash>

/** The binary parser most confident about the input's first bytes (at least 0.5), if any. */
export function detectBinary(head: Buffer): Parser | undefined {
  let best: {parser: Parser; confidence: number} | undefined
  for (const parser of parsers) {
    if (!parser.binary) continue
    let confidence = 0
    try {
      confidence = parser.binary.detectBytes(head)
    } catch {
      confidence = 0
    }
    if (confidence >= 0.5 && confidence > (best?.confidence ?? 0)) best = {parser, confidence}
  }
  return best?.parser
}

/**
 * Reads one binary input with `parser` (whose `binary` is set) and returns its summary. `reader` has
 * read (and hashed) `head` so far.
 */
export async function parseBinary(
  parser: Parser,
  source: InputSource,
  reader: ChunkReader,
  head: Buffer,
  hash: Hash,
  options: IngestOptions,
  sinkFor: SinkFactory,
  index: number,
  limits: ArchiveLimits,
  messages: {interrupted: string; readError: (e: unknown) => string},
): Promise<InputSummary> {
  const format = parser.binary!
  const maxBytes = options.maxBytes
  let bytes = 0
  let error: string | null = null
  let byteSource: ByteSource
  let close = async () => {}
  let finishHash = async () => {}
  if (source.file !== null) {
    // On disk: read in place. The chunk reader hashed the head; the rest is hashed as the format reads
    // through it in order, and what it did not read, after.
    const headBytes = reader.bytes
    reader.destroy()
    let fh
    try {
      fh = await open(source.file, 'r')
    } catch (e) {
      const s = new SummarySink(source.path, null).summary({encoding: 'binary', bytes: 0, sha256: '', lines: 0})
      s.error = messages.readError(e)
      return s
    }
    const full = (await fh.stat()).size
    const size = maxBytes !== undefined ? Math.min(full, maxBytes) : full
    if (size < full) error = `stopped after ${maxBytes} bytes (--max-bytes); results are partial`
    let hashed = headBytes
    let seen = 0
    byteSource = {
      size,
      read: async (offset, length) => {
        const start = Math.max(0, Math.min(offset, size))
        const n = Math.max(0, Math.min(length, size - start))
        const buf = Buffer.allocUnsafe(n)
        let got = 0
        while (got < n) {
          const {bytesRead} = await fh.read(buf, got, n - got, start + got)
          if (bytesRead <= 0) break
          got += bytesRead
        }
        const out = got < n ? buf.subarray(0, got) : buf
        if (start <= hashed && start + got > hashed) {
          hash.update(out.subarray(hashed - start))
          hashed = start + got
        }
        if (start + got > seen) {
          seen = start + got
          options.onProgress?.({path: source.path, bytes: seen, size})
        }
        return out
      },
    }
    finishHash = async () => {
      const buf = Buffer.allocUnsafe(1 << 20)
      while (hashed < size) {
        const {bytesRead} = await fh.read(buf, 0, Math.min(buf.length, size - hashed), hashed)
        if (bytesRead <= 0) break
        hash.update(buf.subarray(0, bytesRead))
        hashed += bytesRead
      }
      bytes = Math.max(hashed, headBytes)
    }
    close = () => fh.close()
  } else {
    // A stream: spooled into memory (the chunk reader hashes it as it goes), within the limit.
    const parts = [head]
    let size = head.length
    try {
      for await (const chunk of reader.body()) {
        if (maxBytes !== undefined && size >= maxBytes) break
        parts.push(chunk)
        size += chunk.length
        if (size > limits.maxNestedBytes) break
        options.onProgress?.({path: source.path, bytes: size, size: source.size})
        if (options.signal?.aborted) break
      }
    } catch (e) {
      const why = messages.readError(e)
      error = why === messages.interrupted ? why : `${why}; results are partial`
    }
    reader.destroy()
    if (size > limits.maxNestedBytes && (maxBytes === undefined || maxBytes > limits.maxNestedBytes)) {
      const s = new SummarySink(source.path, null).summary({encoding: 'binary', bytes: 0, sha256: '', lines: 0})
      s.error = `${parser.id} input over the ${limits.maxNestedBytes}-byte limit for binary data read into memory (archive entry, gzip or stdin); extract it and pass the file`
      return s
    }
    let data = Buffer.concat(parts)
    if (maxBytes !== undefined && data.length > maxBytes) {
      data = data.subarray(0, maxBytes)
      error ??= `stopped after ${maxBytes} bytes (--max-bytes); results are partial`
    }
    bytes = reader.bytes
    byteSource = bufferSource(data)
  }
  const next = sinkFor({path: source.path, format: parser.id, index})
  const summary = new SummarySink(source.path, parser.id, next)
  try {
    await format.read(byteSource, summary, {path: source.path, dateOrder: options.dateOrder, signal: options.signal})
    await finishHash()
  } catch (e) {
    error = `${messages.readError(e)}; results are partial`
  } finally {
    await close()
  }
  if (options.signal?.aborted) error = messages.interrupted
  next?.finish?.()
  const s = summary.summary({encoding: 'binary', bytes, sha256: hash.digest('hex'), lines: 0})
  s.error = error
  return s
}
