import {closeSync, openSync, readSync} from 'node:fs'
import {parentPort, workerData} from 'node:worker_threads'

import {CaseBuilder} from '../model/case-builder.js'
import type {PortRange} from '../model/port-ranges.js'
import {EMPTY_STORED, type StoredSummary} from '../model/packed-quads.js'
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
 * Sent while a worker reads: the summaries of its next closed snapshots, in order (their arrays moved, not
 * copied). The result's first snapshots then carry EMPTY_STORED: the parent puts these in their place, so
 * a worker never holds a long loop's summaries, nor are they all serialized at once at the end.
 */
export type WorkerBatch = {kind: 'summaries'; summaries: StoredSummary[]}

/** Closed snapshots a worker collects before it sends their summaries on. */
const BATCH = 64

/** What a worker sends back at the end: its snapshots (lines counted from its range's start) and interned names. */
export type WorkerResult = {
  lines: number
  /** Reading was stopped before the range's end (the parent asked). */
  stopped: boolean
  summary: InputSummary
  snapshots: {line: number; stamp: string | null; truncated: boolean; summary: StoredSummary}[]
  slotPid: number[]
  slotName: number[]
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
): {summary: InputSummary; lines: number; stopped: boolean} {
  const decode = lineDecoder('utf-8')
  const next = c.sinkFor(task.file, 'netstat', {keepLineage, marksOnly: !task.aggregate})
  const sink = new SummarySink(task.file, 'netstat', next)
  const lp = netstatParser.create(sink, {path: task.file, dateOrder: task.dateOrder, decodeBytes: decode, addressIds: task.aggregate ? next.addressIds : undefined})
  const splitter = new ByteLineSplitter(lp as LineParser & {lineBytes: NonNullable<LineParser['lineBytes']>}, sink, task.maxLine, decode)
  // As in one thread: bytes go through the UTF-8 normaliser, so a UTF-16 block appended by another loop is read.
  const normalizer = new Utf8Normalizer(task.encoding)
  const fd = openSync(task.file, 'r')
  const buf = Buffer.allocUnsafe(1 << 20)
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
  return {summary: sink.summary({encoding: task.encoding, bytes: to - from, sha256: '', lines}), lines, stopped}
}

/** Sends the summaries of snapshots [from, to) on and leaves EMPTY_STORED in their place; returns `to`. */
function sendSummaries(c: CaseBuilder, from: number, to: number): number {
  const taken: StoredSummary[] = []
  for (let i = from; i < to; i++) {
    taken.push(c.snapshots[i]!.summary)
    c.snapshots[i]!.summary = EMPTY_STORED
  }
  const {summaries, buffers} = packed(taken)
  const batch: WorkerBatch = {kind: 'summaries', summaries}
  parentPort?.postMessage(batch, buffers)
  return to
}

/**
 * Copies of these summaries whose arrays are views of two buffers, to move to the parent rather than copy: the
 * parent keeps every summary until the analysis, and a buffer of its own per array cost more than the array's
 * few hundred bytes. The packed quads have a buffer of their own, which the parent keeps as it is (it renumbers
 * slots and shifts lines as they are unpacked).
 */
function packed(list: readonly StoredSummary[]): {summaries: StoredSummary[]; buffers: ArrayBuffer[]} {
  let ints = 0
  let bytes = 0
  for (const s of list) {
    ints += s.remotes.length + s.ephemeral.length + (s.listeners?.length ?? 0)
    bytes += s.packed.length
  }
  const all = new Int32Array(ints)
  const quads = new Uint8Array(bytes)
  let at = 0
  let byteAt = 0
  const view = (a: Int32Array) => {
    all.set(a, at)
    at += a.length
    return all.subarray(at - a.length, at)
  }
  const summaries = list.map((s) => {
    quads.set(s.packed, byteAt)
    byteAt += s.packed.length
    return {
      ...s,
      packed: quads.subarray(byteAt - s.packed.length, byteAt),
      ephemeral: view(s.ephemeral),
      remotes: view(s.remotes),
      ...(s.listeners ? {listeners: view(s.listeners)} : {}),
    }
  })
  return {summaries, buffers: [all.buffer, quads.buffer]}
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
  const {summary, lines, stopped} = feed(task, task.start, task.end, c, prime, landmarks)
  return {
    landmarks,
    lines,
    stopped,
    summary,
    snapshots: c.snapshots.map((s) => ({line: s.line, stamp: s.stamp, truncated: s.truncated, summary: s.summary})),
    slotPid: c.agg.slotPid,
    slotName: c.agg.slotName,
    processes: c.agg.processes.values,
    endpoints: c.agg.endpoints.labels,
  }
}

/** Runs `task` and sends its result; the per-snapshot arrays move to the parent instead of being copied (no second copy at the peak). */
function answer(task: WorkerTask): void {
  const result = run(task)
  const {summaries, buffers} = packed(result.snapshots.map((s) => s.summary))
  result.snapshots.forEach((s, i) => (s.summary = summaries[i]!))
  parentPort?.postMessage(result, buffers)
}

// Started with its task, or early (parallel.ts WorkerCrew), waiting for it while the parent plans.
const data = workerData as {task: WorkerTask | undefined; stop: Int32Array}
if (data.task) answer({...data.task, stop: data.stop})
else parentPort?.once('message', (task: WorkerTask) => answer({...task, stop: data.stop}))
