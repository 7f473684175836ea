import {describe, expect, it} from 'vitest'

import {commonLoad, fisherCombine, hostLoad, loadRises, scanSeries} from '../../src/analysis/scan.js'
import {median} from '../../src/analysis/stats-core.js'
import {trendTest} from '../../src/analysis/stats-trend.js'
import {FAMILIES, noise, type NoiseKind} from '../../src/synth/families.js'
import {prng} from '../../src/synth/loop.js'
import {runFamily} from '../../src/synth/monte-carlo.js'

const KINDS: NoiseKind[] = ['iid', 'poisson', 'bursts', 'ar05', 'ar09']
const minutes = (n: number) => Float64Array.from({length: n}, (_, i) => i * 60_000)

/** Share of trend-free series of length n (all noise kinds pooled) that the test alone calls increasing at 5 %. */
function falseAlarms(n: number, reps: number, seed: number): number {
  let hits = 0
  let runs = 0
  for (const kind of KINDS) {
    const r = prng(seed * 1000 + n * 7 + KINDS.indexOf(kind))
    for (let k = 0; k < reps; k++) {
      const v = Float64Array.from(noise(r, kind, n, 20), (x) => Math.round(60 + 10 * x))
      if (trendTest(minutes(n), v).checks.trend) hits++
      runs++
    }
  }
  return hits / runs
}

describe('detector calibration (docs/detection.md)', () => {
  // 5 kinds × 120 runs: the binomial standard error at 5 % is 0.9 points; 8 % is over three of them.
  it.each([12, 30, 60, 120])('the trend test alone holds its 5 %% level on generated noise, %i snapshots', (n) => {
    expect(falseAlarms(n, 120, 3)).toBeLessThan(0.08)
  })

  it('pays for choosing a window: Bonferroni over the windows tested', () => {
    const r = prng(9)
    const n = 60
    const v = Float64Array.from(noise(r, 'iid', n, 0), (x, i) => 40 + 3 * x + (i > 36 ? 1.5 * (i - 36) : 0))
    const s = scanSeries(minutes(n), v, null)
    expect(s.increasing).toBe(true)
    expect(s.windows).toBeGreaterThan(1)
    expect(s.p).toBeCloseTo(Math.min(1, s.best.p * s.windows), 12)
  })

  it('does not call a series rising with the host load a leak', () => {
    const n = 90
    const r = prng(4)
    const load = Float64Array.from({length: n}, (_, i) => (i < 45 ? 1 : 1.6))
    const v = Float64Array.from(noise(r, 'iid', n, 0), (x, i) => 50 * load[i]! + 3 * x)
    expect(scanSeries(minutes(n), v, null).increasing).toBe(true)
    const s = scanSeries(minutes(n), v, load)
    expect(s.best.loadAdjusted || s.p === 1).toBe(true)
    expect(s.p).toBeGreaterThan(0.01)
  })

  it('holds a series against the rest of the host: the load leaves the series tested out', () => {
    const n = 30
    const r = prng(21)
    const positions = Array.from({length: n}, (_, i) => i)
    // Five steady services and one leaker whose ports go from 40 to 98.
    const steady = Array.from({length: 5}, (_, k) => Float64Array.from(noise(r, 'iid', n, 0), (x) => 60 + 10 * k + 4 * x))
    const leaker = Float64Array.from({length: n}, (_, i) => 40 + 2 * i)
    const all = [...steady, leaker]
    const rise = (l: Float64Array) => l.subarray(n - 8).reduce((a, x) => a + x, 0) / 8 - l.subarray(0, 8).reduce((a, x) => a + x, 0) / 8
    const withIt = commonLoad(all, positions)!
    const without = commonLoad(all, positions, 4, 5)!
    // In the median of six, the leaker moves from the bottom to the top and drags the load up with it.
    expect(rise(withIt)).toBeGreaterThan(rise(without) + 0.02)
    expect(Math.abs(rise(without))).toBeLessThan(0.05)
    // Leaving a series out never leaves fewer references than the count that made a load at all.
    expect(commonLoad(all.slice(0, 3), positions)).toBeNull()
  })

  it('computes the load without any one reference exactly as the median of the others (ties, odd and even counts)', () => {
    const r = prng(23)
    const n = 15
    const positions = Array.from({length: n}, (_, i) => i)
    for (let rep = 0; rep < 60; rep++) {
      const refs = 4 + (rep % 7)
      // Small integer counts, so ratios tie; one absent series that is no reference.
      const series = [...Array.from({length: refs}, () => Int32Array.from({length: n}, () => 5 + Math.floor(r() * 4))), new Int32Array(n)]
      const means = series.map((v) => v.reduce((a, x) => a + x, 0) / n)
      const host = hostLoad(series, positions)!
      for (let ex = -1; ex <= refs; ex++) {
        const got = host.without(ex)
        positions.forEach((k) => {
          const others = series.flatMap((v, i) => (i === ex || i === refs ? [] : [v[k]! / means[i]!]))
          expect(got[k]).toBeCloseTo(median(Float64Array.from(others)), 12)
        })
      }
    }
  })

  it('takes a rise of the load for real only when it stands out of the load’s own noise', () => {
    const n = 30
    const r = prng(22)
    let noisy = 0
    const reps = 300
    for (let k = 0; k < reps; k++) {
      // A flat load, the median over a handful of processes: about 7 % noise.
      if (loadRises(Float64Array.from(noise(r, 'iid', n, 0), (x) => 1 + 0.07 * x))) noisy++
    }
    // Without the noise rule, "10 % above the first quarter" held on about a fifth of these.
    expect(noisy / reps).toBeLessThan(0.08)
    const step = (at: number, to: number, sd: number) => Float64Array.from(noise(r, 'iid', n, 0), (x, i) => (i < at ? 1 : to) + sd * x)
    // A busy hour (×1.6) is a rise however noisy the load, early or in the last eighth; so is a clean 12 % step.
    for (const at of [10, 20, 26]) expect(loadRises(step(at, 1.6, 0.07)), `step at ${at}`).toBe(true)
    expect(loadRises(step(15, 1.12, 0))).toBe(true)
    expect(loadRises(step(15, 1.05, 0))).toBe(false)
  })

  it("combines independent p-values by Fisher's method", () => {
    expect(fisherCombine([1, 1])).toBeCloseTo(1, 12)
    expect(fisherCombine([0.05])).toBeCloseTo(0.05, 12)
    // χ²(4) tail at −2 ln(0.01 · 0.02) = 17.03: 0.00190.
    expect(fisherCombine([0.01, 0.02])).toBeCloseTo(0.0019, 4)
  })

  const family = (id: string) => FAMILIES.find((f) => f.id === id)!
  it('small Monte Carlo through the whole pipeline: quiet on healthy servers, names the leakers', async () => {
    for (const id of ['iid', 'ar-0.9', 'daily-cycle', 'busy-hour']) {
      const row = await runFamily(family(id), 3, 101)
      expect(row.anyGrowth, id).toBe(0)
    }
    for (const id of ['leak-CLOSE_WAIT-0.1', 'late-60pc', 'sawtooth-nonames']) {
      const row = await runFamily(family(id), 2, 101)
      expect(row.found, id).toBe(1)
      expect(row.wrong, id).toBe(0)
    }
    const stopped = await runFamily(family('stopped-half'), 2, 101)
    expect(stopped.stoppedReported).toBe(1)
  }, 120_000)
})
