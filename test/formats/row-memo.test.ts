import {fc, test} from '@fast-check/vitest'
import {afterEach, describe, expect, it} from 'vitest'

import {ByteLineSplitter, lineDecoder} from '../../src/input/lines.js'
import {analyzeCase} from '../../src/analysis/analyze.js'
import {CaseBuilder} from '../../src/model/case-builder.js'
import {SnapshotAggregator} from '../../src/model/snapshot-aggregator.js'
import {SummarySink} from '../../src/model/summary.js'
import {CollectingSink} from '../../src/formats/shared/collect.js'
import {netstatParser} from '../../src/formats/netstat/index.js'
import {RowMemo, restoreRow, sameBytes} from '../../src/formats/netstat/row-memo.js'
import type {LineParser, RecordSink} from '../../src/formats/types.js'
import {benchScenario} from '../../src/synth/bench-scenario.js'
import type {LoopScenario} from '../../src/synth/loop.js'
import {loopText} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'

const decode = lineDecoder('utf-8')

/** Feeds text as UTF-8 bytes in chunks of `chunk` bytes through the byte fast path, as the input layer does. */
function feedBytes(sink: RecordSink, text: string, rowMemo: boolean, chunk: number, addressIds?: {id(v: string): number}) {
  const lp = netstatParser.create(sink, {path: 'netstat.txt', decodeBytes: decode, addressIds, rowMemo})
  const splitter = new ByteLineSplitter(lp as LineParser & {lineBytes: NonNullable<LineParser['lineBytes']>}, sink, 1 << 20, decode)
  const bytes = Buffer.from(text, 'utf8')
  for (let i = 0; i < bytes.length; i += chunk) splitter.push(bytes.subarray(i, i + chunk))
  splitter.end()
}

/** Takes repeated rows straight from the memo (as the case's sinks do), so the parser's run fast path is on. */
class CarryingSink extends CollectingSink {
  carriedRows = 0
  memo: RowMemo | null = null
  carried(memo: RowMemo, entry: number, line: number, process: string | null = null): void {
    this.memo = memo
    this.carriedRows++
    this.connection(restoreRow(memo, entry, line, process))
  }
}

function records(text: string, rowMemo: boolean, chunk = 4096, sink = new CollectingSink()) {
  feedBytes(sink, text, rowMemo, chunk)
  return sink.result
}

/** The whole case (per-snapshot summaries) and the analysis, with or without the memo. */
function caseOf(text: string, rowMemo: boolean, chunk = 65_536) {
  const c = new CaseBuilder(null)
  const next = c.sinkFor('netstat.txt', 'netstat')
  const summary = new SummarySink('netstat.txt', 'netstat', next)
  feedBytes(summary, text, rowMemo, chunk, next.addressIds)
  next.finish()
  const inputs = [summary.summary({encoding: 'utf-8', bytes: text.length, sha256: '', lines: 0})]
  const analysis = analyzeCase(c, inputs, {flagRange: null, host: undefined, tz: (x) => x})
  const snapshots = c.snapshots.map((s) => {
    const r = c.summaries.read(s.summary)
    return {...s, summary: {...r, counts: [...r.counts], remotes: sortedTriples(r.remotes)}}
  })
  return {snapshots, analysis: JSON.stringify(analysis), inputs}
}

/** Remote endpoint triples in key order (their order in a summary is not part of the result). */
const sortedTriples = (a: Int32Array) => {
  const t: number[][] = []
  for (let i = 0; i < a.length; i += 3) t.push([a[i]!, a[i + 1]!, a[i + 2]!])
  return t.sort((x, y) => x[0]! - y[0]!)
}

/** The bench loop's shape (stamps, interval, BOUND rows) with far fewer rows per snapshot. */
const busyLoop = (seed: number, snapshots: number): LoopScenario => ({
  ...benchScenario(snapshots, seed),
  processes: [
    {pid: 1712, name: 'svchost.exe', listen: [135], behaviour: {kind: 'steady', established: 30, noise: 10, timeWaitChurn: 6}},
    {pid: 3020, name: 'w3wp.exe', listen: [80, 443], behaviour: {kind: 'steady', established: 120, noise: 40, timeWaitChurn: 40}},
    {pid: 5120, name: 'LeakyAgent.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: 600}},
    {pid: 6200, name: 'backup.exe', behaviour: {kind: 'timewait-leak', perMinute: 15, growthPerHour: 30, remote: '10.0.0.60:443'}},
  ],
  background: 20,
})

describe('row memo', () => {
  const tablesDefault = SnapshotAggregator.tableCapacity
  afterEach(() => {
    RowMemo.minCompact = 16_384
    SnapshotAggregator.tableCapacity = tablesDefault
  })

  it('finds most rows of a loop again, and gives exactly the records parsing gives', () => {
    const text = loopText(busyLoop(3, 30))
    const memo = records(text, true)
    expect(memo).toEqual(records(text, false))
    expect(memo.records.length).toBeGreaterThan(5000)
    // Runs of rows in the order of the snapshot before go to a sink that takes memo entries as such.
    const carrying = new CarryingSink()
    expect(records(text, true, 4096, carrying)).toEqual(memo)
    expect(carrying.carriedRows).toBeGreaterThan(memo.records.length * 0.6)
    // Most of them in stretches compared with the lines of the snapshot before at once.
    expect(carrying.memo!.galloped).toBeGreaterThan(carrying.carriedRows * 0.3)
  })

  it('takes a run only of whole lines that hold the expected rows, blanks and CRs as the line splitter trims them', () => {
    const row = (port: number) => `TCP    10.0.0.5:${port}         52.1.192.0:443         ESTABLISHED     4`
    const memo = new RowMemo()
    const rec = {proto: 'TCP', localAddr: '10.0.0.5', remoteAddr: '52.1.192.0', remotePort: 443, state: 'ESTABLISHED', pid: 4, process: null, created: null, line: 1} as const
    for (const port of [49152, 49153, 49154, 49155]) {
      const b = Buffer.from(row(port))
      expect(memo.find(b, 0, b.length)).toBe(-1)
      memo.add(b, 0, b.length, {...rec, localPort: port})
    }
    memo.nextSnapshot()
    const text = Buffer.from(`  ${row(49152)}\r\n\t${row(49154)}\r\r\n${row(49155)}\n ${row(49153)}`)
    expect(memo.next(text, 0, text.length)).toBe(0)
    let p = memo.nextEnd
    expect(text[p - 1]).toBe(10)
    // 49153 moved to the end: 49154, one row further on, is found by looking ahead; the CRs before its LF are trimmed.
    expect(memo.next(text, p, text.length)).toBe(2)
    p = memo.nextEnd
    expect(memo.next(text, p, text.length)).toBe(3)
    p = memo.nextEnd
    // The last line has no LF in the buffer yet: not taken (the splitter carries it into the next chunk).
    expect(memo.next(text, p, text.length)).toBe(-1)
    // Too many blanks before a row, or a byte changed: not taken.
    memo.nextSnapshot()
    const padded = Buffer.from(`${' '.repeat(17)}${row(49152)}\n`)
    expect(memo.next(padded, 0, padded.length)).toBe(-1)
    const changed = Buffer.from(`  ${row(49152).replace('ESTABLISHED', 'CLOSE_WAIT ')}\n`)
    expect(memo.next(changed, 0, changed.length)).toBe(-1)
    const trailing = Buffer.from(`  ${row(49152)} \n`)
    expect(memo.next(trailing, 0, trailing.length)).toBe(-1)
    const ok = Buffer.from(`  ${row(49152)}\n`)
    expect(memo.next(ok, 0, ok.length)).toBe(0)
  })

  it('counts its hits (rows repeated from the snapshot before)', () => {
    const memo = new RowMemo()
    const row = Buffer.from('  TCP    10.0.0.5:49152         52.1.192.0:443         ESTABLISHED     4')
    const rec = {proto: 'TCP', localAddr: '10.0.0.5', localPort: 49152, remoteAddr: '52.1.192.0', remotePort: 443, state: 'ESTABLISHED', pid: 4, process: null, created: null, line: 1} as const
    expect(memo.find(row, 2, row.length)).toBe(-1)
    memo.add(row, 2, row.length, {...rec})
    memo.nextSnapshot()
    const found = memo.find(row, 2, row.length)
    expect(found).toBe(0)
    const out = {...rec, pid: -1, state: null as string | null, localAddr: '*'}
    memo.restore(found, out as never)
    expect(out).toMatchObject({pid: 4, state: 'ESTABLISHED', localAddr: '10.0.0.5', localPort: 49152, memoEntry: 0})
    // One byte different is another row.
    const other = Buffer.from(row)
    other[other.length - 1] = 0x35
    expect(memo.find(other, 2, other.length)).toBe(-1)
    expect([memo.lookups, memo.hits]).toEqual([3, 1])
  })

  it('gives the same case with the memo and its compaction, and with the dense-id compaction of the aggregator', () => {
    const text = loopText(busyLoop(9, 40))
    const plain = caseOf(text, false)
    expect(caseOf(text, true)).toEqual(plain)
    // Compact at every snapshot: entries are renumbered while rows and cached words carry over.
    RowMemo.minCompact = 1
    SnapshotAggregator.tableCapacity = 16
    expect(caseOf(text, true)).toEqual(plain)
    expect(caseOf(text, false)).toEqual(plain)
  })

  it('gives the same case on the scenario loops (owner lines, German, sawtooth, TIME_WAIT leaks)', () => {
    for (const s of Object.values(SCENARIOS) as LoopScenario[]) {
      const text = loopText(s)
      expect(caseOf(text, true)).toEqual(caseOf(text, false))
    }
  })

  it('compares a stretch at once only where the lines of the snapshot before were back to back (a repeated row in between is not)', () => {
    const row = (i: number) => `  TCP    10.0.0.5:${49152 + i}         52.1.192.${i}:443         ESTABLISHED     4`
    const rows = (ids: number[]) => ids.map(row).join('\r\n')
    const r = (from: number, to: number) => Array.from({length: to - from + 1}, (_, k) => from + k)
    // Snapshot 2 meets row 6 early (out of order), so its repeat after row 4, one row ahead of the cursor, is taken
    // in the run but gets no position; the snapshots after repeat snapshot 2 line for line, the repeat included.
    const second = [6, 0, ...r(1, 4), 6, 5, ...r(7, 40)]
    const text = [
      '03/04/2024 08:00:00.00', rows(r(0, 40)), '',
      '03/04/2024 08:01:00.00', rows(second), '',
      '03/04/2024 08:02:00.00', rows(second), '',
      '03/04/2024 08:03:00.00', rows(second), '',
    ].join('\r\n')
    const plain = records(text, false)
    const carrying = new CarryingSink()
    expect(records(text, true, 1 << 16, carrying)).toEqual(plain)
    expect(carrying.memo!.galloped).toBeGreaterThan(0)
    expect(plain.records.length).toBe(41 + 3 * second.length)
  })

  it('names the process of a repeated row when owner lines start after runs were taken (a loop switched to -anob)', () => {
    const row = (i: number) => `  TCP    10.0.0.5:${49152 + i}         52.1.192.${i}:443         ESTABLISHED     ${4000 + (i % 3)}`
    const ids = Array.from({length: 30}, (_, k) => k)
    const plain = ids.map(row).join('\r\n')
    const owned = ids.map((i) => `${row(i)}\r\n [app${i % 3}.exe]`).join('\r\n')
    const text = ['03/04/2024 08:00:00.00', plain, '', '03/04/2024 08:01:00.00', plain, '', '03/04/2024 08:02:00.00', plain, '', '03/04/2024 08:03:00.00', owned, '', '03/04/2024 08:04:00.00', owned, ''].join('\r\n')
    const expected = records(text, false)
    expect(expected.records.filter((r) => r.process !== null)).toHaveLength(60)
    const carrying = new CarryingSink()
    expect(records(text, true, 1 << 16, carrying)).toEqual(expected)
    expect(carrying.carriedRows).toBeGreaterThan(0)
    expect(caseOf(text, true)).toEqual(caseOf(text, false))
  })

  // Bytes that are ±0 or NaN as doubles: equal doubles are not always equal bytes, and NaN never equals itself.
  const tricky = fc.constantFrom([0, 0, 0, 0, 0, 0, 0, 0x80], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0xf8, 0x7f], [1, 0, 0, 0, 0, 0, 0xf8, 0x7f], [0x20, 0x54, 0x43, 0x50, 0x20, 0x20, 0x20, 0x20])
  const bytes = fc.array(fc.oneof(fc.integer({min: 0, max: 255}).map((b) => [b]), tricky), {maxLength: 40}).map((parts) => parts.flat())
  test.prop([bytes, fc.nat(50), fc.nat(7), fc.nat(7)], {numRuns: 300})('compares bytes exactly (±0 and NaN patterns included), at any alignment', (data, flip, ao, bo) => {
    const a = new Uint8Array(ao + data.length)
    const b = new Uint8Array(bo + data.length)
    a.set(data, ao)
    b.set(data, bo)
    if (data.length > 0 && flip < data.length) b[bo + flip] = flip % 2 === 0 ? b[bo + flip]! ^ 0x80 : b[bo + flip]! ^ 1
    const same = data.every((_, i) => a[ao + i] === b[bo + i])
    expect(sameBytes(new DataView(a.buffer), ao, new DataView(b.buffer), bo, data.length)).toBe(same)
  })

  test.prop([
    fc.array(
      fc.constantFrom(' [w3wp.exe]', ' [w3wp.exe]  ', ' [w3wp.exe]\t', ' [svchost.exe]\r', ' [Prüfung.exe]', ' [进程.exe]', ' []', ' [a]x', ' [a] [b]', ' [w3wp.exe]\u00a0', '  Dnscache', ' Can not obtain ownership information', '\t[tab.exe]'),
      {minLength: 2, maxLength: 6},
    ),
  ])('reads owner lines the same from their bytes as from text, with and without the memo: %s', (owners) => {
    const text = loopText({...SCENARIOS.boundLeak, snapshots: 4} as LoopScenario).split('\r\n').map((l, i) => (l.startsWith(' [') ? owners[i % owners.length]! : l)).join('\r\n')
    const viaText = new CollectingSink()
    const lp = netstatParser.create(viaText, {path: 'netstat.txt', rowMemo: false})
    // Lines as the byte splitter cuts them (no empty line after the last line break).
    text.replace(/\r?\n$/, '').split(/\r?\n/).forEach((l, i) => lp.line(l.replace(/\r+$/, ''), i + 1))
    lp.end(true)
    expect(records(text, false)).toEqual(viaText.result)
    expect(records(text, true)).toEqual(viaText.result)
    expect(records(text, true, 4096, new CarryingSink())).toEqual(viaText.result)
  })

  it('tells +0 from -0 and a NaN from another NaN', () => {
    const plus = new DataView(new Float64Array([0]).buffer)
    const minus = new DataView(new Float64Array([-0]).buffer)
    expect(sameBytes(plus, 0, minus, 0, 8)).toBe(false)
    expect(sameBytes(minus, 0, minus, 0, 8)).toBe(true)
    const nan1 = new DataView(new Uint8Array([0, 0, 0, 0, 0, 0, 0xf8, 0x7f]).buffer)
    const nan2 = new DataView(new Uint8Array([1, 0, 0, 0, 0, 0, 0xf8, 0x7f]).buffer)
    expect(sameBytes(nan1, 0, nan1, 0, 8)).toBe(true)
    expect(sameBytes(nan1, 0, nan2, 0, 8)).toBe(false)
  })

  const edits = fc.array(fc.tuple(fc.nat(10_000), fc.constantFrom('drop', 'dup', 'swap', 'cut', 'tab', 'cr', 'lf')), {maxLength: 30})
  test.prop([fc.nat(1000), edits, fc.integer({min: 7, max: 5000})], {numRuns: 25})(
    'rows dropped, repeated, reordered or cut in any snapshot: same records and case as parsing every row',
    (seed, ops, chunk) => {
      const lines = loopText(busyLoop(seed, 6)).split('\r\n')
      for (const [at, op] of ops) {
        const i = at % lines.length
        if (op === 'drop') lines.splice(i, 1)
        else if (op === 'dup') lines.splice(i, 0, lines[i]!)
        else if (op === 'swap' && i + 1 < lines.length) [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!]
        else if (op === 'cut') lines[i] = lines[i]!.slice(0, Math.max(0, lines[i]!.length - 7))
        // Same row, another line: a tab before it, a second CR after it, or an LF ending only.
        else if (op === 'tab') lines[i] = `\t${lines[i]}`
        else if (op === 'cr') lines[i] = `${lines[i]}\r`
        else if (op === 'lf' && i + 1 < lines.length) lines.splice(i, 2, `${lines[i]}\n${lines[i + 1]}`)
      }
      const text = lines.join('\r\n')
      RowMemo.minCompact = 64
      SnapshotAggregator.tableCapacity = 64
      const plain = records(text, false, chunk)
      expect(records(text, true, chunk)).toEqual(plain)
      expect(records(text, true, chunk, new CarryingSink())).toEqual(plain)
      expect(caseOf(text, true, chunk)).toEqual(caseOf(text, false, chunk))
    },
  )
})
