import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {ByteLineSplitter, lineDecoder} from '../../src/input/lines.js'
import {netstatParser} from '../../src/formats/netstat/index.js'
import type {LineParser} from '../../src/formats/types.js'
import {CaseBuilder} from '../../src/model/case-builder.js'
import {countingLane} from '../../src/formats/netstat/counting-lane.js'
import {TCP_STATES} from '../../src/model/records.js'
import {SummarySink} from '../../src/model/summary.js'
import {countingLaneRows, withLane} from '../helpers/lane-case.js'
import {HEADER, loop, ownerLoop, STAMP, tcp} from '../helpers/lane-loops.js'

// `inspect` reads rows only to count them. Its sinks (a SummarySink alone, in one thread; over an InputSink
// that marks snapshots only, in a worker) give the parser a lane that only counts (counting-lane.ts). Whatever
// the loop holds, the summary and the marks must be the long way's (PORTLEAK_LANE=0), however the bytes are cut.

const decode = lineDecoder('utf-8')

/** What `inspect` keeps of a loop read one way or the other: the input summary and, in the worker's shape, the snapshots' marks. */
function inspectOf(text: string, lane: boolean, chunk: number, memo: boolean, worker: boolean) {
  return withLane(lane, () => {
    const c = worker ? new CaseBuilder(null) : null
    const next = c ? c.sinkFor('netstat.txt', 'netstat', {marksOnly: true}) : null
    const summary = new SummarySink('netstat.txt', 'netstat', next)
    // As inspect reads: no address table.
    const lp = netstatParser.create(summary, {path: 'netstat.txt', decodeBytes: decode, rowMemo: memo})
    const splitter = new ByteLineSplitter(lp as LineParser & {lineBytes: NonNullable<LineParser['lineBytes']>}, summary, 64 * 1024, decode)
    const bytes = Buffer.from(text, 'utf8')
    for (let at = 0; at < bytes.length; at += chunk) splitter.push(bytes.subarray(at, Math.min(bytes.length, at + chunk)))
    const lines = splitter.end()
    next?.finish()
    return {
      input: summary.summary({encoding: 'utf-8', bytes: bytes.length, sha256: '', lines}),
      marks: c?.snapshots.map((s) => [s.line, s.stamp, s.truncated]) ?? null,
    }
  })
}

describe('the counting lane (inspect)', () => {
  test.prop([loop, fc.integer({min: 1, max: 400}), fc.boolean(), fc.boolean(), fc.boolean()])(
    'gives the summary and marks of the long way on plain loops, however the bytes are cut, memo or not, one thread or a worker',
    (text, chunk, lf, memo, worker) => {
      const t = lf ? text.replaceAll('\r\n', '\n') : text
      expect(inspectOf(t, true, chunk, memo, worker)).toEqual(inspectOf(t, false, 1 << 20, memo, worker))
    },
  )

  test.prop([ownerLoop, fc.integer({min: 1, max: 400}), fc.boolean(), fc.boolean(), fc.boolean()])(
    'gives what the long way gives on -b loops, owner lines learned without process slots',
    (text, chunk, crlf, memo, worker) => {
      const t = crlf ? text.replaceAll('\n', '\r\n') : text
      expect(inspectOf(t, true, chunk, memo, worker)).toEqual(inspectOf(t, false, 1 << 20, memo, worker))
    },
  )

  it('takes the rows of a busy loop whose peers never repeat (IPv4 and IPv6), and of a -b loop after its first rows', () => {
    // Fresh peers on every row: nothing for the row memo, every row for the lane.
    const snapshot = (k: number) =>
      [STAMP, ...HEADER, ...Array.from({length: 200}, (_, i) => (i % 4 === 3 ? tcp(`[2001:db8::5]:${50000 + i}`, `[2001:db8:${k}::${i}]:443`, 'TIME_WAIT', '0') : tcp(`10.0.0.5:${50000 + i}`, `52.${k}.${i >> 8}.${i & 255}:443`, i % 2 ? 'TIME_WAIT' : 'ESTABLISHED', i % 2 ? '0' : '3020'))), ''].join('\r\n')
    const plain = Array.from({length: 5}, (_, k) => snapshot(k)).join('\r\n')
    for (const worker of [false, true]) {
      const {result, taken} = countingLaneRows(() => inspectOf(plain, true, 1 << 20, true, worker))
      expect(result).toEqual(inspectOf(plain, false, 1 << 20, true, worker))
      // Every row but the last of each snapshot (the lane leaves the row before another kind of line).
      expect(taken).toBe(5 * 199)
      expect(result.input.byState).toEqual({ESTABLISHED: 500, TIME_WAIT: 500})
    }
    const owned = [STAMP, ...HEADER, ...[0, 1, 2, 3].flatMap((i) => [tcp(`10.0.0.5:${50000 + i}`, '52.1.1.1:443', 'ESTABLISHED', '3020'), ' [w3wp.exe]']), ''].join('\n')
    const b = [owned, owned, owned].join('\n')
    const {result, taken} = countingLaneRows(() => inspectOf(b, true, 1 << 20, true, false))
    expect(result).toEqual(inspectOf(b, false, 1 << 20, true, false))
    // The first row's owner line is learned the long way; the lane then takes rows with theirs.
    expect(taken).toBeGreaterThanOrEqual(2 * 6)
  })

  it('shares one kernel instance between sinks, each taking its own bytes whatever the other staged since', () => {
    const rows = (state: string, n: number) => Buffer.from(Array.from({length: n}, (_, i) => `${tcp(`10.0.0.5:${50000 + i}`, `52.1.1.1:${443 + i}`, state, '0')}\r\n`).join(''))
    const a = countingLane()
    const b = countingLane()
    const established = rows('ESTABLISHED', 4)
    const timeWait = rows('TIME_WAIT', 7)
    const byState = (lane: ReturnType<typeof countingLane>) => Object.fromEntries(TCP_STATES.map((s, k) => [s, lane.runCounts[k + 1]!]).filter(([, n]) => n !== 0))
    expect(a.stage(established, 0, established.length)).toBe(true)
    expect(b.stage(timeWait, 0, timeWait.length)).toBe(true)
    // Every row but the last (the lane leaves the row before another kind of line, or the end, to the caller).
    expect(a.take(0, 1, -1, false, false)).toBe(3)
    expect(byState(a)).toEqual({ESTABLISHED: 3})
    expect(b.take(0, 1, -1, false, false)).toBe(6)
    expect(byState(b)).toEqual({TIME_WAIT: 6})
    expect(a.take(0, 1, -1, false, false)).toBe(3)
    expect(byState(a)).toEqual({ESTABLISHED: 3})
    expect(a.runEnd).toBe((3 * established.length) / 4)
  })
})

