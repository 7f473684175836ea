import {kernelInstance, writeStateWords} from './kernel.js'
import {KernelLane, type LaneKernel} from './kernel-lane.js'
import type {RowLane} from './lane.js'
import {checkedAddress, NOT_AN_ADDRESS} from './row.js'

type CountingExports = LaneKernel & {
  statesOffset(): number
  forget(): void
  laneCountOnly(on: boolean): void
}

/**
 * The row lane of sinks that only count rows (`inspect`): the kernel parses a stretch of plain rows and counts
 * them per state as the aggregator's lane does (kernel/netstat.ts `lane`, with `laneCountOnly`), and keeps
 * nothing of them: no process slots, no tables, no address ids (an address the kernel asks about is checked
 * as the row reader checks it, then given one id for all). In `-b` loops it learns owner lines as the
 * aggregator's lane does, without the slot. A high-churn loop read for its marks then costs parsing alone,
 * not the long way's strings per row.
 *
 * One kernel instance serves every counting sink of a thread (an upload of hundreds of small loops made as
 * many instances, and their memories kept the garbage collector busy): what it keeps between inputs (owner
 * lines learned, the addresses it met) changes which rows it takes, never how they are counted. Each sink
 * has a handle that stages its bytes again when another sink's were staged since.
 */
export function countingLane(): RowLane {
  return new CountingHandle()
}

let shared: KernelLane | null = null
/** The handle whose bytes the shared instance holds. */
let stagedBy: CountingHandle | null = null

function sharedLane(): KernelLane {
  if (shared !== null) return shared
  let lane: KernelLane | null = null
  // The kernel's question about an address it has not met (see SnapshotAggregator.laneAddressId).
  const addressId = (start: number, end: number, loose: boolean) => (loose || checkedAddress(lane!.text(start, end)) !== NOT_AN_ADDRESS ? 0 : -1)
  // Counting alone, the lane never asks for a slot.
  const k = kernelInstance({env: {laneAddressId: (start, end, loose) => addressId(start, end, loose === 1), laneSlot: () => -1}}).exports as CountingExports
  writeStateWords(new Uint8Array(k.memory.buffer), k.statesOffset())
  k.forget()
  k.laneCountOnly(true)
  // `*` gets an id like any address (the parser's is -1: it keeps no address table here).
  lane = new KernelLane(k, {star: () => 0, starFacts: () => 0, ran: () => {}})
  return (shared = lane)
}

class CountingHandle implements RowLane {
  private buf: Uint8Array | null = null
  private start = 0
  private end = 0

  stage(buf: Uint8Array, start: number, end: number): boolean {
    stagedBy = null
    if (!sharedLane().stage(buf, start, end)) return false
    this.buf = buf
    this.start = start
    this.end = end
    stagedBy = this
    return true
  }

  /** The shared lane holding this handle's bytes; null when they cannot be staged again (nothing is taken then). */
  private lane(): KernelLane | null {
    const lane = sharedLane()
    if (stagedBy !== this) {
      if (this.buf === null || !lane.stage(this.buf, this.start, this.end)) return null
      stagedBy = this
    }
    return lane
  }

  learn(start: number, end: number, pid: number, line: number): void {
    this.lane()?.learn(start, end, pid, line)
  }

  take(start: number, line: number, starId: number, flushFirst: boolean, owners: boolean): number {
    return this.lane()?.take(start, line, starId, flushFirst, owners) ?? 0
  }

  get runEnd(): number {
    return sharedLane().runEnd
  }
  get runBound(): boolean {
    return sharedLane().runBound
  }
  get runPid(): boolean {
    return sharedLane().runPid
  }
  get runOwnerLines(): number {
    return sharedLane().runOwnerLines
  }
  get runCounts(): Int32Array {
    return sharedLane().runCounts
  }
}
