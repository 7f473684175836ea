import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import type {Analysis} from '../../src/model/types.js'
import {inspectInputs, runAnalysis} from '../../src/pipeline.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {loopText} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'
import {snapshot, tempTree} from './helpers.js'

const BAD = fileURLToPath(new URL('../../corpus/bad/', import.meta.url))
const rowsOnTimeline = (a: Analysis) => a.timeline.rows.reduce((x, y) => x + y, 0)
const nonDecreasing = (times: readonly (number | null)[]) => times.every((t, i) => i === 0 || (t ?? 0) >= (times[i - 1] ?? 0))

describe('timestamps that go backwards', () => {
  it('counts the step back of a clock change and keeps every snapshot, in time order', async () => {
    const path = `${BAD}netstat-clock-back.txt`
    const [input] = (await inspectInputs([path], {})).inputs
    const a = await runAnalysis([path], {})
    expect(a.document.sampling.backwardSteps).toBe(1)
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
