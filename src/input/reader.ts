import type {createHash} from 'node:crypto'
import {Readable, Transform} from 'node:stream'

import type {ArchiveLimits} from './archive.js'

/** Stops a decompressed stream that grows past the entry limit or the ratio limit (after its first MiB). */
export function bombGuard(limits: ArchiveLimits, compressed: () => number): Transform {
  let out = 0
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      out += chunk.length
      const ratio = out / Math.max(1, compressed())
      if (out > limits.maxEntryBytes || (out > 1024 ** 2 && ratio > limits.maxRatio)) {
        const why = out > limits.maxEntryBytes ? `over the ${limits.maxEntryBytes}-byte limit` : `compression ratio over ${limits.maxRatio}:1 (a gzip bomb?)`
        done(Object.assign(new Error(`decompressed data ${why}; reading stopped`), {code: 'ELIMIT'}))
        return
      }
      done(null, chunk)
    },
  })
}

/** One line naming what the input looks like and how to turn it into something portleak reads. */
export function unsupportedMessage(path: string, head: Buffer, text: string): string {
  if (head.length === 0) return 'empty input: the collection wrote nothing here; check the script ran and had rights to write'
  const lower = path.toLowerCase()
  const nul = head.subarray(0, 4096).filter((b) => b === 0).length
  if (lower.endsWith('.etl')) return 'binary ETW trace (.etl): convert it with `netsh trace convert input=<file>.etl output=<file>.txt` and pass the text'
  // Minidumps (MDMP) and kernel dump headers (PAGEDUMP/PAGEDU64) are read when detected; other .dmp files are not.
  if (lower.endsWith('.dmp') || head.subarray(0, 4).toString('latin1') === 'PAGE' || head.subarray(0, 4).toString('latin1') === 'MDMP')
    return 'memory dump: neither a minidump (MDMP) nor a kernel dump header (PAGEDUMP/PAGEDU64) portleak reads; run WinDbg `!process 0 1` / `!handle` or Volatility `windows.netscan`/`windows.handles` on it and pass their text output'
  if (lower.endsWith('.evtx'))
    return 'not an event log file (no ElfFile header): pass the .evtx as it came off the machine, or its text or XML export (`wevtutil qe System /f:xml`)'
  if (nul > 16) return 'binary data, not a supported text format: pass the text output of netstat, handle, wevtutil or Volatility'
  // Name the first line that says something: PowerShell's tables and lists start with a blank line.
  const firstLine = (/\S[^\n]*/.exec(text)?.[0] ?? '').trim().slice(0, 60)
  if (firstLine === '') return 'blank lines only: the collection wrote nothing here; check the script ran and had rights to write'
  return `not a recognised format (starts with "${firstLine}"); pass --format if you know what it is`
}

/** Pulls chunks from a stream, hashing and counting them, with a look-ahead head. */
export class ChunkReader {
  bytes = 0
  private readonly iter: AsyncIterator<Buffer>
  private buffered: Buffer[] = []
  /** Set when reading stopped at the byte limit: the stream held more (or was not asked for more). */
  cut = false
  constructor(
    private readonly stream: Readable,
    private readonly hash: ReturnType<typeof createHash>,
    /** Most bytes read from the stream (`--max-bytes`): exact, whatever the chunk sizes. */
    private readonly limit = Infinity,
  ) {
    this.iter = stream[Symbol.asyncIterator]()
  }

  /** The error that ended reading early, if any (kept by `head`, thrown again by `body`). */
  failure: unknown = null

  private async pull(): Promise<Buffer | null> {
    if (this.failure) throw this.failure
    if (this.bytes >= this.limit) {
      // Stop without waiting for more: a pipe whose writer stays open might never send it.
      if (!this.cut) this.destroy()
      this.cut = true
      return null
    }
    const r = await this.iter.next()
    if (r.done) return null
    let chunk = typeof r.value === 'string' ? Buffer.from(r.value) : (r.value as Buffer)
    if (this.bytes + chunk.length > this.limit) {
      chunk = chunk.subarray(0, this.limit - this.bytes)
      this.cut = true
      this.destroy()
    }
    this.bytes += chunk.length
    this.hash.update(chunk)
    return chunk
  }

  /** At least `n` bytes (fewer at end of input), kept for `body()` to return again. */
  async head(n: number): Promise<Buffer> {
    let size = 0
    try {
      while (size < n) {
        const c = await this.pull()
        if (!c) break
        this.buffered.push(c)
        size += c.length
      }
    } catch (error) {
      this.failure = error
    }
    return Buffer.concat(this.buffered)
  }

  /** Chunks after the head. */
  async *body(): AsyncGenerator<Buffer> {
    this.buffered = []
    for (;;) {
      const c = await this.pull()
      if (!c) return
      yield c
    }
  }

  /** Everything including the head, as a stream (for gunzip). */
  rest(): Readable {
    // Rebuild a stream from the buffered head and the remaining chunks.
    const self = this
    const gen = async function* () {
      for (const b of self.buffered) yield b
      self.buffered = []
      yield* self.body()
    }
    return ReadableFrom(gen())
  }

  async readAll(max: number, head: Buffer): Promise<Buffer> {
    const parts = [head]
    let size = head.length
    for await (const c of this.body()) {
      size += c.length
      if (size > max) {
        this.destroy()
        throw new Error(`nested archive larger than ${max} bytes`)
      }
      parts.push(c)
    }
    return Buffer.concat(parts)
  }

  destroy(): void {
    this.stream.destroy()
  }
}

const ReadableFrom = (it: AsyncIterable<Buffer>) => Readable.from(it, {objectMode: false})

