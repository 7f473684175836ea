import {kernelCall, type KernelMemory} from './kernel.js'
import type {RowLane} from './lane.js'

/** The part of a kernel instance a row lane runs on (kernel/netstat.ts). */
export type LaneKernel = {
  memory: KernelMemory
  inputArea(size: number): number
  lane(start: number, end: number, line: number, starId: number, starFacts: number, flushFirst: boolean, owners: boolean): number
  laneOut(): number
  laneLearn(start: number, end: number, pid: number, line: number): void
}

/** What the owner of a lane decides: how `*` is keyed, and what else a run's words (kernel LANE) say. */
export type LaneOwner = {
  /** The id of `*` the kernel keys rows with, from the parser's (-1 when it keeps no address table). */
  star(parserStar: number): number
  starFacts(starId: number): number
  /** After a run that took lines: its words (view of the kernel's memory, valid until the next kernel call). */
  ran(out: Int32Array, starId: number): void
}

/**
 * A kernel instance's row lane as parsers see it (RowLane): the bytes staged in the instance, the runs it
 * takes and what they held. Its owner (the aggregator, or the counting lane of `inspect`) keys `*` and the
 * addresses the kernel asks about (`text` gives their bytes) and reads the rest of each run.
 */
export class KernelLane implements RowLane {
  runEnd = 0
  runBound = false
  runPid = false
  runOwnerLines = 0
  readonly runCounts = new Int32Array(14)
  /** Where the staged bytes start in the caller's buffer (see `stage`), and how many. */
  private base = 0
  private length = 0
  /** The kernel's memory as bytes, for `text` (remade when the memory grows). */
  private bytes: Buffer | null = null

  constructor(
    private readonly k: LaneKernel,
    private readonly owner: LaneOwner,
  ) {}

  stage(buf: Uint8Array, start: number, end: number): boolean {
    let at: number
    try {
      at = this.k.inputArea(end - start)
    } catch {
      return false
    }
    new Uint8Array(this.k.memory.buffer, at, end - start).set(buf.subarray(start, end))
    this.base = start
    this.length = end - start
    return true
  }

  learn(start: number, end: number, pid: number, line: number): void {
    const base = this.base
    // Owner lines that began before the staged bytes (the lane was asked first past them) are not learned.
    if (start < base || end > base + this.length) return
    kernelCall(() => this.k.laneLearn(start - base, end - base, pid, line))
  }

  take(start: number, line: number, parserStar: number, flushFirst: boolean, owners: boolean): number {
    const k = this.k
    const base = this.base
    const starId = this.owner.star(parserStar)
    const n = kernelCall(() => k.lane(start - base, this.length, line, starId, this.owner.starFacts(starId), flushFirst, owners))
    if (n <= 0) return n
    const out = new Int32Array(k.memory.buffer, k.laneOut(), 20)
    this.runEnd = base + out[0]!
    this.runBound = out[1] === 1
    this.runPid = out[2] === 1
    this.runCounts.set(out.subarray(4, 18))
    this.runOwnerLines = out[18]!
    this.owner.ran(out, starId)
    return n
  }

  /** Bytes [start, end) of the kernel's memory as text, one character per byte (an address it asks about). */
  text(start: number, end: number): string {
    let bytes = this.bytes
    // A grown memory detaches the buffer the view was made on (its length is 0 then).
    if (bytes === null || end > bytes.length) bytes = this.bytes = Buffer.from(this.k.memory.buffer)
    return bytes.toString('latin1', start, end)
  }
}
