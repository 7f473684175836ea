import {closeSync, openSync, readSync} from 'node:fs'
import {parentPort, workerData} from 'node:worker_threads'

import {CaseBuilder} from '../model/case-builder.js'
import type {PortRange} from '../model/port-ranges.js'
import {blockBuffers, EMPTY_RECORD, type SummaryBlock} from '../model/summary-store.js'
import {SummarySink} from '../model/summary.js'
import type {InputSummary} from '../model/types.js'
import {netstatParser} from '../formats/netstat/index.js'
import type {DateOrder, LineParser} from '../formats/types.js'
import {ByteLineSplitter, lineDecoder} from './lines.js'
import {type Landmark, LandmarkNotes} from './landmarks.js'
import {Utf8Normalizer} from './normalize.js'

/** What the parent sends: one byte range of a netstat loop, and where the snapshots that prime it start. */
export type WorkerTask = {
  file: string
  /** A stamp line at least PRIME_SECONDS (parallel.ts: longer than TIME_WAIT lasts) before `start`. */
  primeStart: number
  start: number
  end: number
  ranges: PortRange[]
  dateOrder: DateOrder | undefined
  maxLine: number
  /** False for `inspect`: only counts and snapshot marks are wanted, no case aggregation (and no priming). */
  aggregate: boolean
  /** The file's encoding at the range's start (`utf-8` or `utf-16le`); switches inside are followed. */
  encoding: string
  /** Set to 1 by the parent to stop reading (Ctrl-C, SIGTERM, `--max-seconds`): what was read is kept. */
  stop?: Int32Array | undefined
}

/**
 * Sent while a worker reads: the summaries of its next closed snapshots, in order, as one block of arrays (moved,
 * not copied). A worker never holds a long loop's summaries, nor are they all serialized at once at the end.
 */
export type WorkerBatch = {kind: 'summaries'; block: SummaryBlock}

/** Closed snapshots a worker collects before it sends their summaries on. */
const BATCH = 64

/** What a worker sends back at the end: its snapshots (lines counted from its range's start) and interned names. */
export type WorkerResult = {
  lines: number
  /** Reading was stopped before the range's end (the parent asked). */
  stopped: boolean
  summary: InputSummary
  /** Per snapshot of the range, in order: its first line, stamp, and whether it was cut short. */
  snapshots: {lines: number[]; stamps: (string | null)[]; truncated: boolean[]}
  /**
   * The snapshots' summaries, in order, in blocks: the batches sent while reading (the parent puts them first),
   * then the rest.
   */
  summaries: SummaryBlock[]
  slotPid: Float64Array<ArrayBuffer>
  slotName: Int32Array<ArrayBuffer>
  processes: (string | null)[]
  /** Labels of the remote endpoints the snapshots' summaries name, by the worker's endpoint id. */
  endpoints: string[]
  /** Line starts (lines counted from the range's start, bytes from the file's) for quoting lines again. */
  landmarks: Landmark[]
}


function feed(
  task: WorkerTask,
  from: number,
  to: number,
  c: CaseBuilder,
  keepLineage: boolean,
  landmarks: Landmark[] | null = null,
): {summary: InputSummary; lines: number; stopped: boolean; sent: number} {
  const decode = lineDecoder('utf-8')
  const next = c.sinkFor(task.file, 'netstat', {keepLineage, marksOnly: !task.aggregate})
  const sink = new SummarySink(task.file, 'netstat', next)
  const lp = netstatParser.create(sink, {path: task.file, dateOrder: task.dateOrder, decodeBytes: decode, addressIds: task.aggregate ? next.addressIds : undefined})
  const splitter = new ByteLineSplitter(lp as LineParser & {lineBytes: NonNullable<LineParser['lineBytes']>}, sink, task.maxLine, decode)
  // As in one thread: bytes go through the UTF-8 normaliser, so a UTF-16 block appended by another loop is read.
  const normalizer = new Utf8Normalizer(task.encoding)
  const fd = openSync(task.file, 'r')
  // Read 256 KiB at a time: what the normaliser (UTF-16LE) and the splitter read next is still in the core's
  // cache. 1 MiB took 0.08 s more system time on the 0.5 GB UTF-16LE loop (see hash-worker.ts CHUNK).
  const buf = Buffer.allocUnsafe(1 << 18)
  let stopped = false
  // Until a switch, the normaliser's position maps what the splitter got back to the file (UTF-8 and UTF-16LE).
  const notes = landmarks === null ? null : new LandmarkNotes(splitter, from, task.encoding)
  // Only the range's own snapshots are sent on (the priming ones are dropped); the last one may still be open.
  const send = landmarks !== null && task.aggregate
  let sent = 0
  try {
    for (let pos = from; pos < to; ) {
      if (task.stop && Atomics.load(task.stop, 0) !== 0) {
        stopped = true
        break
      }
      const n = readSync(fd, buf, 0, Math.min(buf.length, to - pos), pos)
      if (n <= 0) break
      pos += n
      // Neither the normaliser nor the splitter keeps the buffer after push (the splitter copies its open line).
      const out = normalizer.push(buf.subarray(0, n))
      splitter.push(out)
      notes?.after(out, normalizer.position, normalizer.switches.length > 0)
      if (send && c.snapshots.length - 1 - sent >= BATCH) sent = sendSummaries(c, sent, c.snapshots.length - 1)
    }
  } finally {
    closeSync(fd)
  }
  splitter.push(normalizer.end())
  if (notes) landmarks!.push(...notes.marks)
  if (normalizer.switches.length > 0) {
    sink.note('encodingSwitches', normalizer.switches.map((s) => `${s.to} at byte ${s.offset + from}`).join(', '))
  }
  const lines = splitter.end()
  next.finish()
  return {summary: sink.summary({encoding: task.encoding, bytes: to - from, sha256: '', lines}), lines, stopped, sent}
}

/**
 * Sends the summaries of snapshots [from, to) on and leaves EMPTY_RECORD in their place; returns `to`. Once
 * no snapshot names a record any more (those after `to` are still open), the store is emptied.
 */
function sendSummaries(c: CaseBuilder, from: number, to: number): number {
  const block = takeBlock(c, from, to)
  const batch: WorkerBatch = {kind: 'summaries', block}
  parentPort?.postMessage(batch, blockBuffers(block))
  if (c.snapshots.slice(to).every((s) => s.summary === EMPTY_RECORD)) c.summaries.clear()
  return to
}

/** The summaries of snapshots [from, to) in a block; EMPTY_RECORD left in their place. */
function takeBlock(c: CaseBuilder, from: number, to: number): SummaryBlock {
  const list = c.snapshots.slice(from, to)
  const block = c.summaries.block(list.map((s) => s.summary))
  for (const s of list) s.summary = EMPTY_RECORD
  return block
}

function run(task: WorkerTask): WorkerResult {
  const c = new CaseBuilder(null)
  c.trackedRanges.splice(0, c.trackedRanges.length, ...task.ranges)
  // The snapshots from primeStart (at least as long before the range as TIME_WAIT lasts) prime TIME_WAIT
  // attribution, which carries owners from earlier snapshots that far back; they are then dropped.
  const prime = task.aggregate && task.primeStart < task.start
  if (prime) {
    feed(task, task.primeStart, task.start, c, false)
    c.dropInput(0)
  }
  const landmarks: Landmark[] = []
  const {summary, lines, stopped, sent} = feed(task, task.start, task.end, c, prime, landmarks)
  const s = c.snapshots
  return {
    landmarks,
    lines,
    stopped,
    summary,
    snapshots: {lines: s.map((x) => x.line), stamps: s.map((x) => x.stamp), truncated: s.map((x) => x.truncated)},
    summaries: [takeBlock(c, sent, s.length)],
    slotPid: c.agg.slotPid.slice(),
    slotName: c.agg.slotName.slice(),
    processes: c.agg.processes.values,
    endpoints: c.agg.endpoints.labels,
  }
}

/** Runs `task` and sends its result; the per-snapshot arrays move to the parent instead of being copied (no second copy at the peak). */
function answer(task: WorkerTask): void {
  const result = run(task)
  parentPort?.postMessage(result, [...result.summaries.flatMap(blockBuffers), result.slotPid.buffer, result.slotName.buffer])
}

// Started with its task, or early (parallel.ts WorkerCrew), waiting for it while the parent plans.
const data = workerData as {task: WorkerTask | undefined; stop: Int32Array}
if (data.task) answer({...data.task, stop: data.stop})
else parentPort?.once('message', (task: WorkerTask) => answer({...task, stop: data.stop}))
