import {createHash} from 'node:crypto'
import {addAbortSignal, pipeline, type Readable} from 'node:stream'
import {constants as zlibConstants, createGunzip} from 'node:zlib'

import {PortleakError} from '../errors.js'
import {type CaseBuilder, trackedRangesFor} from '../model/case-builder.js'
import {SummarySink} from '../model/summary.js'
import type {InputSummary} from '../model/types.js'
import {detectFormat, getParser, noiseEnd} from '../formats/registry.js'
import type {AddressIds, DateOrder, FormatId, LineParser, Parser, RecordSink} from '../formats/types.js'
import {type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS, isEmptyZip, isGzip, isTar, isZip, openZip, smallFirst, tarEntries, ZIP_IN_MEMORY, zipEntries} from './archive.js'
import {detectBinary, parseBinary} from './binary-input.js'
import {createDecoder, normalizeEncoding, sniffEncoding} from './encoding.js'
import {ByteLineSplitter, LineSplitter, lineDecoder} from './lines.js'
import {keepLandmarks, LandmarkNotes} from './landmarks.js'
import {Utf8Normalizer} from './normalize.js'
import {dropEarly, hashInWorker} from './hash-thread.js'
import {absorbWorkers, keepWorkerLandmarks, parallelMinBytes, planSplit, runWorkers, WorkerCrew, workerCount, workersAvailable} from './parallel.js'
import type {WorkerResult, WorkerTask} from './parallel-worker.js'
import {bombGuard, ChunkReader, unsupportedMessage} from './reader.js'
import {byPath, type InputSource, fsError, listSources} from './sources.js'

export type IngestOptions = {
  readonly format?: FormatId | undefined
  readonly encoding?: string | undefined
  readonly dateOrder?: DateOrder | undefined
  readonly limits?: ArchiveLimits | undefined
  /** Longest line kept, in UTF-8 bytes; longer lines are skipped as `too-long`. */
  readonly maxLineLength?: number | undefined
  readonly signal?: AbortSignal | undefined
  /** Stop reading one input after this many bytes (`--max-bytes`); its results are flagged partial. */
  readonly maxBytes?: number | undefined
  readonly onProgress?: ((p: Progress) => void) | undefined
  readonly stdin?: (() => Readable) | undefined
  /** Every connection row must reach the sink in this thread (a row tap, `export --connections`): no worker threads. */
  readonly everyRow?: boolean | undefined
  /**
   * Return before every input's digest is known: a large loop's `sha256` may still be empty (and its `bytes`
   * the size it had when listed) until {@link settleDigests}. Without it, ingest waits for them.
   */
  readonly lateDigests?: boolean | undefined
  /**
   * Read only inputs of these formats (the first pass that learns case-wide settings before any snapshot
   * is counted); the others are detected from their head and left unread, without a summary.
   */
  readonly onlyFormats?: ReadonlySet<FormatId> | undefined
}

export type Progress = {path: string; bytes: number; size: number | null; snapshots?: number}

/** Where an input's records go once its format is known (null: only count them); `finish` runs when it ends. */
export type SinkFactory = (
  input: {path: string; format: FormatId; index: number},
) => (RecordSink & {finish?(): void; addressIds?: AddressIds; caseBuilder?: CaseBuilder; inputIndex?: number}) | null

const SAMPLE_BYTES = 64 * 1024
/** Encodings a large loop can be split across worker threads in (others are read by one thread). */
const PARALLEL_ENCODINGS = new Set(['utf-8', 'utf-16le'])
const INTERRUPTED = 'interrupted; results are partial'
const INTERRUPTED_BEFORE = 'not read: interrupted before this input'
const DEFAULT_MAX_LINE = 1024 * 1024

/**
 * Reads every input (files, directories, stdin, zip entries, gzip), detects each one's encoding and
 * format from its content, and streams its lines through its parser into the sink the factory gives.
 * Returns one summary per input, in path order. An input that cannot be read gets a summary with
 * `error` set; the others go on.
 */
export async function ingest(args: readonly string[], options: IngestOptions, sinkFor: SinkFactory): Promise<InputSummary[]> {
  const listed = await listSources(args, options.stdin)
  const sources = [...listed].sort(byPath).sort((a, b) => smallFirst(a.size, b.size))
  const out: InputSummary[] = []
  for (const source of sources) {
    if (source.skipped) out.push(failed(source.path, source.skipped))
    else if (options.signal?.aborted) out.push(failed(source.path, INTERRUPTED_BEFORE))
    else await ingestSource(source, options, sinkFor, out, 0)
  }
  // Read small inputs first, in path order: results do not depend on the order inputs were named in. Listed in
  // the order given (archive entries and directory contents by path within their archive or directory).
  const given = new Map(listed.map((s, i) => [s.path, i]))
  const rank = (path: string) => given.get(path) ?? given.get(path.slice(0, path.indexOf('!'))) ?? listed.length
  // An early digest no reader took over (its file was read some other way, or not at all) stops here; a first
  // pass that reads only some formats leaves it to the pass after.
  if (!options.onlyFormats) dropEarly()
  if (!options.lateDigests) await settleDigests(out)
  return out.sort(byPath).sort((a, b) => rank(a.path) - rank(b.path))
}

async function ingestSource(
  source: InputSource,
  options: IngestOptions,
  sinkFor: SinkFactory,
  out: InputSummary[],
  depth: number,
): Promise<void> {
  const limits = options.limits ?? DEFAULT_ARCHIVE_LIMITS
  const opened = openInput(source, options)
  if ('error' in opened) {
    out.push(failed(source.path, opened.error))
    return
  }
  const {reader, hash} = opened
  // A read error in the head (a truncated gzip, an interrupt) keeps what was read: it is parsed, flagged partial.
  const head = await reader.head(SAMPLE_BYTES)
  if (head.length === 0 && reader.failure) {
    out.push(failed(source.path, readError(reader.failure)))
    return
  }
  // An archive's bytes are hashed as this thread reads them: an early digest of it is not needed.
  if (isZip(head) || isEmptyZip(head) || isTar(head) || isGzip(head)) dropEarly(source.file)
  if (isZip(head) || isEmptyZip(head)) {
    if (depth >= 2) {
      reader.destroy()
      out.push(failed(source.path, 'archive nested more than one level deep; not read'))
      return
    }
    await ingestZip(source, reader, head, options, sinkFor, out, depth, limits)
    return
  }
  if (isTar(head)) {
    // Tar (a `.tar`, or the inside of a `.tar.gz`/`.tgz` reaching here gunzipped): read entry by entry as a zip is.
    if (depth >= 2) {
      reader.destroy()
      out.push(failed(source.path, 'archive nested more than one level deep; not read'))
      return
    }
    const entries = tarEntries(reader.rest(), source.path, limits)
    await ingestEntries(entries, source.path, 'tar archive is damaged or cut', options, sinkFor, out, depth)
    return
  }
  if (isGzip(head)) {
    if (depth >= 2) {
      reader.destroy()
      out.push(failed(source.path, 'nested more than two levels deep (gzip or archive inside gzip); not read'))
      return
    }
    // Decompressed bytes are held to the archive limits: size, and ratio to the compressed bytes read.
    const inner = pipeline(gunzipAll(reader.rest()), bombGuard(limits, () => reader.bytes), () => {})
    await ingestSource({path: source.path, size: null, file: null, open: () => inner}, options, sinkFor, out, depth + 1)
    return
  }
  await parseInput(source, reader, head, hash, options, sinkFor, out)
}

async function ingestZip(
  source: InputSource,
  reader: ChunkReader,
  head: Buffer,
  options: IngestOptions,
  sinkFor: SinkFactory,
  out: InputSummary[],
  depth: number,
  limits: ArchiveLimits,
): Promise<void> {
  let zf
  try {
    // A zip on disk is read by random access, one file read per directory record and entry; one that
    // fits in memory is read whole first (far cheaper per entry when it holds thousands of them).
    if (source.file && depth === 0 && (source.size ?? Infinity) > ZIP_IN_MEMORY) {
      reader.destroy()
      zf = await openZip(source.file)
    } else {
      zf = await openZip(await reader.readAll(limits.maxNestedBytes, head))
    }
  } catch (error) {
    out.push(failed(source.path, `not a readable zip archive (${(error as Error).message}); the upload may be truncated`))
    return
  }
  await ingestEntries(zipEntries(zf, source.path, limits), source.path, 'archive is damaged', options, sinkFor, out, depth)
}

/** Reads the entries an archive walker yields, one level deeper; a walker that fails ends the archive with a note. */
async function ingestEntries(
  entries: AsyncGenerator<{source: InputSource} | {problem: {path: string; reason: string}}>,
  archivePath: string,
  damaged: string,
  options: IngestOptions,
  sinkFor: SinkFactory,
  out: InputSummary[],
  depth: number,
): Promise<void> {
  try {
    for await (const item of entries) {
      if ('problem' in item) out.push(failed(item.problem.path, item.problem.reason))
      else if (options.signal?.aborted) out.push(failed(item.source.path, INTERRUPTED_BEFORE))
      else await ingestSource(item.source, options, sinkFor, out, depth + 1)
    }
  } catch (error) {
    out.push(failed(archivePath, `${damaged} (${readError(error).replace(/^cannot read \((.*)\)$/, '$1')}); entries after this point were not read`))
  }
}

type Sniffed = {encoding: string; bomLength: number}

/** One input that is neither an archive nor compressed: detected, then read by worker threads or line by line. */
async function parseInput(
  source: InputSource,
  reader: ChunkReader,
  firstHead: Buffer,
  hash: ReturnType<typeof createHash>,
  options: IngestOptions,
  sinkFor: SinkFactory,
  out: InputSummary[],
): Promise<void> {
  const found = await detectInput(reader, firstHead, options)
  if ('binary' in found) {
    dropEarly(source.file)
    const limits = options.limits ?? DEFAULT_ARCHIVE_LIMITS
    out.push(await parseBinary(found.binary, source, reader, firstHead, hash, options, sinkFor, out.length, limits, {interrupted: INTERRUPTED, readError}))
    return
  }
  const {parser, sniffed, head} = found
  if (!parser || (options.onlyFormats && !options.onlyFormats.has(parser.id))) {
    reader.destroy()
    if (!options.onlyFormats) out.push(failed(source.path, unsupportedMessage(source.path, head, found.headText), sniffed.encoding))
    return
  }
  // Workers start now: their start-up overlaps setting up the case and planning the split.
  const crew = splitWanted(parser, source, sniffed, options) ? new WorkerCrew(workerCount()) : null
  let next: ReturnType<SinkFactory>
  let plan: WorkerTask[] | null = null
  try {
    next = sinkFor({path: source.path, format: parser.id, index: out.length})
    plan = crew ? splitPlan(source, sniffed, options, next) : null
  } finally {
    // Waiting workers would keep the process alive.
    if (plan === null) crew?.release()
  }
  if (plan) {
    try {
      out.push(await readSplit(plan, crew!, source, reader, sniffed, options, next))
      return
    } catch (error) {
      // A worker's heap is capped (parallel.ts workerLimits); what it holds is bounded by a snapshot, and a
      // snapshot can still hold more than that (tens of thousands of fresh IPv6 peers). Nothing of the
      // workers' reached the case: the file is read again, whole, by this thread, whose heap is not capped.
      if (!workerOutOfMemory(error)) throw error
      const again = openInput(source, options)
      if ('error' in again) {
        out.push(failed(source.path, again.error))
        return
      }
      out.push(await readLines(parser, source, again.reader, await again.reader.head(SAMPLE_BYTES), again.hash, sniffed, options, next))
      return
    }
  }
  // Read by this thread, the input is hashed as it is read: an early digest of it is not needed.
  dropEarly(source.file)
  out.push(await readLines(parser, source, reader, head, hash, sniffed, options, next))
}

/** A worker thread ended for want of heap (Node's ERR_WORKER_OUT_OF_MEMORY). */
const workerOutOfMemory = (error: unknown) => (error as {code?: unknown} | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY'

/** The input opened (again) from its start, with a digest of what is read; or why it cannot be. */
function openInput(source: InputSource, options: IngestOptions): {reader: ChunkReader; hash: ReturnType<typeof createHash>} | {error: string} {
  let stream: Readable
  try {
    stream = source.open()
  } catch (error) {
    return {error: readError(error)}
  }
  if (options.signal) addAbortSignal(options.signal, stream)
  const hash = createHash('sha256')
  // `--max-bytes` holds every stream read to that many bytes, archives' compressed bytes included.
  return {reader: new ChunkReader(stream, hash, options.maxBytes), hash}
}

/**
 * The input's format: a binary one by its first bytes, else its encoding and a text format from the sample
 * (looking past leading loop noise when the sample is all noise). `parser` undefined: not a known format.
 */
async function detectInput(
  reader: ChunkReader,
  firstHead: Buffer,
  options: IngestOptions,
): Promise<{binary: Parser} | {parser: Parser | undefined; sniffed: Sniffed; head: Buffer; headText: string}> {
  let head = firstHead
  // Sniff and detect on the first SAMPLE_BYTES only: the head may hold more, depending on chunk sizes.
  const sample = head.subarray(0, SAMPLE_BYTES)
  // Binary formats (event log files, dumps) are known by their first bytes and read by offset, not by line.
  const forced = options.format ? getParser(options.format) : undefined
  const binary = forced ? (forced.binary ? forced : undefined) : detectBinary(sample)
  if (binary) return {binary}
  const sniffed = options.encoding ? {encoding: options.encoding, bomLength: 0} : sniffEncoding(sample)
  const headText = createDecoder(sniffed.encoding).write(sample.subarray(sniffed.bomLength))
  let parser: Parser | undefined
  if (options.format) {
    parser = getParser(options.format)
    if (!parser) throw new PortleakError(`unknown format '${options.format}'`, 'EUSAGE')
  } else parser = detectFormat(headText.slice(0, SAMPLE_BYTES))?.parser
  const noise = parser || options.format || options.onlyFormats ? 0 : noiseEnd(headText)
  if (!parser && noise > headText.length / 2) {
    // The sample was mostly loop noise (a long `ping -t` before the first snapshot): look past it, further
    // into the input when the sample was full, else at what the sample holds after the noise.
    const further = sample.length === SAMPLE_BYTES ? await detectPastNoise(reader, sniffed) : null
    parser = further?.parser ?? (sample.length < SAMPLE_BYTES ? detectFormat(headText.slice(noise))?.parser : undefined)
    if (further) head = further.head
  }
  return {parser, sniffed, head, headText}
}

/** Whether a large netstat loop on disk is read by worker threads (when its split can be planned). */
function splitWanted(parser: Parser, source: InputSource, sniffed: Sniffed, options: IngestOptions): boolean {
  return (
    parser.id === 'netstat' &&
    source.file !== null &&
    (source.size ?? 0) >= parallelMinBytes() &&
    PARALLEL_ENCODINGS.has(normalizeEncoding(sniffed.encoding)) &&
    options.maxBytes === undefined &&
    !options.everyRow &&
    process.env.PORTLEAK_THREADS !== '1' &&
    workerCount() >= 2 &&
    workersAvailable()
  )
}

/** Worker-thread ranges for a large netstat loop on disk (see splitWanted), or null when it is read by this thread. */
function splitPlan(source: InputSource, sniffed: Sniffed, options: IngestOptions, next: ReturnType<SinkFactory>): WorkerTask[] | null {
  return planSplit(source.file!, source.size!, sniffed.bomLength, {
    dateOrder: options.dateOrder,
    maxLine: options.maxLineLength ?? DEFAULT_MAX_LINE,
    // Without a case (inspect only counts) the split needs just the ranges a case would track.
    ranges: next?.caseBuilder?.trackedRanges ?? trackedRangesFor(null),
    aggregate: next !== null,
    encoding: normalizeEncoding(sniffed.encoding),
  })
}

/**
 * A large loop on disk, parsed in worker threads (one snapshot-aligned range each) while a thread of its
 * own hashes it: from the start, or (`lateDigests`, below LATE_HASH_MAX) from when the first worker is done.
 */
async function readSplit(
  plan: WorkerTask[],
  crew: WorkerCrew,
  source: InputSource,
  reader: ChunkReader,
  sniffed: Sniffed,
  options: IngestOptions,
  next: ReturnType<SinkFactory>,
): Promise<InputSummary> {
  reader.destroy()
  const input = {path: source.path, format: 'netstat' as const, index: next?.inputIndex ?? 0}
  // A late digest is not needed until the analysis is done: hashed from when the first worker is done, it
  // takes the core the workers' last stretch and then the analysis leave idle, instead of a share of both
  // cores while they read.
  const late = options.lateDigests === true && (source.size ?? Infinity) < LATE_HASH_MAX
  // Taken over from hashEarly, it may be running already: held while the workers read when late.
  const hasher = hashInWorker(source.file!)
  if (late) hasher.pause()
  else hasher.go()
  // Interrupted while the workers read, the run keeps what they read and the digest what was hashed (as
  // readLines does); an interrupt later stops neither.
  const onAbort = () => hasher.cancel()
  options.signal?.addEventListener('abort', onAbort, {once: true})
  let results: WorkerResult[]
  try {
    results = await runWorkers(plan, options.signal, crew, hasher.go)
  } catch (error) {
    // A waiting hash thread would keep the process alive.
    hasher.cancel()
    throw error
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
  const stopped = results.some((r) => r.stopped)
  if (stopped) hasher.cancel()
  else hasher.go()
  const digested = hasher.result.catch((error: unknown) => {
    throw new PortleakError(`${source.path}: ${readError(error)}`, 'EIO')
  })
  if (!late) {
    const d = await digested
    const s = absorbWorkers(next?.caseBuilder ?? null, input, results, {encoding: sniffed.encoding, ...d}, options.dateOrder)
    if (stopped) s.error = INTERRUPTED
    return s
  }
  const s = absorbWorkers(next?.caseBuilder ?? null, input, results, {encoding: sniffed.encoding, bytes: source.size!, sha256: ''}, options.dateOrder)
  if (stopped) s.error = INTERRUPTED
  const settled = digested.then((d) => {
    s.sha256 = d.sha256
    s.bytes = d.bytes
    if (!stopped) keepWorkerLandmarks(results, d)
  })
  // Nobody may await it (an error elsewhere ends the run first): its failure is reported where it is awaited.
  settled.catch(() => {})
  pendingDigests.set(s, settled)
  return s
}

/**
 * Loops on disk smaller than this have their digest computed late (see readSplit): hashing, about 0.7 s per
 * GiB here, then ends within the analysis that follows the reading (0.3–0.5 s on 0.5 GB). Past this size it
 * would outlast the analysis and add to the run's time: the file is hashed while the workers read it.
 */
const LATE_HASH_MAX = 1 << 30

/** Digests still being computed, by the summary they go into (its `sha256` is empty until then). */
const pendingDigests = new WeakMap<InputSummary, Promise<void>>()

/** Whether the summary's digest (and with it its final `bytes`) is still being computed. */
export const digestPending = (s: InputSummary) => pendingDigests.has(s)

/** Waits for the digests of these summaries, which then hold them; throws when one could not be computed. */
export async function settleDigests(summaries: readonly InputSummary[]): Promise<void> {
  for (const s of summaries) {
    const pending = pendingDigests.get(s)
    if (pending === undefined) continue
    await pending
    pendingDigests.delete(s)
  }
}

/** Reads the input line by line in this thread, through its parser into the summary and `next`. */
async function readLines(
  parser: Parser,
  source: InputSource,
  reader: ChunkReader,
  head: Buffer,
  hash: ReturnType<typeof createHash>,
  sniffed: Sniffed,
  options: IngestOptions,
  next: ReturnType<SinkFactory>,
): Promise<InputSummary> {
  const summary = new SummarySink(source.path, parser.id, next)
  // Every input is turned into UTF-8 bytes first (following a change of encoding mid-file); parsers with a
  // byte fast path get raw UTF-8 lines, the others decoded text.
  const normalizer = new Utf8Normalizer(sniffed.encoding)
  const decodeBytes = lineDecoder('utf-8')
  const lp = parser.create(summary, {path: source.path, dateOrder: options.dateOrder, decodeBytes, addressIds: next?.addressIds})
  // JSON and XML documents have a size cap, not a line cap: one line may hold all of them.
  const maxLine = Math.max(options.maxLineLength ?? DEFAULT_MAX_LINE, parser.documentChars ?? 0)
  const splitter: {push(chunk: Buffer): void; end(): number} = lp.lineBytes
    ? new ByteLineSplitter(lp as LineParser & {lineBytes: NonNullable<LineParser['lineBytes']>}, summary, maxLine, decodeBytes)
    : textFeed(new LineSplitter(lp, summary, maxLine), createDecoder('utf-8'))
  // Line starts of a UTF-8 or UTF-16LE file on disk, for quoting its lines again (src/input/landmarks.ts), as workers note them.
  const encoding = normalizeEncoding(sniffed.encoding)
  const noted = source.file !== null && splitter instanceof ByteLineSplitter && (encoding === 'utf-8' || encoding === 'utf-16le')
  const marks = noted ? new LandmarkNotes(splitter, sniffed.bomLength, encoding) : null
  const feed = {
    push: (chunk: Buffer) => {
      const out = normalizer.push(chunk)
      splitter.push(out)
      marks?.after(out, normalizer.position, normalizer.switches.length > 0)
    },
    end: () => {
      splitter.push(normalizer.end())
      if (normalizer.switches.length > 0) {
        summary.note('encodingSwitches', normalizer.switches.map((s) => `${s.to} at byte ${s.offset + sniffed.bomLength}`).join(', '))
      }
      return splitter.end()
    },
  }
  let error: string | null = null
  feed.push(sniffed.bomLength ? head.subarray(sniffed.bomLength) : head)
  try {
    for await (const chunk of reader.body()) {
      feed.push(chunk)
      options.onProgress?.({path: source.path, bytes: reader.bytes, size: source.size, snapshots: summary.snapshotCount})
      if (options.signal?.aborted) {
        error = INTERRUPTED
        reader.destroy()
        break
      }
    }
  } catch (e) {
    const why = readError(e)
    error = why === INTERRUPTED ? why : `${why}; results are partial`
  }
  if (reader.cut && error === null) error = `stopped after ${options.maxBytes} bytes (--max-bytes); results are partial`
  const lines = feed.end()
  next?.finish?.()
  const s = summary.summary({encoding: sniffed.encoding, bytes: reader.bytes, sha256: hash.digest('hex'), lines})
  s.error = error
  if (marks && error === null) keepLandmarks(s.sha256, s.bytes, marks.marks)
  return s
}


/** Detection looks past leading noise in windows up to this many bytes in all. */
const MAX_NOISE_BYTES = 16 * 1024 ** 2
/**
 * Reads windows of 4×, 16×… the sample while the text is noise; detects the format on one sample's worth
 * of text after the noise. Windows are cut at fixed byte offsets, so chunking never changes the result.
 */
async function detectPastNoise(reader: ChunkReader, sniffed: {encoding: string; bomLength: number}): Promise<{parser: Parser; head: Buffer} | null> {
  for (let size = SAMPLE_BYTES * 4; size <= MAX_NOISE_BYTES; size *= 4) {
    const head = await reader.head(size)
    const ended = head.length < size
    const text = createDecoder(sniffed.encoding).write(head.subarray(sniffed.bomLength, size))
    const start = noiseEnd(text)
    if (text.length - start >= SAMPLE_BYTES || ended) {
      const found = detectFormat(text.slice(start, start + SAMPLE_BYTES))
      return found ? {parser: found.parser, head} : null
    }
  }
  return null
}

function failed(path: string, error: string, encoding = 'unknown'): InputSummary {
  const s = new SummarySink(path, null).summary({encoding, bytes: 0, sha256: '', lines: 0})
  s.error = error
  return s
}

/** Compressed bytes go to zlib in pieces of this size at fixed offsets, each followed by a sync flush. */
const GZIP_PIECE = 16 * 1024

/**
 * Decompresses gzip so that a truncated or damaged stream yields the same text however its bytes were
 * chunked: zlib gets pieces cut at fixed offsets of the compressed stream, each followed by a sync
 * flush, so everything decodable from the pieces before a cut or a damaged block is emitted before
 * the error (which still reaches the reader: `pipeline`, not `pipe`). What zlib decoded from the piece
 * holding the damage is lost with it: at most GZIP_PIECE compressed bytes' worth of text.
 */
function gunzipAll(source: Readable): Readable {
  const gunzip = createGunzip()
  // Resolves when zlib has taken the piece and flushed its output, or when the stream failed.
  const put = (piece: Buffer) =>
    new Promise<void>((resolve) => {
      const done = () => {
        gunzip.off('close', done)
        resolve()
      }
      gunzip.once('close', done)
      gunzip.write(piece)
      gunzip.flush(zlibConstants.Z_SYNC_FLUSH, done)
    })
  const feed = async () => {
    let carry: Buffer | null = null
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk
      let i = 0
      for (; i + GZIP_PIECE <= buf.length && !gunzip.destroyed; i += GZIP_PIECE) await put(buf.subarray(i, i + GZIP_PIECE))
      carry = i < buf.length ? buf.subarray(i) : null
      if (gunzip.destroyed) return
    }
    if (carry && !gunzip.destroyed) await put(carry)
    if (!gunzip.destroyed) gunzip.end()
  }
  feed().catch((error: Error) => gunzip.destroy(error))
  return gunzip
}

/** Why reading stopped, without the path (the caller names the input). */
function readError(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return INTERRUPTED
  if (e.code === 'Z_BUF_ERROR') return 'compressed data ends early (truncated upload?)'
  if (e.code === 'Z_DATA_ERROR') return 'compressed data is damaged'
  if (e.code === 'ELIMIT') return e.message
  if (e.code) return fsError('', error).message.replace(/^: /, '')
  return `cannot read (${e.message})`
}

/** Decodes chunks (any encoding, sequences split across chunks kept) and splits the text into lines. */
function textFeed(splitter: LineSplitter, decoder: ReturnType<typeof createDecoder>): {push(chunk: Buffer): void; end(): number} {
  return {
    push: (chunk) => splitter.push(decoder.write(chunk)),
    end: () => {
      splitter.push(decoder.end())
      return splitter.end()
    },
  }
}
