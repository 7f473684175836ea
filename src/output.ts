import {createWriteStream, existsSync, linkSync, renameSync, statSync, unlinkSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {finished} from 'node:stream/promises'

import {ExitCode, PortleakError} from './errors.js'

/**
 * Where results leave the process: standard output and output files. Both fail the same way (one
 * line naming the target, exit 1, never a stack trace); files appear only when complete (written under
 * a temporary name, renamed at the end); temporary files and spools go on every exit path.
 */

const cleanups = new Set<() => void>()

function runCleanups(): void {
  for (const fn of [...cleanups]) {
    try {
      fn()
    } catch {
      // best effort: the process is ending
    }
  }
  cleanups.clear()
}

/**
 * Runs `fn` when the process ends however it ends (normal end, error, `process.exit` after a second
 * Ctrl-C or SIGTERM); `fn` must be synchronous. Returns the function that unregisters it.
 */
export function onExit(fn: () => void): () => void {
  if (cleanups.size === 0 && !process.listeners('exit').includes(runCleanups)) process.on('exit', runCleanups)
  cleanups.add(fn)
  return () => void cleanups.delete(fn)
}

/** The one-line reason of a failed write, e.g. `ENOSPC (no space left on device)`. */
function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  const text = e.message?.replace(/^[A-Z]+: /, '').replace(/,\s*(write|open|rename|link).*$/s, '') ?? String(error)
  return e.code ? `${e.code} (${text})` : text
}

function writeFailure(target: string, error: unknown): PortleakError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EEXIST') return new PortleakError(`${target} exists; add --force to overwrite it`, 'EEXIST')
  if (code === 'EISDIR') return new PortleakError(`${target} is a directory; name a file`, 'EUSAGE')
  return new PortleakError(`cannot write ${target}: ${reason(error)}`, code === 'EACCES' || code === 'EPERM' ? 'EACCES' : 'EIO')
}

let stdoutFailed = false

/**
 * Writes `text` to standard output. A failed write (a full disk, a closed terminal) is reported once,
 * as one line on stderr, and the exit status becomes 1; when the reader of a pipe went away (`| head`)
 * there is nobody to tell, so only the status says so.
 */
export function writeStdout(text: string): void {
  process.stdout.write(text, 'utf8', (error) => {
    if (!error) return
    process.exitCode = ExitCode.Runtime
    if (stdoutFailed) return
    stdoutFailed = true
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EPIPE') process.stderr.write(` ›   Error: cannot write to standard output: ${reason(error)}\n`)
  })
}

/** A usage error when `path` is an existing directory where a file is wanted. */
export function refuseDirectory(path: string, hint: string): void {
  let dir = false
  try {
    dir = statSync(path).isDirectory()
  } catch {
    return
  }
  if (dir) throw new PortleakError(`${path} is a directory, not a file`, 'EUSAGE', [hint])
}

/**
 * Writes `chunks` to `path` under a temporary name in the same folder, then renames it into place,
 * so an interrupted run never leaves a partial file. Without `force` an existing file is an error
 * (checked atomically by a hard link where the file system has them).
 */
export async function writeFileAtomic(path: string, chunks: Iterable<string>, force: boolean): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`)
  const remove = () => {
    if (existsSync(tmp)) unlinkSync(tmp)
  }
  const unregister = onExit(remove)
  try {
    const out = createWriteStream(tmp, {encoding: 'utf8', flags: 'wx'})
    const failed = new Promise<never>((_, reject) => out.once('error', reject))
    failed.catch(() => undefined) // observed through the races below; avoids an unhandled rejection after the last one
    try {
      for (const chunk of chunks) {
        if (!out.write(chunk)) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed])
      }
      out.end()
      await Promise.race([finished(out), failed])
    } catch (error) {
      out.destroy()
      throw error
    }
    if (force) renameSync(tmp, path)
    else {
      try {
        linkSync(tmp, path)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw error
        if (existsSync(path)) throw Object.assign(new Error('exists'), {code: 'EEXIST'})
        renameSync(tmp, path)
      }
    }
  } catch (error) {
    throw writeFailure(path, error)
  } finally {
    try {
      remove()
    } finally {
      unregister()
    }
  }
}
