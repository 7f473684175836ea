import {closeSync, existsSync, openSync, readSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import type {CaseBuilder} from '../model/case-builder.js'
import type {QuadRemap} from '../model/packed-quads.js'
import type {SummaryBlock} from '../model/summary-store.js'
import {SummarySink} from '../model/summary.js'
import type {InputSummary} from '../model/types.js'
import {parseStamp, resolutionNotes, StampResolver} from '../formats/shared/timestamps.js'
import type {DateOrder, FormatId} from '../formats/types.js'
import {keepLandmarks, type Landmark} from './landmarks.js'
import {MODULE_ROOT} from '../module-root.js'
import type {WorkerBatch, WorkerResult, WorkerTask} from './parallel-worker.js'

// From src/ (tests through tsx) these files do not exist: loops are read in one thread there.
const WORKER = new URL('input/parallel-worker.js', MODULE_ROOT)

export {parallelMinBytes} from './hash-thread.js'

/** TIME_WAIT lasts at most 300 s (TcpTimedWaitDelay): attribution carried from earlier snapshots reaches that far back. */
const PRIME_SECONDS = 330
/**
 * How far before a cut the planner looks for the prime's start: a few snapshots first, then further, then far
 * enough for the snapshots of a very busy server (100,000 rows, about 10 MB, a minute) (tests change it).
 */
export const PLAN_WINDOWS = [8 << 20, 32 << 20, 128 << 20]
/** How far after a cut the planner looks for the first stamp there: 8 MiB, or a quarter of the window looked back (tests lower `min`). */
export const PLAN_AFTER = {min: 8 << 20}
const afterFor = (window: number) => Math.max(PLAN_AFTER.min, window / 4)

/**
 * Around byte `at`: the first stamp line at or after it (the cut), and a stamp line at least
 * PRIME_SECONDS earlier (where the worker starts priming), both as byte offsets. Null when the window
 * before the cut does not reach that far back, so the split would not give the same results.
 */
function cutAt(fd: number, at: number, size: number, dateOrder: DateOrder | undefined, wide: boolean): [number, number] | null {
  for (const window of PLAN_WINDOWS) {
    const cut = cutWithin(fd, at, size, dateOrder, window, wide)
    if (cut || at <= window) return cut
  }
  return null
}

/**
 * {@link cutAt} looking back at most `window` bytes (and on at most `afterFor(window)`). `wide`: the file is UTF-16LE, read
 * in code units at even offsets (a line ends at an LF unit, `0A 00`).
 */
function cutWithin(fd: number, at: number, size: number, dateOrder: DateOrder | undefined, window: number, wide: boolean): [number, number] | null {
  const unit = wide ? 2 : 1
  const start = Math.max(0, at - window)
  // Arithmetic, not a bit mask: offsets pass 2 GiB (a mask would wrap them to negative int32).
  const from = start - (start % unit)
  const limit = Math.min(size, at + afterFor(window))
  // Read in pieces into one small buffer: touching fresh memory costs more than reading the bytes.
  const buf = planBuffer()
  let base = from
  let n = readSync(fd, buf, 0, Math.min(buf.length, limit - base), base)
  const offsets: number[] = []
  const resolver = new StampResolver()
  let s = 0
  // The first line is cut by the window (unless it starts the file); a line longer than a piece is no stamp.
  let skip = from !== 0
  for (;;) {
    const nl = lineEnd(buf, s, n, wide)
    if (nl === -1) {
      if (base + n >= limit) return null
      // Read on from the line's start, or past this piece when the line fills it.
      if (s === 0) skip = true
      base += s === 0 ? n - (n % unit) : s
      n = readSync(fd, buf, 0, Math.min(buf.length, limit - base), base)
      s = 0
      continue
    }
    // Connection rows are nearly every line: skip them on their first bytes, before any string is made.
    const p = !skip && nl - s >= 8 * unit && !isRow(buf, s, nl, unit) ? stampOf(buf.toString(wide ? 'utf16le' : 'latin1', s, nl).trim()) : null
    if (p) {
      offsets.push(base + s)
      resolver.add(p)
      if (base + s >= at) break
    }
    skip = false
    s = nl + unit
  }
  if (offsets.length < 2) return null
  // The window alone may not decide the day/month order the whole file gets: unless it is forced, the
  // prime must span PRIME_SECONDS under both orders (they differ only across a change of date).
  const orders: DateOrder[] = dateOrder ? [dateOrder] : ['dmy', 'mdy']
  const series = orders.map((order) => resolver.resolve(order).times)
  const spans = (i: number) =>
    series.every((times) => {
      const cut = times.at(-1)
      const t = times[i]
      return cut != null && t != null && cut - t >= PRIME_SECONDS * 1000
    })
  for (let i = offsets.length - 2; i >= 0; i--) if (spans(i)) return [offsets[i]!, offsets.at(-1)!]
  return null
}

/** Where the line starting at `s` ends (its LF; in UTF-16LE an LF unit at an even offset) before byte `n`, or -1. */
function lineEnd(buf: Buffer, s: number, n: number, wide: boolean): number {
  for (let i = buf.indexOf(10, s); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) if (!wide || (i % 2 === 0 && i + 1 < n && buf[i + 1] === 0)) return i
  return -1
}

/** The size of the pieces the planner reads (tests lower it; a line longer than one is taken for no stamp). */
export const PLAN_PIECE = {bytes: 1 << 20}
let planBytes: Buffer | null = null
/** The planner's read buffer, kept. */
const planBuffer = () => (planBytes?.length === PLAN_PIECE.bytes ? planBytes : (planBytes = Buffer.allocUnsafe(PLAN_PIECE.bytes)))

/** A `TCP`/`UDP` row (after leading blanks), in code units of `unit` bytes (UTF-16LE: the high bytes are 0). */
function isRow(buf: Buffer, s: number, e: number, unit: number): boolean {
  let i = s
  while (i < e && (buf[i] === 32 || buf[i] === 9) && (unit === 1 || buf[i + 1] === 0)) i += unit
  if (i + 3 * unit >= e) return false
  // No closure per line: this runs on every line of the window (its allocations fault in fresh pages).
  if (unit === 2 && (buf[i + 1] !== 0 || buf[i + 3] !== 0 || buf[i + 5] !== 0 || buf[i + 7] !== 0)) return false
  const c = buf[i]
  const d = buf[i + unit]
  const sep = buf[i + 3 * unit]
  return (c === 84 || c === 85) && (d === 67 || d === 68) && buf[i + 2 * unit] === 80 && (sep === 32 || sep === 9)
}

const stampOf = (line: string) => (line.length >= 8 && line.length <= 80 ? parseStamp(line) : null)

/**
 * Plans the split of a netstat loop at snapshot boundaries, one range per core: each worker first
 * reads the snapshots of the PRIME_SECONDS before its range (TIME_WAIT lineage and carried owners),
 * then drops them. Null when the file cannot be split so (no stamps, sparse sampling, one core).
 */
export function planSplit(
  file: string,
  size: number,
  bomLength: number,
  o: {
    dateOrder: DateOrder | undefined
    maxLine: number
    ranges: CaseBuilder['trackedRanges']
    workers?: number
    aggregate?: boolean
    /** `utf-8` (the default) or `utf-16le`. */
    encoding?: string
  },
): WorkerTask[] | null {
  const encoding = o.encoding ?? 'utf-8'
  const n = workerCount(o.workers)
  if (n < 2) return null
  const fd = openSync(file, 'r')
  const cuts: [number, number][] = []
  try {
    for (let k = 1; k < n; k++) {
      const two = cutAt(fd, Math.floor((size * k) / n), size, o.dateOrder, encoding === 'utf-16le')
      if (!two || (cuts.length > 0 && two[1] <= cuts.at(-1)![1])) return null
      cuts.push(two)
    }
  } finally {
    closeSync(fd)
  }
  const tasks: WorkerTask[] = []
  let start = bomLength
  let prime = bomLength
  for (const [p, b] of [...cuts, [size, size] as [number, number]]) {
    tasks.push({file, primeStart: prime, start, end: b, ranges: o.ranges, dateOrder: o.dateOrder, maxLine: o.maxLine, aggregate: o.aggregate ?? true, encoding})
    prime = p
    start = b
  }
  // A worker that reads more to prime its range than the range itself (few, large snapshots) saves nothing.
  if ((o.aggregate ?? true) && tasks.some((t) => t.start - t.primeStart > t.end - t.start)) return null
  return tasks
}

/** False when running from TypeScript sources (tests): there is no compiled worker module to start. */
export const workersAvailable = () => existsSync(fileURLToPath(WORKER))

/** How many worker threads a split uses: one per core, at most 8 (fewer than 2: the file is read by this thread). */
export const workerCount = (workers?: number) => Math.min(workers ?? availableParallelism(), 8)

/**
 * A worker's resource limits: its live heap is small (one snapshot of tuples); a low ceiling makes V8 collect
 * early. A worker that still runs out (ingest.ts) leaves the file to one thread. `PORTLEAK_WORKER_HEAP_MB`
 * lowers the ceiling, for tests.
 */
const workerLimits = () => ({maxOldGenerationSizeMb: Number(process.env.PORTLEAK_WORKER_HEAP_MB ?? 48), maxYoungGenerationSizeMb: 4})

/**
 * Worker threads started before their tasks are planned: a worker's start-up (its module graph) overlaps
 * this thread's detection and planning. Each waits for its task (`runWorkers`); `release` ends the ones
 * never given one.
 */
export class WorkerCrew {
  /** Set to 1 to stop the workers at their next chunk (Ctrl-C, SIGTERM, `--max-seconds`). */
  readonly stop = new Int32Array(new SharedArrayBuffer(4))
  private readonly workers: {worker: Worker; result: Promise<WorkerResult>}[] = []
  private given = 0

  constructor(n: number) {
    for (let k = 0; k < n; k++) this.workers.push(this.start(undefined))
  }

  /** Hands `task` to a waiting worker (a new one when none is left); its result. */
  run(task: WorkerTask): Promise<WorkerResult> {
    const w = this.workers[this.given++]
    if (w === undefined) return this.start(task).result
    w.worker.postMessage(task)
    return w.result
  }

  /** Ends the workers never given a task. */
  release(): void {
    for (const w of this.workers.slice(this.given)) void w.worker.terminate()
    this.given = this.workers.length
  }

  private start(task: WorkerTask | undefined): {worker: Worker; result: Promise<WorkerResult>} {
    const worker = new Worker(WORKER, {workerData: {task, stop: this.stop}, resourceLimits: workerLimits()})
    const result = new Promise<WorkerResult>((resolve, reject) => {
      // Summaries come in blocks while the worker reads, in order; the result last, with the rest.
      const sent: SummaryBlock[] = []
      worker.on('message', (m: WorkerBatch | WorkerResult) => {
        if ('kind' in m) {
          sent.push(m.block)
          return
        }
        m.summaries.unshift(...sent)
        resolve(m)
      })
      worker.once('error', reject)
      worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with code ${code}`)))
    })
    // A worker released before its task exits non-zero: nobody waits for that result.
    result.catch(() => {})
    return {worker, result}
  }
}

/**
 * Parses the planned ranges in worker threads (the crew's, when started early). When `signal` aborts
 * (Ctrl-C, SIGTERM, `--max-seconds`), the workers stop at their next chunk and send what they read (`stopped`).
 * `onFirstDone` runs when the first worker is done (a core is free from then on).
 */
export async function runWorkers(
  tasks: readonly WorkerTask[],
  signal?: AbortSignal,
  crew: WorkerCrew = new WorkerCrew(0),
  onFirstDone?: () => void,
): Promise<WorkerResult[]> {
  const stop = crew.stop
  const onAbort = () => Atomics.store(stop, 0, 1)
  if (signal?.aborted) onAbort()
  signal?.addEventListener('abort', onAbort, {once: true})
  try {
    const results = tasks.map((task) => crew.run(task))
    crew.release()
    if (onFirstDone) void Promise.race(results).then(onFirstDone, onFirstDone)
    return await Promise.all(results)
  } catch (error) {
    // One worker failed: the others stop at their next chunk (what they read is not wanted).
    onAbort()
    throw error
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * Folds the workers' results into the case as if one thread had read the file: slot and address ids
 * remapped, line numbers shifted, all stamps resolved together. Returns the input's summary (all there
 * is to do without a case: `inspect` only counts).
 */
export function absorbWorkers(
  c: CaseBuilder | null,
  input: {path: string; format: FormatId; index: number},
  results: WorkerResult[],
  io: {encoding: string; bytes: number; sha256: string},
  dateOrder: DateOrder | undefined,
): InputSummary {
  // A run stopped early read part of the file: its line counts past the stop are not the file's.
  if (!results.some((r) => r.stopped)) keepWorkerLandmarks(results, io)
  if (c === null) {
    const stamps = new StampResolver()
    for (const r of results) for (const s of r.snapshots.stamps) stamps.add(s === null ? null : parseStamp(s))
    return mergeSummaries(results, input, io, stamps.resolve(dateOrder), results.reduce((a, r) => a + r.lines, 0))
  }
  const agg = c.agg
  const stamps = new StampResolver()
  const added: CaseBuilder['snapshots'] = []
  let offset = 0
  let index = 0
  for (const r of results) {
    const slotMap = Int32Array.from(r.slotPid, (pid, s) => agg.slot(pid, r.processes[r.slotName[s]!] ?? null))
    // The store takes the worker's blocks over as they are; the packed quads are renumbered as they are unpacked.
    const remap: QuadRemap = {slots: slotMap, lineOffset: offset}
    // Endpoint ids are given out in the order summaries first name them, as one thread would.
    const endpointMap = new Int32Array(r.endpoints.length).fill(-1)
    const endpoint = (e: number) => (endpointMap[e]! < 0 ? (endpointMap[e] = agg.endpoints.id(r.endpoints[e]!)) : endpointMap[e]!)
    const first = c.summaries.size
    for (const b of r.summaries) c.summaries.absorb(b, remap, endpoint)
    // Their record words were copied and their arrays are the store's now: the blocks themselves can go.
    r.summaries.length = 0
    const {lines, stamps: stampOf, truncated} = r.snapshots
    if (c.summaries.size - first !== lines.length) throw new Error(`a worker sent ${c.summaries.size - first} summaries for ${lines.length} snapshots`)
    for (let k = 0; k < lines.length; k++) {
      const stamp = stampOf[k]!
      const snap = {input: input.index, index: index++, line: lines[k]! + offset, stamp, time: null, truncated: truncated[k]!, summary: first + k}
      added.push(snap)
      c.snapshots.push(snap)
      stamps.add(stamp === null ? null : parseStamp(stamp))
    }
    offset += r.lines
  }
  const resolved = stamps.resolve(dateOrder)
  added.forEach((s, i) => (s.time = resolved.times[i] ?? null))
  return mergeSummaries(results, input, io, resolved, offset)
}

/**
 * The workers' landmarks with lines counted from the file's start, kept for quoting (src/input/landmarks.ts).
 * Without a digest yet (`sha256` empty) nothing is kept: call again once the digest is known.
 */
export function keepWorkerLandmarks(results: WorkerResult[], io: {bytes: number; sha256: string}): void {
  const marks: Landmark[] = []
  let offset = 0
  for (const r of results) {
    for (const m of r.landmarks) marks.push({...m, line: m.line + offset})
    offset += r.lines
  }
  keepLandmarks(io.sha256, io.bytes, marks)
}

function mergeSummaries(
  results: WorkerResult[],
  input: {path: string; format: FormatId},
  io: {encoding: string; bytes: number; sha256: string},
  resolved: ReturnType<StampResolver['resolve']>,
  lines: number,
): InputSummary {
  const sink = new SummarySink(input.path, input.format)
  let offset = 0
  for (const r of results) {
    sink.absorb(r.summary, offset)
    offset += r.lines
  }
  sink.snapshotTimes(resolved.times, resolved.order)
  if (resolved.order && resolved.source) sink.note('dateOrderSource', resolved.source)
  const flags = results.map((r) => r.summary.notes.view ?? '').join('')
  sink.note('view', `netstat -an${flags.includes('o') ? 'o' : ''}${/-ano?b/.test(flags) ? 'b' : ''}${flags.includes('q') ? 'q' : ''}`)
  const switches = results.map((r) => r.summary.notes.encodingSwitches).filter((n) => n !== undefined)
  if (switches.length > 0) sink.note('encodingSwitches', switches.join(', '))
  for (const [key, value] of Object.entries(resolutionNotes(resolved))) sink.note(key, value)
  return sink.summary({...io, lines})
}
