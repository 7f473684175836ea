import {kernelInstance, writeStateWords} from './kernel.js'
import {KernelLane, type LaneKernel} from './kernel-lane.js'
import {checkedAddress, NOT_AN_ADDRESS} from './row.js'

type CountingExports = LaneKernel & {
  statesOffset(): number
  forget(): void
  laneCountOnly(on: boolean): void
}

/**
 * The row lane of sinks that only count rows (`inspect`): a kernel instance of its own whose lane parses a
 * stretch of plain rows and counts them per state as the aggregator's lane does (kernel/netstat.ts `lane`,
 * with `laneCountOnly`), and keeps nothing of them: no process slots, no tables, no address ids (an address
 * the kernel asks about is checked as the row reader checks it, then given one id for all). In `-b` loops it
 * learns owner lines as the aggregator's lane does, without the slot. A high-churn loop read for its marks
 * then costs parsing alone, not the long way's strings per row.
 */
export function countingLane(): KernelLane {
  let lane: KernelLane | null = null
  // The kernel's question about an address it has not met (see SnapshotAggregator.laneAddressId).
  const addressId = (start: number, end: number, loose: boolean) => (loose || checkedAddress(lane!.text(start, end)) !== NOT_AN_ADDRESS ? 0 : -1)
  const k = kernelInstance({env: {laneAddressId: (start, end, loose) => addressId(start, end, loose === 1)}}).exports as CountingExports
  writeStateWords(new Uint8Array(k.memory.buffer), k.statesOffset())
  k.forget()
  k.laneCountOnly(true)
  // `*` gets an id like any address (the parser's is -1: it keeps no address table here).
  lane = new KernelLane(k, {star: () => 0, starFacts: () => 0, ran: () => {}})
  return lane
}
