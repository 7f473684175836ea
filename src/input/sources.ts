import {createReadStream} from 'node:fs'
import {readdir, stat} from 'node:fs/promises'
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
}

const STDIN = '-'

/**
 * Expands the command-line inputs: files as they are, directories recursively (sorted, links to
 * directories not followed), `-` for stdin. Sources are sorted by path so that the order files are
 * named in does not change results. Throws a usage error for a path that does not exist.
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
    else out.push(fileSource(arg, info.size))
  }
  const seen = new Set<string>()
  return out
    .filter((s) => (seen.has(s.path) ? false : (seen.add(s.path), true)))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

function fileSource(path: string, size: number): InputSource {
  return {path, size, file: path, open: () => createReadStream(path, {highWaterMark: 256 * 1024})}
}

async function walk(dir: string, out: InputSource[]): Promise<void> {
  let entries
  try {
    entries = await readdir(dir, {withFileTypes: true})
  } catch (error) {
    throw fsError(dir, error)
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const e of entries) {
    const path = join(dir, e.name)
    if (e.isDirectory()) await walk(path, out)
    else if (e.isFile()) out.push(fileSource(path, (await stat(path)).size))
    else if (e.isSymbolicLink()) {
      const info = await stat(path).catch(() => null)
      if (info?.isFile()) out.push(fileSource(path, info.size))
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
