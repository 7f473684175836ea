import {open} from 'node:fs/promises'
import {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'

import {DEFAULT_ARCHIVE_LIMITS, isGzip, isTar, isZip, openZip, tarEntries, ZIP_IN_MEMORY, zipEntries} from '../input/archive.js'
import {detectBinary} from '../input/binary-input.js'
import {type Landmark, landmarkBefore} from '../input/landmarks.js'
import {sniffEncoding} from '../input/encoding.js'
import {Utf8Normalizer} from '../input/normalize.js'
import {type InputSource, listSources} from '../input/sources.js'
import type {Analysis, Evidence} from '../model/types.js'

/**
 * Quoting evidence: the source lines findings cite, read again after the analysis by line number, so
 * the report can show the row and not only where it is. Memory stays flat: at most {@link QUOTES_PER_FINDING}
 * lines per finding are asked for, each kept to {@link QUOTE_CHARS} characters, and one pass per input
 * stops at the last line asked for.
 *
 * What can be read again: files on disk (any encoding, a change of encoding mid-file included),
 * `.gz` files, and entries of `.zip`/`.tar`/`.tar.gz` archives on disk (the archive is walked again,
 * only the entries cited are read). Standard input and FIFOs are read once and cannot be re-read;
 * binary inputs (`.evtx`, dumps) have record ordinals, not lines: their evidence is not quoted (its
 * `text` still says what the record holds). A file whose size differs from the bytes read (it changed
since, or `--max-bytes` cut the reading short) is not quoted: its lines may not be the ones cited.
 */

/** Lines quoted per finding at most (its first evidence entries). */
export const QUOTES_PER_FINDING = 3
/** Characters kept of a quoted line; longer lines end in `…`. */
export const QUOTE_CHARS = 240

const HEAD_BYTES = 64 * 1024
const MAX_DEPTH = 2

/** Wanted lines by display path (`upload.zip!logs/netstat.txt`), and the lines found. */
export type Wanted = Map<string, Map<number, string | null>>

/**
 * Adds `quote` to the first {@link QUOTES_PER_FINDING} evidence entries of every finding of every
 * analysis, reading the cited lines again from `args` (the inputs as given on the command line).
 * Never throws for an input that cannot be read again: its evidence stays unquoted.
 */
export async function quoteEvidence(analyses: readonly Analysis[], args: readonly string[], o: {signal?: AbortSignal | undefined} = {}): Promise<void> {
  const cited: Evidence[] = []
  const wanted: Wanted = new Map()
  const sizes = new Map<string, number>()
  const digests = new Map<string, string>()
  for (const a of analyses) {
    for (const i of a.document.inputs) {
      sizes.set(i.path, i.bytes)
      digests.set(i.path, i.sha256)
    }
    for (const f of a.document.findings) {
      for (const e of f.evidence.slice(0, QUOTES_PER_FINDING)) {
        if (e.line < 1 || e.quote !== undefined) continue
        cited.push(e)
        let lines = wanted.get(e.path)
        if (!lines) wanted.set(e.path, (lines = new Map()))
        lines.set(e.line, null)
      }
    }
  }
  await readLines(args, wanted, sizes, o.signal, digests)
  for (const e of cited) {
    const text = wanted.get(e.path)?.get(e.line)
    if (typeof text === 'string') e.quote = text
  }
}

/**
 * Fills `wanted` (lines by display path, values null) with the text of those lines, read again from
 * `args` as {@link quoteEvidence} does; `sizes` (bytes read by display path) keeps a changed file out.
 * With `digests` (SHA-256 by display path), a file on disk whose reading left landmarks
 * (src/input/landmarks.ts) is read from the last line start before the first line wanted.
 * Lines that cannot be read again stay null. Never throws.
 */
export async function readLines(
  args: readonly string[],
  wanted: Wanted,
  sizes: ReadonlyMap<string, number>,
  signal?: AbortSignal,
  digests: ReadonlyMap<string, string> = new Map(),
): Promise<void> {
  if (args.includes('-')) args = args.filter((a) => a !== '-')
  if (wanted.size === 0 || args.length === 0) return
  let sources: InputSource[]
  try {
    sources = await listSources(args)
  } catch {
    return
  }
  for (const s of sources) {
    if (signal?.aborted) break
    if (s.skipped || s.file === null || !reaches(wanted, s.path)) continue
    await readSource(s, wanted, sizes, 0, digests).catch(() => undefined)
  }
}

/** The text of `lines` (line numbers by display path), read again from `args`, by `path:line`. */
export async function rawLines(
  args: readonly string[],
  lines: ReadonlyMap<string, readonly number[]>,
  sizes: ReadonlyMap<string, number>,
  digests?: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  const wanted: Wanted = new Map([...lines].map(([path, ls]) => [path, new Map(ls.map((l) => [l, null]))]))
  await readLines(args, wanted, sizes, undefined, digests)
  const out = new Map<string, string>()
  for (const [path, ls] of wanted) for (const [line, text] of ls) if (text !== null) out.set(`${path}:${line}`, text)
  return out
}

/** True when a wanted path is this source or inside it. */
const reaches = (wanted: Wanted, path: string) => {
  for (const p of wanted.keys()) if (p === path || p.startsWith(`${path}!`)) return true
  return false
}

async function readSource(s: InputSource, wanted: Wanted, sizes: ReadonlyMap<string, number>, depth: number, digests: ReadonlyMap<string, string> = new Map()): Promise<void> {
  const {head, stream} = await peek(s.open())
  try {
    if (isZip(head)) {
      if (depth >= MAX_DEPTH) return
      stream.destroy()
      const zf = s.file && depth === 0 && (s.size ?? Infinity) > ZIP_IN_MEMORY ? await openZip(s.file) : await openZip(await readAll(s.open()))
      try {
        await readEntries(zipEntries(zf, s.path, DEFAULT_ARCHIVE_LIMITS), wanted, sizes, depth)
      } finally {
        zf.close()
      }
      return
    }
    if (isTar(head)) {
      if (depth < MAX_DEPTH) await readEntries(tarEntries(stream, s.path, DEFAULT_ARCHIVE_LIMITS), wanted, sizes, depth)
      return
    }
    if (isGzip(head)) {
      if (depth < MAX_DEPTH) await readSource({path: s.path, size: null, file: null, open: () => stream.pipe(createGunzip())}, wanted, sizes, depth + 1)
      return
    }
    const lines = wanted.get(s.path)
    // A file that changed since it was read would quote the wrong lines.
    if (!lines || detectBinary(head) || (s.size !== null && sizes.has(s.path) && sizes.get(s.path) !== s.size)) return
    // Lines far into a large file are read from the line start noted last before them, each such group on its own,
    // in the encoding noted there (UTF-8 or UTF-16LE: a line start, never a BOM, so nothing is skipped).
    const groups = new Map<Landmark | null, Map<number, string | null>>()
    for (const line of [...lines.keys()].sort((a, b) => a - b)) {
      let mark = s.file !== null && s.size !== null ? landmarkBefore(digests.get(s.path) ?? '', s.size, line) : null
      if (mark && mark.byte <= HEAD_BYTES) mark = null
      let group = groups.get(mark)
      if (!group) groups.set(mark, (group = new Map()))
      group.set(line, null)
    }
    for (const [mark, group] of groups) {
      if (mark === null) await pickLines(head, stream, group)
      else await pickFrom(piecesFrom(s.file!, mark.byte), group, mark.encoding, 0, mark.line)
      for (const [line, text] of group) lines.set(line, text)
    }
  } finally {
    stream.destroy()
  }
}

async function readEntries(entries: AsyncGenerator<{source: InputSource} | {problem: unknown}>, wanted: Wanted, sizes: ReadonlyMap<string, number>, depth: number): Promise<void> {
  for await (const item of entries) {
    if (!('source' in item) || !reaches(wanted, item.source.path)) continue
    await readSource(item.source, wanted, sizes, depth + 1)
  }
}

/** The first bytes of a stream (up to HEAD_BYTES) and a stream that gives every byte again from the start. */
async function peek(input: Readable): Promise<{head: Buffer; stream: Readable}> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const parts: Buffer[] = []
  let size = 0
  let done = false
  while (size < HEAD_BYTES) {
    const r = await it.next()
    if (r.done) {
      done = true
      break
    }
    parts.push(r.value)
    size += r.value.length
  }
  const head = Buffer.concat(parts)
  async function* all() {
    yield head
    if (done) return
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value
  }
  const stream = Readable.from(all(), {objectMode: false})
  stream.once('close', () => input.destroy())
  return {head, stream}
}

async function readAll(input: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of input as AsyncIterable<Buffer>) {
    parts.push(chunk)
    size += chunk.length
    if (size > DEFAULT_ARCHIVE_LIMITS.maxNestedBytes) throw new Error('too large to read again')
  }
  return Buffer.concat(parts)
}

/**
 * Reads the lines asked for out of one input, numbered as the parsers number them: the bytes are turned
 * into UTF-8 as on the first reading (the sniffed encoding, a change of encoding followed) and split at
 * LF, a CR before it dropped. Stops at the last line asked for.
 */
export async function pickLines(head: Buffer, stream: Readable, lines: Map<number, string | null>): Promise<void> {
  const sniffed = sniffEncoding(head.subarray(0, HEAD_BYTES))
  await pickFrom(stream, lines, sniffed.encoding, sniffed.bomLength, 1)
}

/** Bytes read from a landmark on come in pieces of this size, into one buffer per group of lines. */
const PIECE = 64 * 1024

/**
 * The bytes of `file` from byte `start` on, in pieces read into one buffer: a stream would put every piece in
 * fresh memory, most of it read past the lines wanted (a landmark is up to a MiB before them). Each piece is
 * valid until the next is asked for; what {@link pickFrom} keeps, it copies.
 */
async function* piecesFrom(file: string, start: number): AsyncGenerator<Buffer> {
  const fh = await open(file, 'r')
  try {
    const buf = Buffer.allocUnsafe(PIECE)
    for (let pos = start; ; ) {
      const {bytesRead} = await fh.read(buf, 0, PIECE, pos)
      if (bytesRead <= 0) return
      pos += bytesRead
      yield buf.subarray(0, bytesRead)
    }
  } finally {
    await fh.close()
  }
}

/**
 * {@link pickLines} over a stream that starts at line `firstLine` (a line start), in `encoding`
 * there, its first `skip` bytes (a BOM) not text.
 */
async function pickFrom(chunks: AsyncIterable<Buffer>, lines: Map<number, string | null>, encoding: string, skip: number, firstLine: number): Promise<void> {
  const normalizer = new Utf8Normalizer(encoding)
  const last = Math.max(...lines.keys())
  let lineNo = firstLine
  let open: Buffer[] | null = lines.has(lineNo) ? [] : null
  let openBytes = 0
  const keep = () => {
    if (open) {
      const text = Buffer.concat(open).toString('utf8').replace(/\r+$/, '')
      lines.set(lineNo, text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS - 1)}…` : text)
    }
  }
  const scan = (buf: Buffer) => {
    let start = 0
    for (let nl = buf.indexOf(10); nl !== -1 && lineNo <= last; nl = buf.indexOf(10, start)) {
      if (open && openBytes < QUOTE_CHARS * 4) open.push(Buffer.from(buf.subarray(start, Math.min(nl, start + QUOTE_CHARS * 4))))
      keep()
      lineNo++
      open = lines.has(lineNo) ? [] : null
      openBytes = 0
      start = nl + 1
    }
    if (open && start < buf.length && openBytes < QUOTE_CHARS * 4) {
      const piece = buf.subarray(start, Math.min(buf.length, start + QUOTE_CHARS * 4 - openBytes))
      open.push(Buffer.from(piece))
      openBytes += piece.length
    }
  }
  let first = true
  // Leaving the loop early ends the source (a stream is destroyed, a file closed).
  for await (const chunk of chunks) {
    scan(normalizer.push(first && skip ? chunk.subarray(skip) : chunk))
    first = false
    if (lineNo > last) return
  }
  scan(normalizer.end())
  if (lineNo <= last) keep()
}
