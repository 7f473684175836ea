import {describe, expect, it} from 'vitest'

import type {Analysis} from '../../src/model/types.js'
import {ephemeralChart} from '../../src/report/charts.js'
import {capRows, CHART_MARKS, CHART_POINTS, extremaIndexes, gapsOf, hitSamples, spread, thinRuns} from '../../src/report/downsample.js'
import {renderHtml} from '../../src/report/html.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {buildReportModel} from '../../src/report/model.js'
import {analyzeScenario} from '../helpers/run.js'

/** A deterministic wiggle with one spike. */
const wave = (n: number, spikeAt: number) => Array.from({length: n}, (_, i) => (i === spikeAt ? 5000 : 10 + ((i * 7919) % 23)))

describe('downsampling for reports', () => {
  it('keeps every bucket\'s lowest and highest value, the ends, and no more than the bound', () => {
    const values = wave(100_000, 73_051)
    values[12_345] = -7
    const keep = extremaIndexes(values.length, (i) => values[i]!)
    expect(keep.length).toBeLessThanOrEqual(CHART_POINTS)
    expect(keep).toContain(73_051)
    expect(keep).toContain(12_345)
    expect([keep[0], keep.at(-1)]).toEqual([0, 99_999])
    expect(keep).toEqual([...keep].sort((a, b) => a - b))
    expect(extremaIndexes(5, (i) => values[i]!)).toEqual([0, 1, 2, 3, 4])
  })

  it('thins runs in proportion, joins runs too many to draw apart, and keeps the peak', () => {
    const points = wave(50_000, 40_000).map((y, x) => ({x, y}))
    const runs = thinRuns([points.slice(0, 10_000), points.slice(10_000)])
    expect(runs.length).toBe(2)
    expect(runs.flat().length).toBeLessThanOrEqual(CHART_POINTS + 4)
    expect(runs[1]!.some((p) => p.y === 5000)).toBe(true)
    const dots = points.map((p) => [p])
    const joined = thinRuns(dots)
    expect(joined.length).toBe(1)
    expect(joined[0]!.some((p) => p.y === 5000)).toBe(true)
  })

  it('bounds hover targets, gap bands and markers, and widens the step for thinned hover targets', () => {
    const xs = Array.from({length: 10_000}, (_, i) => i * 10_000 + Math.floor(i / 10) * 600_000)
    const hits = hitSamples(xs, 90_000)
    expect(hits.present.length).toBeLessThanOrEqual(600)
    expect(hits.maxStep).toBeGreaterThan(90_000)
    const gaps = gapsOf(xs, 90_000)
    expect(gaps.length).toBe(CHART_MARKS)
    expect(gaps.every(([a, b]) => b > a)).toBe(true)
    expect(spread(Array.from({length: 1000}, (_, i) => i))).toHaveLength(CHART_MARKS)
  })

  it('caps a long table with a note pointing to export', () => {
    const {rows, note} = capRows(Array.from({length: 250}, (_, i) => i))
    expect(rows).toHaveLength(200)
    expect(note).toBe('50 more rows not shown; portleak export writes them all.')
    expect(capRows([1, 2]).note).toBeNull()
  })
})

/**
 * The analysis of a short loop stretched to `n` snapshots 10 s apart (its per-snapshot series tiled),
 * with the busiest address's ports at `spike` in snapshot `spikeAt` alone.
 */
function stretch(a: Analysis, n: number, spikeAt: number, spike: number): Analysis {
  const t = a.timeline
  const m = t.times.length
  const ints = (arr: Int32Array) => Int32Array.from({length: n}, (_, i) => arr[i % m]!)
  const tile = <T>(arr: readonly T[]) => Array.from({length: n}, (_, i) => arr[i % m]!)
  const byState = (r: Partial<Record<string, Int32Array>>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, ints(v!)]))
  const ephemeralInUse = ints(t.ephemeralInUse)
  if (spikeAt >= 0) ephemeralInUse[spikeAt] = spike
  const t0 = t.times[0]!
  return {
    ...a,
    timeline: {
      ...t,
      times: Array.from({length: n}, (_, i) => t0 + i * 10_000),
      truncated: tile(t.truncated),
      rows: ints(t.rows),
      ephemeralInUse,
      ephemeralAddr: tile(t.ephemeralAddr),
      totalsByState: byState(t.totalsByState),
      processes: t.processes.map((p) => ({
        ...p,
        first: 0,
        last: n - 1,
        byState: byState(p.byState),
        timeWaitAttributed: ints(p.timeWaitAttributed),
        timeWaitAffinity: p.timeWaitAffinity && ints(p.timeWaitAffinity),
        udp: ints(p.udp),
        ports: ints(p.ports),
        ephemeral: ints(p.ephemeral),
      })),
      sources: undefined,
      portsUnknown: undefined,
    },
  }
}

/** The highest point (lowest y) of the ephemeral chart's line. */
function topY(a: Analysis): number {
  const svg = ephemeralChart(a, buildReportModel(a))
  const d = /<path class="series main" d="([^"]+)"/.exec(svg)![1]!
  return Math.min(...[...d.matchAll(/[ML][\d.-]+ ([\d.-]+)/g)].map((m) => Number(m[1])))
}

describe('reports of 100,000 snapshots', () => {
  it('stay under 2 MB in HTML and markdown and still draw the one-snapshot peak', async () => {
    const base = await analyzeScenario({
      seed: 4, snapshots: 60, interval: 10, start: new Date(Date.UTC(2023, 2, 10, 8)), dateStyle: 'iso', owners: true, bound: true,
      processes: [
        {pid: 4312, name: 'LeakyAgent.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: 900}},
        {pid: 1712, name: 'svchost.exe', listen: [135], behaviour: {kind: 'steady', established: 20, noise: 6, timeWaitChurn: 3}},
      ],
    })
    const big = stretch(base, 100_000, 73_051, 9000)
    const html = renderHtml(big, {})
    const md = renderMarkdown(big, {})
    expect(html.length).toBeLessThan(2 * 1024 ** 2)
    expect(md.length).toBeLessThan(2 * 1024 ** 2)
    // The peak is drawn where an unthinned chart of a short series with the same spike draws it.
    expect(topY(big)).toBe(topY(stretch(base, 600, 300, 9000)))
    expect(topY(big)).toBeLessThan(topY(stretch(base, 100_000, -1, 0)))
    // the markdown's range-use table keeps the peak snapshot as a row of its own
    expect(md.split('\n').some((l) => l.startsWith('|') && l.includes('9,000'))).toBe(true)
  }, 240_000)
})
