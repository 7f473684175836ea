import {ByteLineSplitter, lineDecoder} from '../../src/input/lines.js'
import {netstatParser} from '../../src/formats/netstat/index.js'
import type {LineParser} from '../../src/formats/types.js'
import {CaseBuilder, type InputSink} from '../../src/model/case-builder.js'
import {KernelLane} from '../../src/formats/netstat/kernel-lane.js'
import {SummarySink} from '../../src/model/summary.js'

const decode = lineDecoder('utf-8')

/** Runs `f` with the row lane on or off (read when a parser first asks its sink for one). */
export function withLane<T>(on: boolean, f: () => T): T {
  const was = process.env.PORTLEAK_LANE
  if (on) delete process.env.PORTLEAK_LANE
  else process.env.PORTLEAK_LANE = '0'
  try {
    return f()
  } finally {
    if (was === undefined) delete process.env.PORTLEAK_LANE
    else process.env.PORTLEAK_LANE = was
  }
}

/** Runs `f` counting the lines row lanes take (KernelLane.take: the aggregator's, or the counting lane) meanwhile. */
export function countingLaneRows<T>(f: () => T): {result: T; taken: number} {
  const take = KernelLane.prototype.take
  let taken = 0
  KernelLane.prototype.take = function (this: KernelLane, ...args: Parameters<typeof take>) {
    const n = take.apply(this, args)
    if (n > 0) taken += n
    return n
  }
  try {
    return {result: f(), taken}
  } finally {
    KernelLane.prototype.take = take
  }
}

export type LaneCaseOptions = {
  rowMemo?: boolean
  /** Called with the input's sink before any byte is read. */
  tap?: (sink: InputSink) => void
}

/**
 * A netstat loop read from bytes fed in chunks of `chunk`, the lane on or off: the case's snapshots (endpoint
 * ids as labels), its process slots, how TIME_WAIT rows were attributed and the input summary, to compare.
 */
export function laneCase(text: string, lane: boolean, chunk: number, o: LaneCaseOptions = {}) {
  const {tables: _tables, footprint: _footprint, ...rest} = read(text, lane, chunk, o, false)
  return rest
}

/** {@link laneCase}, with the address table after each snapshot (its values by id) and the carried tables' sizes. */
export function laneCaseWithTables(text: string, lane: boolean, chunk: number, o: LaneCaseOptions = {}) {
  return read(text, lane, chunk, o, true)
}

function read(text: string, lane: boolean, chunk: number, o: LaneCaseOptions, keepTables: boolean) {
  return withLane(lane, () => {
    const c = new CaseBuilder(null)
    const told: string[] = []
    const tables: (string | null)[][] = []
    c.agg.onTimeWait = (line, pid, name, how) => told.push(`${line} ${pid} ${name} ${how}`)
    if (keepTables) {
      const end = c.agg.end.bind(c.agg)
      c.agg.end = () => {
        const s = end()
        const a = c.agg.addresses
        tables.push(Array.from({length: a.size}, (_, id) => a.value(id)))
        return s
      }
    }
    const next = c.sinkFor('netstat.txt', 'netstat')
    o.tap?.(next)
    const summary = new SummarySink('netstat.txt', 'netstat', next)
    const lp = netstatParser.create(summary, {path: 'netstat.txt', decodeBytes: decode, addressIds: next.addressIds, rowMemo: o.rowMemo ?? false})
    const splitter = new ByteLineSplitter(lp as LineParser & {lineBytes: NonNullable<LineParser['lineBytes']>}, summary, 64 * 1024, decode)
    const bytes = Buffer.from(text, 'utf8')
    for (let at = 0; at < bytes.length; at += chunk) splitter.push(bytes.subarray(at, Math.min(bytes.length, at + chunk)))
    const lines = splitter.end()
    next.finish()
    const snapshots = c.snapshots.map((s) => {
      const r = c.summaries.read(s.summary)
      return {...s, summary: {...r, counts: [...r.counts], remotes: [...r.remotes].map((v, i) => (i % 3 === 0 ? c.agg.endpoints.label(v) : v)), listeners: [...(r.listeners ?? [])]}}
    })
    const slots = Array.from(c.agg.slotPid, (pid, i) => `${pid}/${c.agg.processes.values[c.agg.slotName[i]!] ?? ''}`)
    const input = summary.summary({encoding: 'utf-8', bytes: bytes.length, sha256: '', lines})
    // The kernel heap's own figures depend on which path read the rows (the lane has buffers of its own).
    const {kernelTop: _top, kernelHanded: _handed, ...footprint} = c.agg.footprint()
    return {snapshots, slots, told, input, tables, footprint}
  })
}
