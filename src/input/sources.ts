import {constants, createReadStream, openSync} from 'node:fs'
import {lstat, readdir, stat} from 'node:fs/promises'
import {Socket} from 'node:net'
import {join} from 'node:path'
import type {Readable} from 'node:stream'

import {PortleakError} from '../errors.js'

/** One input before its content is looked at: a file, stdin, or an archive entry. */
export type InputSource = {
  /** Display path: as given, directories joined, archive entries as `upload.zip!logs/netstat.txt`. */
  readonly path: string
  /** Bytes on disk when known (files). */
  readonly size: number | null
  /** A file on disk that can be opened for random access (zip central directory). */
  readonly file: string | null
  open(): Readable
  /** Why this entry of a directory is not read (a FIFO, a link loop…): it is listed with this reason. */
  readonly skipped?: string
}

const STDIN = '-'

/**
 * Expands the command-line inputs: files as they are, directories recursively (sorted, links to
 * directories not followed), `-` for stdin. Sources come in the order given (a directory's contents
 * sorted within it), a path named twice once; `ingest` reads them in path order, so that the order
 * files are named in does not change results. Throws a usage error for a path that does not exist.
 */
export async function listSources(args: readonly string[], stdin: () => Readable = () => process.stdin): Promise<InputSource[]> {
  const out: InputSource[] = []
  for (const arg of args) {
    if (arg === STDIN) {
      out.push({path: '<stdin>', size: null, file: null, open: stdin})
      continue
    }
    let info
    try {
      info = await stat(arg)
    } catch (error) {
      throw fsError(arg, error)
    }
    if (info.isDirectory()) await walk(arg, out)
    else if (info.isFIFO()) out.push(fifoSource(arg))
    else out.push(fileSource(arg, info.size))
  }
  const seen = new Set<string>()
  return out.filter((s) => (seen.has(s.path) ? false : (seen.add(s.path), true)))
}

/** Orders by path (code units, locale-independent). */
export const byPath = (a: {path: string}, b: {path: string}) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)

function fileSource(path: string, size: number): InputSource {
  return {path, size, file: path, open: () => createReadStream(path, {highWaterMark: 256 * 1024})}
}

/**
 * A FIFO named on the command line is read through a non-blocking descriptor: a blocking read would hold a
 * libuv thread until the writer writes or closes, so neither a deadline, Ctrl-C nor `--max-bytes` could end it.
 */
function fifoSource(path: string): InputSource {
  return {
    path,
    size: null,
    file: null,
    open: () => {
      let fd: number
      try {
        fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
      } catch (error) {
        throw fsError(path, error)
      }
      return new Socket({fd, readable: true, writable: false})
    },
  }
}

const skippedSource = (path: string, skipped: string): InputSource => ({
  path,
  size: null,
  file: null,
  skipped,
  open: () => {
    throw new Error(skipped)
  },
})

/** Why a directory entry that is neither a file nor a directory is not read, or null to read it. */
async function skipReason(path: string): Promise<string | null> {
  const link = await lstat(path).catch(() => null)
  if (link?.isSymbolicLink()) {
    const target = await stat(path).catch((error: NodeJS.ErrnoException) => error)
    if (target instanceof Error) {
      return target.code === 'ELOOP' ? 'symbolic link loop; not read' : `symbolic link to a missing file (${target.code ?? 'error'}); not read`
    }
    if (target.isDirectory()) return 'symbolic link to a directory; not followed'
    if (target.isFile()) return null
    return `symbolic link to a ${kind(target)}; not read (name it on the command line to read it)`
  }
  return link ? `${kind(link)}; not read (name it on the command line to read it)` : 'vanished while listed; not read'
}

const kind = (info: {isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean}) =>
  info.isFIFO() ? 'FIFO (named pipe)' : info.isSocket() ? 'socket' : info.isCharacterDevice() || info.isBlockDevice() ? 'device' : 'special file'

async function walk(dir: string, out: InputSource[]): Promise<void> {
  let entries
  try {
    entries = await readdir(dir, {withFileTypes: true})
  } catch (error) {
    throw fsError(dir, error)
  }
  entries.sort((a, b) => byPath({path: a.name}, {path: b.name}))
  for (const e of entries) {
    const path = join(dir, e.name)
    if (e.isDirectory()) await walk(path, out)
    else if (e.isFile()) out.push(fileSource(path, (await stat(path)).size))
    else {
      // FIFOs, sockets, devices and links that loop or dangle are listed as skipped, never read silently
      // (a FIFO would block) nor left out silently.
      const why = await skipReason(path)
      if (why === null) out.push(fileSource(path, (await stat(path)).size))
      else out.push(skippedSource(path, why))
    }
  }
}

export function fsError(path: string, error: unknown): PortleakError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new PortleakError(`${path}: no such file or directory`, 'ENOENT', ['Check the path.'])
  if (code === 'EACCES' || code === 'EPERM')
    return new PortleakError(`${path}: permission denied`, 'EACCES', ['Check the file permissions or copy the file somewhere readable.'])
  if (code === 'EISDIR') return new PortleakError(`${path}: is a directory`, 'EIO')
  return new PortleakError(`${path}: cannot read (${code ?? (error as Error).message})`, 'EIO')
}
