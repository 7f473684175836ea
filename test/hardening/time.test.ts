import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import type {Analysis} from '../../src/model/types.js'
import {inspectInputs, runAnalysis} from '../../src/pipeline.js'
import {clockChangesOf, parseStamp, StampResolver} from '../../src/formats/shared/timestamps.js'
import {renderInspect} from '../../src/report/inspect-text.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {generateLoop, type LoopScenario, stampLine} from '../../src/synth/loop.js'
import {loopText} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'
import {snapshot, tempTree} from './helpers.js'

const BAD = fileURLToPath(new URL('../../corpus/bad/', import.meta.url))
const rowsOnTimeline = (a: Analysis) => a.timeline.rows.reduce((x, y) => x + y, 0)
const nonDecreasing = (times: readonly (number | null)[]) => times.every((t, i) => i === 0 || (t ?? 0) >= (times[i - 1] ?? 0))

describe('timestamps that go backwards', () => {
  it('reads the step back of a clock change as daylight saving and keeps every snapshot, in file order', async () => {
    const path = `${BAD}netstat-clock-back.txt`
    const [input] = (await inspectInputs([path], {})).inputs
    expect(input!.notes.clockChanges).toMatch(/^clock back 1 h at snapshot 4 .*later times shown \+1 h/)
    const a = await runAnalysis([path], {})
    expect(a.document.sampling.backwardSteps).toBe(0)
    expect(a.timeline.sources.map((s) => s.index)).toEqual(a.timeline.sources.map((_, i) => i))
    expect(a.document.snapshots).toBe(input!.snapshots)
    expect(rowsOnTimeline(a)).toBe(input!.records)
    expect(nonDecreasing(a.timeline.times)).toBe(true)
  })

  it('counts every step back of two interleaved loops and says so in the report', async () => {
    const path = `${BAD}netstat-two-loops-interleaved.txt`
    const a = await runAnalysis([path], {})
    expect(a.document.sampling.backwardSteps).toBe(3)
    expect(a.document.snapshots).toBe(6)
    expect(nonDecreasing(a.timeline.times)).toBe(true)
    expect(renderMarkdown(a)).toMatch(/time went backwards 3 time\(s\)/i)
  })

  it('does not count a step back between two files', async () => {
    const dir = tempTree({
      'late.txt': snapshot('14/03/2023 10:00:00.00', 2) + snapshot('14/03/2023 10:01:00.00', 2),
      'early.txt': snapshot('14/03/2023 08:00:00.00', 2) + snapshot('14/03/2023 08:01:00.00', 2),
    })
    const a = await runAnalysis([dir], {})
    expect(a.document.sampling.backwardSteps).toBe(0)
    expect(a.document.snapshots).toBe(4)
  })
})

describe('the same capture uploaded twice under two names', () => {
  const original = loopText(SCENARIOS.boundLeak)
  let single: Promise<Analysis> | undefined
  let twice: Promise<Analysis> | undefined
  const runs = () => {
    single ??= runAnalysis([tempTree({'netstat.txt': original})], {})
    twice ??= runAnalysis([tempTree({'netstat.txt': original, 'netstat (1).txt': original})], {})
    return Promise.all([single, twice])
  }

  it('does not double the per-process counts or change the findings', async () => {
    const [one, two] = await runs()
    expect(two.document.processes.map((p) => [p.name, p.peak])).toEqual(one.document.processes.map((p) => [p.name, p.peak]))
    expect(two.document.findings.map((f) => [f.kind, f.process, f.state, f.start, f.now, f.peak])).toEqual(
      one.document.findings.map((f) => [f.kind, f.process, f.state, f.start, f.now, f.peak]),
    )
    expect(two.document.verdict.peakUtilization).toBe(one.document.verdict.peakUtilization)
    const [a, b] = two.document.inputs
    expect(a!.sha256).toBe(b!.sha256)
  })

  // Regression (was a known bug): identical inputs were merged snapshot by snapshot, giving twice the
  // snapshots, a 0 s median interval, and trend tests that saw each point twice.
  it('reads an identical second copy once and says it is a duplicate', async () => {
    const [one, two] = await runs()
    expect(two.document.snapshots).toBe(one.document.snapshots)
    expect(two.document.sampling).toEqual(one.document.sampling)
    expect(two.document.inputs.some((i) => /duplicate/i.test(i.error ?? JSON.stringify(i.notes)))).toBe(true)
  })
})

describe('a day/month order that contradicts itself', () => {
  it('decides by the majority of unambiguous stamps and says it was decided by evidence', async () => {
    const dir = tempTree({
      'netstat.txt': ['13/03/2023 10:00:00.00', '14/03/2023 10:00:00.00', '03/14/2023 10:02:00.00', '04/03/2023 10:00:00.00']
        .map((s, i) => snapshot(s, 3 + i))
        .join(''),
    })
    const [input] = (await inspectInputs([dir], {})).inputs
    expect(input).toMatchObject({format: 'netstat', dateOrder: 'dmy', dateOrderSource: 'evidence', snapshots: 4, error: null})
    const a = await runAnalysis([dir], {})
    expect(a.document.inputs[0]!.dateOrderSource).toBe('evidence')
  })

  it('decides an order for a tie (13/03 and 03/13 twice each) without crashing', async () => {
    const path = `${BAD}netstat-date-order-conflict.txt`
    const [input] = (await inspectInputs([path], {})).inputs
    expect(input).toMatchObject({format: 'netstat', snapshots: 4, records: 3 + 4 + 5 + 6, error: null})
    expect(['dmy', 'mdy']).toContain(input!.dateOrder)
    expect(input!.dateOrderSource).not.toBeNull()
    await expect(runAnalysis([path], {})).resolves.toBeTruthy()
  })

  // Regression (was a known bug): with as many day-first as month-first stamps, chronology failed and the
  // order was `assumed`, although the file itself is the evidence of the conflict.
  it('reports a tie between 13/03 and 03/13 as decided with evidence', async () => {
    const [input] = (await inspectInputs([`${BAD}netstat-date-order-conflict.txt`], {})).inputs
    expect(input!.dateOrderSource).toBe('evidence')
  })

  // Regression (was a known bug): a stamp that only fits the other order had no time, and its snapshot and
  // rows vanished from the analysis without a word.
  it('keeps the snapshot whose stamp only fits the other order on the timeline', async () => {
    const dir = tempTree({
      'netstat.txt': ['13/03/2023 10:00:00.00', '14/03/2023 10:00:00.00', '03/14/2023 10:02:00.00']
        .map((s, i) => snapshot(s, 3 + i))
        .join(''),
    })
    const a = await runAnalysis([dir], {})
    expect(a.document.snapshots).toBe(3)
    expect(rowsOnTimeline(a)).toBe(3 + 4 + 5)
  })
})

/** A generated loop whose stamp lines are rewritten: `stamp(i, t)` gives snapshot i's stamp for its time t (ms). */
function restamped(s: LoopScenario, stamp: (i: number, t: number) => string): string {
  const scenario = {...s, jitter: 0, gaps: []}
  return [...generateLoop(scenario)]
    .map((chunk, i) => stamp(i, scenario.start.getTime() + i * scenario.interval * 1000) + chunk.slice(chunk.indexOf('\r\n')))
    .join('')
}

const leakOf = (a: Analysis) => a.document.findings.find((f) => f.process === 'LeakyAgent.exe' && f.kind === 'monotonic-growth')

describe('stamps that change style half way', () => {
  // 3 November 2023 was a Friday: en-US writes `Fri 11/03/2023`, de-DE `03.11.2023`; read month-first,
  // the dotted half would be 11 March, months before the first half.
  const start = new Date(Date.UTC(2023, 10, 3, 8, 55))
  const text = restamped({...SCENARIOS.boundLeak, start}, (i, t) => stampLine(new Date(t), i < 20 ? 'en-US' : 'de'))

  it('reads the en-US half month-first and the de-DE half day-first, each its own evidence', async () => {
    const dir = tempTree({'netstat.txt': text})
    const [input] = (await inspectInputs([dir], {})).inputs
    expect(input!.timeRange).toEqual({start: '2023-11-03T08:55:00.000', end: '2023-11-03T09:34:00.000'})
    expect(input!.notes.dateOrders).toMatch(/^\/ mdy \(weekday, 20 stamps\); \. dmy \(\w+, 20 stamps\)$/)
  })

  it('keeps a clear leak a leak, at its real rate and cadence', async () => {
    const a = await runAnalysis([tempTree({'netstat.txt': text})], {})
    expect(a.document.sampling).toMatchObject({medianIntervalSeconds: 60, maxIntervalSeconds: 60, gaps: [], backwardSteps: 0})
    expect(leakOf(a)).toMatchObject({severity: 'critical'})
    expect(leakOf(a)!.slopePerHour).toBeGreaterThan(600)
  })

  it('decides each style by its own unambiguous stamps too (13/03 slash, 03.13 never written)', async () => {
    const dir = tempTree({
      'netstat.txt': ['Mon 03/13/2023 10:00:00.00', 'Mon 03/13/2023 10:01:00.00', '13.03.2023 10:02:00,00', '13.03.2023 10:03:00,00']
        .map((s, i) => snapshot(s, 3 + i))
        .join(''),
    })
    const [input] = (await inspectInputs([dir], {})).inputs
    expect(input!.timeRange).toEqual({start: '2023-03-13T10:00:00.000', end: '2023-03-13T10:03:00.000'})
    expect(input!.notes.dateOrders).toBe('/ mdy (unambiguous, 2 stamps); . dmy (unambiguous, 2 stamps)')
  })
})

describe('weekday names settle the day/month order', () => {
  it('reads Fri 03/10/2023 as 10 March (a Friday; 3 October 2023 was a Tuesday) and says why', async () => {
    const dir = tempTree({'netstat.txt': ['Fri 03/10/2023 14:05:00.12', 'Fri 03/10/2023 14:06:00.12'].map((s) => snapshot(s, 3)).join('')})
    const [input] = (await inspectInputs([dir], {})).inputs
    expect(input).toMatchObject({dateOrder: 'mdy', dateOrderSource: 'weekday', timeRange: {start: '2023-03-10T14:05:00.120'}})
    expect(renderInspect([input!])).toMatch(/date order mdy \(weekday\)/)
  })

  it('reads a weekday that only fits day-first day-first, against the en-US convention', async () => {
    // Tue 03/10/2023: 3 October 2023 was a Tuesday, 10 March a Friday.
    const dir = tempTree({'netstat.txt': ['Tue 03/10/2023 14:05:00.12', 'Tue 03/10/2023 14:06:00.12'].map((s) => snapshot(s, 3)).join('')})
    const [input] = (await inspectInputs([dir], {})).inputs
    expect(input).toMatchObject({dateOrder: 'dmy', dateOrderSource: 'weekday', timeRange: {start: '2023-10-03T14:05:00.120'}})
  })

  it('knows weekday abbreviations of other languages (lun. 03/04/2023 is 3 April, a Monday)', () => {
    const p = parseStamp('lun. 03/04/2023 14:05:00,12')!
    const r = new StampResolver()
    r.add(p)
    expect(r.resolve()).toMatchObject({order: 'dmy', source: 'weekday'})
  })

  it('stays assumed when there is no weekday, and a flag still wins over a weekday', () => {
    const r = new StampResolver()
    r.add(parseStamp('03/10/2023 14:05:00.12'))
    expect(r.resolve().source).toBe('assumed')
    const w = new StampResolver()
    w.add(parseStamp('Fri 03/10/2023 14:05:00.12'))
    expect(w.resolve('dmy')).toMatchObject({order: 'dmy', source: 'flag'})
  })
})

describe('daylight-saving changes inside a loop', () => {
  // 29 October 2023, Europe: at 03:00 summer time the clock goes back to 02:00. A one-minute loop from
  // 01:30 to 03:30 on the clock before the change writes 01:30…02:59, then 02:00…02:29 again.
  const autumn = restamped({...SCENARIOS.boundLeak, snapshots: 120, start: new Date(Date.UTC(2023, 9, 29, 1, 30))}, (_, t) => {
    const wall = t >= Date.UTC(2023, 9, 29, 3, 0) ? t - 3_600_000 : t
    return stampLine(new Date(wall), 'en-GB')
  })
  // 26 March 2023: at 02:00 the clock goes forward to 03:00: 01:30…01:59, then 03:00…
  const spring = restamped({...SCENARIOS.boundLeak, snapshots: 120, start: new Date(Date.UTC(2023, 2, 26, 1, 30))}, (_, t) => {
    const wall = t >= Date.UTC(2023, 2, 26, 2, 0) ? t + 3_600_000 : t
    return stampLine(new Date(wall), 'en-GB')
  })

  it('keeps the order of the repeated hour in autumn, at the loop\'s cadence, and notes the change', async () => {
    const dir = tempTree({'netstat.txt': autumn})
    const [input] = (await inspectInputs([dir], {})).inputs
    expect(input!.notes.clockChanges).toMatch(/clock back 1 h at snapshot 91 \(2023-10-29T02:59:00 then 02:00:00, daylight saving\): later times shown \+1 h/)
    const a = await runAnalysis([dir], {})
    expect(a.document.sampling).toMatchObject({medianIntervalSeconds: 60, minIntervalSeconds: 60, maxIntervalSeconds: 60, backwardSteps: 0, gaps: []})
    expect(a.timeline.sources.map((s) => s.index)).toEqual(a.timeline.sources.map((_, i) => i))
  })

  it('keeps a leak across the autumn change a leak, as without the change', async () => {
    const plain = restamped({...SCENARIOS.boundLeak, snapshots: 120, start: new Date(Date.UTC(2023, 9, 29, 1, 30))}, (_, t) => stampLine(new Date(t), 'en-GB'))
    const [folded, straight] = await Promise.all([runAnalysis([tempTree({'n.txt': autumn})], {}), runAnalysis([tempTree({'n.txt': plain})], {})])
    expect(leakOf(folded)).toMatchObject({severity: leakOf(straight)!.severity, slopePerHour: leakOf(straight)!.slopePerHour})
    expect(folded.document.verdict.status).toBe(straight.document.verdict.status)
  })

  it('does not read the spring change as a collection gap', async () => {
    const dir = tempTree({'netstat.txt': spring})
    const [input] = (await inspectInputs([dir], {})).inputs
    expect(input!.notes.clockChanges).toMatch(/clock forward 1 h at snapshot 31 \(2023-03-26T01:59:00 then 03:00:00, daylight saving\): later times shown -1 h/)
    const a = await runAnalysis([dir], {})
    expect(a.document.sampling).toMatchObject({maxIntervalSeconds: 60, gaps: []})
    expect(leakOf(a)).toBeTruthy()
  })

  it('leaves a real pause of an hour in the afternoon, and a step back of two hours, as they are', () => {
    const t = (h: number, m: number) => Date.UTC(2023, 2, 14, h, m)
    expect(clockChangesOf([t(14, 0), t(14, 1), t(14, 2), t(15, 3), t(15, 4)])).toEqual([])
    expect(clockChangesOf([t(2, 0), t(2, 1), t(2, 2), t(0, 3), t(0, 4)])).toEqual([])
    // At night but the cadence broke: a step back of an hour after a 10-minute pause is no clock change.
    expect(clockChangesOf([t(2, 0), t(2, 1), t(2, 2), t(1, 12), t(1, 13)])).toEqual([])
  })
})

describe('committed bad inputs for stamps', () => {
  it('reads netstat-en-us-then-de.txt all on 3 November 2023, each style in its order', async () => {
    const [input] = (await inspectInputs([`${BAD}netstat-en-us-then-de.txt`], {})).inputs
    expect(input).toMatchObject({snapshots: 4, timeRange: {start: '2023-11-03T08:55:00.000', end: '2023-11-03T08:58:00.000'}})
    expect(input!.notes.dateOrders).toMatch(/^\/ mdy \(weekday, 2 stamps\); \. dmy /)
  })

  it('reads netstat-clock-forward.txt as a spring change, not a gap of 75 minutes', async () => {
    const path = `${BAD}netstat-clock-forward.txt`
    const [input] = (await inspectInputs([path], {})).inputs
    expect(input!.notes.clockChanges).toMatch(/^clock forward 1 h at snapshot 3 /)
    const a = await runAnalysis([path], {})
    expect(a.document.sampling).toMatchObject({maxIntervalSeconds: 900, gaps: [], backwardSteps: 0})
  })
})
