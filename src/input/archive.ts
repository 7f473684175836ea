import {PassThrough, type Readable} from 'node:stream'

import type Tar from 'tar-stream'
import type yauzl from 'yauzl'

import {lazy} from '../lazy.js'
import type {InputSource} from './sources.js'

const zip = lazy<typeof yauzl>('yauzl')
const tar = lazy<typeof Tar>('tar-stream')

/** Limits against zip bombs and hostile archives. Every limit hit is reported, never silent. */
export type ArchiveLimits = {
  /** Largest uncompressed entry, bytes. */
  readonly maxEntryBytes: number
  /** Largest total uncompressed bytes of one archive, bytes. */
  readonly maxTotalBytes: number
  /**
   * Largest compression ratio of an entry over 1 MiB, and of the whole archive (every entry's
   * uncompressed bytes over the archive's own size, once it holds more than 1 MiB uncompressed).
   */
  readonly maxRatio: number
  /** Most entries read from one archive. */
  readonly maxEntries: number
  /** Largest nested archive kept in memory, bytes. */
  readonly maxNestedBytes: number
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntryBytes: 64 * 1024 ** 3,
  // About ten minutes of reading at 100 MB/s: the most one upload should cost.
  maxTotalBytes: 64 * 1024 ** 3,
  maxRatio: 1000,
  maxEntries: 100_000,
  maxNestedBytes: 512 * 1024 ** 2,
}

/** Archives up to this size are read into memory whole instead of by random access to the file. */
export const ZIP_IN_MEMORY = 64 * 1024 ** 2

/** An archive entry that was not read, and why. */
export type EntryProblem = {path: string; reason: string}

export type ZipEntrySource = InputSource & {readonly compressedSize: number}

const ZIP_OPTIONS = {lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true} as const

export function openZip(file: string | Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, zf?: yauzl.ZipFile) => (err || !zf ? reject(err ?? new Error('no zip')) : resolve(zf))
    if (typeof file === 'string') zip().open(file, ZIP_OPTIONS, done)
    else zip().fromBuffer(file, ZIP_OPTIONS, done)
  })
}

/** Entry names are display strings only: never used as file-system paths. Control characters removed. */
function entryName(entry: yauzl.Entry): string {
  const raw = zip().getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false)
  // eslint-disable-next-line no-control-regex
  return raw.replace(/[\u0000-\u001f\u007f]/g, '?')
}

/**
 * Walks the entries of an open zip in order, yielding readable entry sources and problems
 * (encrypted, too large, bomb-like ratio, too many entries). Entries are streamed, never extracted.
 */
export async function* zipEntries(
  zf: yauzl.ZipFile,
  archivePath: string,
  limits: ArchiveLimits,
): AsyncGenerator<{source: ZipEntrySource} | {problem: EntryProblem}> {
  let total = 0
  try {
    // Read the directory first: entries are then opened small first (a netsh range or an event export
    // is known before the big loops), by name, whatever order the archive stores them in.
    let entries: {entry: yauzl.Entry; name: string}[] = []
    let tooMany = false
    for (;;) {
      const entry = await nextEntry(zf)
      if (!entry) break
      const name = entryName(entry)
      if (name.endsWith('/')) continue
      // Directory records are cheap: read up to 10× the limit so which entries are kept does not
      // depend on their order in the archive.
      if (entries.length >= limits.maxEntries * 10) {
        tooMany = true
        break
      }
      entries.push({entry, name})
    }
    // Same name twice: order by content (size, CRC) so the archive's own order never changes results.
    const byContent = (a: yauzl.Entry, b: yauzl.Entry) => a.uncompressedSize - b.uncompressedSize || a.crc32 - b.crc32 || a.compressedSize - b.compressedSize
    entries.sort(
      (a, b) =>
        smallFirst(a.entry.uncompressedSize, b.entry.uncompressedSize) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || byContent(a.entry, b.entry),
    )
    if (entries.length > limits.maxEntries) {
      entries = entries.slice(0, limits.maxEntries)
      tooMany = true
    }
    const overlapping = overlaps(entries.map((e) => e.entry))
    if (overlapping.size > 0) {
      const first = entries.find((e) => overlapping.has(e.entry))!.name
      entries = entries.filter((e) => !overlapping.has(e.entry))
      const what = `${overlapping.size} entr${overlapping.size === 1 ? 'y' : 'ies'} (${first} first)`
      yield {problem: {path: archivePath, reason: `${what} share or overlap another entry's data, as a crafted zip does; not read`}}
    }
    // The whole archive is held to the ratio limit too: many small entries escape the per-entry check.
    const declared = entries.reduce((sum, e) => sum + e.entry.uncompressedSize, 0)
    if (declared > 1024 ** 2 && declared / Math.max(1, zf.fileSize) > limits.maxRatio) {
      const ratio = Math.round(declared / Math.max(1, zf.fileSize))
      yield {problem: {path: archivePath, reason: `entries total ${declared} bytes uncompressed, ${ratio}:1 to the archive (over ${limits.maxRatio}:1): looks like a zip bomb; not read`}}
      return
    }
    // Repeated names get `#2`, `#3`… so every input has its own display path.
    const seen = new Map<string, number>()
    for (const e of entries) {
      const n = (seen.get(e.name) ?? 0) + 1
      seen.set(e.name, n)
      if (n > 1) e.name = `${e.name}#${n}`
    }
    if (tooMany) yield {problem: {path: archivePath, reason: `more than ${limits.maxEntries} entries; the rest were not read`}}
    for (const {entry, name} of entries) {
      const path = `${archivePath}!${name}`
      if ((entry.generalPurposeBitFlag & 1) !== 0) {
        yield {problem: {path, reason: 'entry is encrypted; extract it with the password and pass the file'}}
        continue
      }
      const size = entry.uncompressedSize
      if (size > limits.maxEntryBytes) {
        yield {problem: {path, reason: `entry is ${size} bytes uncompressed, over the ${limits.maxEntryBytes}-byte limit`}}
        continue
      }
      if (size > 1024 ** 2 && entry.compressedSize > 0 && size / entry.compressedSize > limits.maxRatio) {
        yield {problem: {path, reason: `compression ratio ${Math.round(size / entry.compressedSize)}:1 looks like a zip bomb; not read`}}
        continue
      }
      if (total + size > limits.maxTotalBytes) {
        yield {problem: {path, reason: `archive total over the ${limits.maxTotalBytes}-byte limit; not read`}}
        continue
      }
      total += size
      const stream = await openEntry(zf, entry).catch((error: Error) => error)
      if (stream instanceof Error) {
        yield {problem: {path, reason: stream.message}}
        continue
      }
      let opened = false
      yield {
        source: {
          path,
          size,
          compressedSize: entry.compressedSize,
          file: null,
          open: () => {
            if (opened) throw new Error(`${path}: entry opened twice`)
            opened = true
            return stream
          },
        },
      }
      // The consumer must read or destroy the stream before asking for the next entry.
      if (!opened) stream.destroy()
    }
  } finally {
    zf.close()
  }
}

/** Local header bytes before an entry's data: a fixed part of 30 bytes, then name and extra field. */
const LOCAL_HEADER_MIN = 30

/**
 * Entries whose local data starts inside an earlier entry's (the same offset included): a crafted zip
 * makes thousands of directory entries point at one compressed stream. The first of each run is kept.
 */
function overlaps(entries: readonly yauzl.Entry[]): Set<yauzl.Entry> {
  const byOffset = [...entries].sort((a, b) => a.relativeOffsetOfLocalHeader - b.relativeOffsetOfLocalHeader)
  const out = new Set<yauzl.Entry>()
  let end = -1
  for (const e of byOffset) {
    if (e.relativeOffsetOfLocalHeader < end) out.add(e)
    else end = e.relativeOffsetOfLocalHeader + LOCAL_HEADER_MIN + e.fileNameLength + e.compressedSize
  }
  return out
}

function nextEntry(zf: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const onEntry = (e: yauzl.Entry) => (cleanup(), resolve(e))
    const onEnd = () => (cleanup(), resolve(null))
    const onError = (err: Error) => (cleanup(), reject(err))
    const cleanup = () => {
      zf.off('entry', onEntry)
      zf.off('end', onEnd)
      zf.off('error', onError)
    }
    zf.on('entry', onEntry)
    zf.on('end', onEnd)
    zf.on('error', onError)
    zf.readEntry()
  })
}

function openEntry(zf: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zf.openReadStream(entry, (err, stream) => (err || !stream ? reject(err ?? new Error('cannot open entry')) : resolve(stream)))
  })
}

/** Inputs up to this size are read before larger ones. */
export const SMALL_INPUT = 64 * 1024
export const smallFirst = (a: number | null, b: number | null) => Number((a ?? Infinity) > SMALL_INPUT) - Number((b ?? Infinity) > SMALL_INPUT)

export const isZip = (head: Buffer) => head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04
export const isEmptyZip = (head: Buffer) => head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x05 && head[3] === 0x06
export const isGzip = (head: Buffer) => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b

/** A POSIX (ustar) or GNU tar header: `ustar` at byte 257 of the first 512-byte block. */
export const isTar = (head: Buffer) => head.length >= 512 && head.toString('latin1', 257, 262) === 'ustar'

/**
 * Walks the entries of a tar stream in archive order (a tar has no directory to sort by), yielding file
 * entries as sources and everything else that is not a folder (links, devices, FIFOs) and every limit hit
 * as problems. Each entry streams through once; the consumer must read or destroy it before the next.
 * Compression is outside: a `.tar.gz` reaches here already gunzipped and held to the ratio limit.
 */
export async function* tarEntries(
  input: Readable,
  archivePath: string,
  limits: ArchiveLimits,
): AsyncGenerator<{source: InputSource} | {problem: EntryProblem}> {
  const extract = tar().extract()
  input.on('error', (error) => extract.destroy(error))
  input.pipe(extract as unknown as NodeJS.WritableStream)
  let total = 0
  let count = 0
  const seen = new Map<string, number>()
  try {
    for await (const entry of extract) {
      const h = entry.header
      const ended = new Promise<void>((resolve) => {
        entry.once('end', resolve)
        entry.once('close', resolve)
        entry.once('error', () => resolve())
      })
      const skip = async (problem: EntryProblem | null) => {
        entry.resume()
        await ended
        return problem
      }
      // eslint-disable-next-line no-control-regex
      let name = h.name.replace(/[\u0000-\u001f\u007f]/g, '?')
      if (h.type === 'directory') {
        await skip(null)
        continue
      }
      const n = (seen.get(name) ?? 0) + 1
      seen.set(name, n)
      if (n > 1) name = `${name}#${n}`
      const path = `${archivePath}!${name}`
      let problem: EntryProblem | null = null
      if (h.type !== 'file' && h.type !== 'contiguous-file') problem = {path, reason: `tar entry is a ${h.type.replace('-', ' ')}; not read`}
      else if (++count > limits.maxEntries) {
        await skip(null)
        yield {problem: {path: archivePath, reason: `more than ${limits.maxEntries} entries; the rest were not read`}}
        return
      } else if (h.size > limits.maxEntryBytes) problem = {path, reason: `entry is ${h.size} bytes uncompressed, over the ${limits.maxEntryBytes}-byte limit`}
      else if (total + h.size > limits.maxTotalBytes) problem = {path, reason: `archive total over the ${limits.maxTotalBytes}-byte limit; not read`}
      if (problem) {
        yield {problem: (await skip(problem))!}
        continue
      }
      total += h.size
      // The entry flows through a Node stream the consumer may destroy early; the rest of the entry then
      // flows away unread so the archive goes on to the next entry.
      const out = new PassThrough()
      entry.on('data', (chunk: unknown) => {
        if (out.destroyed) return
        if (!out.write(chunk as Buffer)) {
          entry.pause()
          out.once('drain', () => entry.resume())
        }
      })
      entry.once('end', () => out.destroyed || out.end())
      out.once('close', () => entry.resume())
      // An archive that ends inside an entry closes the entry without an end: the reader gets an error.
      const cut = () => out.writableEnded || out.destroy(new Error('the tar archive ends inside this entry (truncated upload?)'))
      entry.once('close', cut)
      extract.once('close', cut)
      // The reader sees the error through its iterator; after it stopped reading, nobody needs to.
      out.on('error', () => {})
      let opened = false
      yield {
        source: {
          path,
          size: h.size,
          file: null,
          open: () => {
            if (opened) throw new Error(`${path}: entry opened twice`)
            opened = true
            return out
          },
        },
      }
      if (!opened) out.destroy()
      await ended
    }
  } finally {
    input.unpipe()
    input.destroy()
    extract.destroy()
  }
}
