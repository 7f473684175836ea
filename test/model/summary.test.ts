import {describe, expect, it} from 'vitest'

import type {ConnectionRecord, SkipReason} from '../../src/formats/types.js'
import {SummarySink} from '../../src/model/summary.js'

const IO = {encoding: 'utf-8', bytes: 100, sha256: 'ab', lines: 0}
const row = (state: ConnectionRecord['state'], proto: ConnectionRecord['proto'] = 'TCP') => ({proto, state}) as ConnectionRecord

type Part = {snapshots: number; rows: ConnectionRecord[]; skips: [number, SkipReason][]; lines: number}

/** Feeds one part into a sink the way a parser does. */
function feed(sink: SummarySink, part: Part, offset = 0): void {
  for (let i = 0; i < part.snapshots; i++) sink.snapshot({line: offset + i + 1, stamp: null})
  for (const r of part.rows) sink.connection(r)
  for (const [line, reason] of part.skips) sink.skip(offset + line, reason, `text of part line ${line}`)
}

describe('SummarySink.absorb', () => {
  it("merges parts of one input (worker threads' ranges) into the summary one sink reading it all gives", () => {
    const parts: Part[] = [
      {snapshots: 2, rows: [row('TIME_WAIT'), row('ESTABLISHED'), row(null, 'UDP')], skips: [[3, 'junk'], [5, 'junk']], lines: 10},
      {snapshots: 3, rows: [row('TIME_WAIT'), row('BOUND')], skips: [[1, 'junk'], [2, 'junk'], [4, 'truncated']], lines: 8},
    ]
    const whole = new SummarySink('loop.txt', 'netstat')
    const merged = new SummarySink('loop.txt', 'netstat')
    let offset = 0
    for (const p of parts) {
      feed(whole, p, offset)
      const one = new SummarySink('loop.txt', 'netstat')
      feed(one, p)
      merged.absorb(one.summary({...IO, lines: p.lines}), offset)
      offset += p.lines
    }
    const expected = whole.summary({...IO, lines: offset})
    expect(merged.summary({...IO, lines: offset})).toEqual(expected)
    expect(expected).toMatchObject({snapshots: 5, records: 5, byProto: {TCP: 4, UDP: 1}, skipped: 5, skippedByReason: {junk: 4, truncated: 1}})
    // three examples per reason, the first ones by line across the parts
    expect(expected.skippedExamples.map((e) => e.line)).toEqual([3, 5, 11, 14])
  })
})
