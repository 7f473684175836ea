import {existsSync, statSync, type Stats} from 'node:fs'
import {availableParallelism} from 'node:os'
import {resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import {MODULE_ROOT} from '../module-root.js'
import type {HashResult, HashTask} from './hash-worker.js'

// From src/ (tests through tsx) this file does not exist: there a loop's digest is computed as it is read.
const HASH_WORKER = new URL('input/hash-worker.js', MODULE_ROOT)

/** The hash worker holds one 1 MiB read buffer (outside the heap) and a digest. */
const HASH_LIMITS = {maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2}

/** A file's SHA-256 computed in a thread of its own (src/input/hash-worker.ts). */
export type Hasher = {
  /** Hashing may go on (it starts, or resumes after `pause`). */
  go(): void
  /** Hashing waits after the chunk it is on until `go` (the digest is the same, only later). */
  pause(): void
  /** Hashing stops (or never starts): the digest is then of the bytes read so far. */
  cancel(): void
  result: Promise<HashResult>
}

/**
 * The SHA-256 of a whole file, computed in a thread of its own once `go` is called: the thread starts now
 * and waits. The thread that `hashEarly` started for this same file is taken over instead, still hashing:
 * call `pause` to hold it.
 */
export function hashInWorker(file: string): Hasher {
  return takeEarly(file) ?? startHasher(file, false)
}

function startHasher(file: string, running: boolean): Hasher & {worker: Worker} {
  const task: HashTask = {file, go: new Int32Array(new SharedArrayBuffer(4)), stop: new Int32Array(new SharedArrayBuffer(4))}
  const set = (v: number) => {
    Atomics.store(task.go, 0, v)
    Atomics.notify(task.go, 0)
  }
  if (running) set(1)
  const worker = new Worker(HASH_WORKER, {workerData: task, resourceLimits: HASH_LIMITS})
  const result = new Promise<HashResult>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', (code) => code !== 0 && reject(new Error(`hashing stopped (exit code ${code})`)))
  })
  return {
    worker,
    go: () => set(1),
    pause: () => {
      // Once stopped it stays stopped: a hold then would leave the thread waiting for good.
      if (Atomics.load(task.stop, 0) === 0) set(0)
    },
    cancel: () => {
      Atomics.store(task.stop, 0, 1)
      set(1)
    },
    result,
  }
}

/**
 * Files at least this large are split across worker threads (`PORTLEAK_PARALLEL_MIN` overrides, for tests),
 * and hashed early: a smaller one is read by one thread, which hashes it as it reads.
 */
export const parallelMinBytes = () => Number(process.env.PORTLEAK_PARALLEL_MIN ?? 64 * 1024 * 1024)

/** Commands that read their arguments as inputs (the others never take an early digest). */
const READERS = new Set(['analyze', 'inspect', 'report', 'export', 'timeline'])

type Early = {path: string; stats: Stats; hasher: Hasher & {worker: Worker}}

// One registry per process: bin/run.js and the commands may load this module as two copies (bundling).
const REGISTRY = Symbol.for('portleak.earlyDigest')
const registry = globalThis as typeof globalThis & {[REGISTRY]?: Early | null}

/**
 * Starts hashing the largest file named on the command line (`argv`: the arguments after `node run.js`) now,
 * before the CLI framework loads: start-up (oclif, detection, the split's planning) takes about 0.13 s of one
 * core and leaves the other idle, and that is a fifth to a third of a large loop's digest. Only for a command
 * that reads inputs, a regular file large enough to be split across workers (`parallelMinBytes`) and a
 * machine with two cores or more; the thread does not keep the process alive. The input's reader takes it
 * over (`hashInWorker`) or stops it (`dropEarly`), and it is stopped when the inputs are read (`dropEarly()`).
 * Never throws: a digest that cannot start early starts later.
 */
export function hashEarly(argv: readonly string[]): void {
  try {
    if (registry[REGISTRY] || !READERS.has(argv[0] ?? '')) return
    if (process.env.PORTLEAK_THREADS === '1' || availableParallelism() < 2 || !existsSync(fileURLToPath(HASH_WORKER))) return
    let best: {path: string; stats: Stats} | null = null
    for (const arg of argv.slice(1)) {
      if (arg.startsWith('-')) continue
      const stats = statSync(arg, {throwIfNoEntry: false})
      if (stats?.isFile() && stats.size >= parallelMinBytes() && (best === null || stats.size > best.stats.size)) best = {path: resolve(arg), stats}
    }
    if (best === null) return
    const hasher = startHasher(best.path, true)
    hasher.worker.unref()
    // A failure shows when the digest is awaited; one never taken over is never awaited.
    hasher.result.catch(() => {})
    registry[REGISTRY] = {...best, hasher}
  } catch {
    // The digest is computed later, as it would have been.
  }
}

/** The early digest of `file` when it is that file still (same inode, size and time), now the caller's. */
function takeEarly(file: string): Hasher | null {
  const early = registry[REGISTRY]
  if (!early) return null
  if (early.path !== resolve(file)) return null
  registry[REGISTRY] = null
  const now = statSync(file, {throwIfNoEntry: false})
  const same = now !== undefined && now.ino === early.stats.ino && now.dev === early.stats.dev && now.size === early.stats.size && now.mtimeMs === early.stats.mtimeMs
  if (!same) {
    early.hasher.cancel()
    return null
  }
  // Its result is awaited now: the thread keeps the process alive until it is done.
  early.hasher.worker.ref()
  return early.hasher
}

/** Stops the early digest: of `file` (it is read another way), or whatever it is of when no file is named. */
export function dropEarly(file?: string | null): void {
  const early = registry[REGISTRY]
  if (!early || (file !== undefined && (file === null || early.path !== resolve(file)))) return
  registry[REGISTRY] = null
  early.hasher.cancel()
}
