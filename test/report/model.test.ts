import {describe, expect, it} from 'vitest'

import {formatDuration, formatInt, formatRate} from '../../src/report/format.js'
import {buildReportModel, downsampleMax, maxStepFor, segments, sparkline} from '../../src/report/model.js'
import {makeFixtureAnalysis} from '../fixtures/analysis-fixture.js'

const MIN = 60_000

describe('segments', () => {
  it('breaks runs at missing samples, backward steps and steps above the limit', () => {
    const points = [
      {x: 0, y: 1}, {x: MIN, y: 2}, {x: null, y: 3}, {x: 3 * MIN, y: 4}, {x: 4 * MIN, y: null},
      {x: 5 * MIN, y: 5}, {x: 6 * MIN, y: 6}, {x: 30 * MIN, y: 7}, {x: 29 * MIN, y: 8},
    ]
    expect(segments(points, 3 * MIN).map((r) => r.map((p) => p.y))).toEqual([[1, 2], [4], [5, 6], [7], [8]])
    expect(segments(points, null).map((r) => r.map((p) => p.y))).toEqual([[1, 2], [4], [5, 6, 7], [8]])
  })

  it('allows three median steps (at least 90 s) before calling it a gap', () => {
    expect(maxStepFor([0, MIN, 2 * MIN, 3 * MIN, 20 * MIN], true)).toBe(3 * MIN)
    expect(maxStepFor([0, 10_000, 20_000], true)).toBe(90_000)
    expect(maxStepFor([0, 1, 2], false)).toBeNull()
    expect(maxStepFor([null, null], true)).toBeNull()
  })
})

describe('downsampleMax and sparkline', () => {
  it('keeps the peak of each bucket and null for empty buckets', () => {
    expect(downsampleMax([1, 5, 2, null, null, null, 3], 3)).toEqual([{value: 5, index: 0}, {value: null, index: 3}, {value: 3, index: 6}])
  })

  it('scales from zero to the maximum and leaves gaps blank', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█')
    expect(sparkline([0, 0, 0])).toBe('▁▁▁')
    expect(sparkline([4, null, 8])).toBe('▅ █')
    expect(sparkline(Array.from({length: 1000}, (_, i) => i), 40)).toHaveLength(40)
  })
})

describe('buildReportModel', () => {
  const model = buildReportModel(makeFixtureAnalysis())

  it('orders culprits by severity and charts each process and state once', () => {
    expect(model.culprits.map((c) => `${c.finding.severity}:${c.finding.state}:${c.chart}`)).toEqual([
      'critical:BOUND:true', 'high:CLOSE_WAIT:true', 'high:HANDLES:true', 'medium:BOUND:false',
    ])
  })

  it('sums a sawtooth culprit over its PIDs', () => {
    const w3wp = model.culprits[1]!
    expect(w3wp.pids).toEqual([5120, 6244])
    expect(w3wp.points).toHaveLength(300)
    expect(w3wp.points[149]!.y).toBeGreaterThan(1300)
    expect(w3wp.points[150]!.y).toBeLessThan(100)
  })

  it('fits the Sen line through the series and projects it to the exhaustion time', () => {
    const leaky = model.culprits[0]!
    const at = (x: number) => leaky.trend!.intercept + leaky.trend!.slopePerMs * x
    expect(Math.abs(at(leaky.trend!.from) - 50)).toBeLessThan(150)
    expect(Math.abs(at(leaky.trend!.to) - 9000)).toBeLessThan(150)
    expect(leaky.projection!.to.x).toBe(Date.UTC(2026, 0, 14, 16, 33, 4))
    expect(Math.abs(leaky.projection!.to.y! - 16_384)).toBeLessThan(200)
    expect(leaky.limit).toBe(16_384)
  })

  it('uses handle listing points for handle culprits', () => {
    const handles = model.culprits[2]!
    expect(handles.points).toHaveLength(30) // the dump point has no time
    expect(handles.states.map((s) => s.state)).toEqual(['HANDLES', 'AFD'])
    expect(handles.maxStep).toBe(30 * MIN)
  })
})

describe('format', () => {
  it('formats numbers, rates and durations the same on every machine', () => {
    expect(formatInt(1234567)).toBe('1,234,567')
    expect(formatInt(-16384)).toBe('-16,384')
    expect(formatInt(null)).toBe('–')
    expect(formatRate(1796.4)).toBe('+1,796/h')
    expect(formatRate(-2.25)).toBe('-2.3/h')
    expect(formatDuration(45)).toBe('45 s')
    expect(formatDuration(960)).toBe('16 min')
    expect(formatDuration(90)).toBe('1.5 min')
    expect(formatDuration(18_840)).toBe('5 h 14 min')
    expect(formatDuration(3 * 86_400 + 7200)).toBe('3 d 2 h')
  })
})
