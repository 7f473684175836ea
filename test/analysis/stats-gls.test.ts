import {describe, expect, it} from 'vitest'

import {normalQuantile} from '../../src/analysis/stats-core.js'
import {estimatePhi, GLS_CALIBRATION, GLS_LINE_CALIBRATION, glsTrend, glsVarianceScale, tToZ} from '../../src/analysis/stats-gls.js'
import {trendTest} from '../../src/analysis/stats-trend.js'
import {noise, type NoiseKind} from '../../src/synth/families.js'
import {prng} from '../../src/synth/loop.js'

/** The calibrated test, φ estimated around the best hinge (default) or around a line, with that estimate's table. */
const calibrated = (v: Float64Array, shape: 'hinge' | 'line' = 'hinge') => {
  const phi = estimatePhi(v, shape)
  return glsTrend(v, {phi, varianceScale: glsVarianceScale(v.length, phi, shape === 'line' ? GLS_LINE_CALIBRATION : GLS_CALIBRATION)})
}

describe('Prais-Winsten slope test (stats-gls.ts)', () => {
  it("maps Student-t tails to normal scores (Wallace's approximation)", () => {
    // t(10) 0.975 quantile 2.228, t(5) 0.999 quantile 5.893, t(30) 0.95 quantile 1.697.
    expect(tToZ(2.228, 10)).toBeCloseTo(normalQuantile(0.975), 1)
    expect(tToZ(5.893, 5)).toBeCloseTo(normalQuantile(0.999), 1)
    expect(tToZ(1.697, 30)).toBeCloseTo(normalQuantile(0.95), 2)
    expect(tToZ(-2.228, 10)).toBeCloseTo(-tToZ(2.228, 10), 12)
  })

  it('estimates a high φ for AR(0.9) noise and a low one for white noise', () => {
    const r = prng(12)
    const white = Float64Array.from(noise(r, 'iid', 120, 0), (x) => 50 + 8 * x)
    const ar = Float64Array.from(noise(r, 'ar09', 120, 0), (x) => 50 + 8 * x)
    expect(estimatePhi(white)).toBeLessThan(0.25)
    expect(estimatePhi(ar)).toBeGreaterThan(0.6)
  })

  it('estimates short AR(0.9) noise near 0.9, not half way, and a ramp over white noise near 0 (REML)', () => {
    const r = prng(13)
    const reps = 300
    const ar: number[] = []
    let highRamp = 0
    for (let k = 0; k < reps; k++) {
      ar.push(estimatePhi(Float64Array.from(noise(r, 'ar09', 30, 0), (x) => Math.round(50 + 8 * x))))
      if (estimatePhi(Float64Array.from(noise(r, 'iid', 30, 0), (x, i) => Math.round(30 + 5 * x + 2 * i))) > 0.25) highRamp++
    }
    ar.sort((x, y) => x - y)
    // The moment estimate around the least-squares hinge had a median of 0.69 and put 17 % of these at φ ≤ 0.5,
    // where the plug-in bound fell far short of 0.9 and the test had to pay a factor of 5.8; REML: 0.82 and 8 %.
    expect(ar[reps / 2]).toBeGreaterThan(0.76)
    expect(ar.filter((x) => x <= 0.5).length / reps).toBeLessThan(0.12)
    // White noise under a ramp: φ̂ > 0.25 about one time in eighteen (the estimate's own spread at 30 points).
    expect(highRamp / reps).toBeLessThan(0.12)
  })

  it('does not read growth that starts late as persistence: the knot is estimated with φ', () => {
    const r = prng(14)
    const phis: number[] = []
    for (let k = 0; k < 100; k++) {
      // 23 points, flat for 5, then 3 per point over noise of sd 5: the late window of a leak starting at 60 %.
      phis.push(estimatePhi(Float64Array.from(noise(r, 'iid', 23, 0), (x, i) => Math.round(30 + 5 * x + 3 * Math.max(0, i - 5)))))
    }
    phis.sort((x, y) => x - y)
    // Around a straight line the same series had a median φ̂ of about 0.3 and a quarter above 0.45.
    expect(phis[50]).toBeLessThan(0.12)
    expect(phis[75]).toBeLessThan(0.3)
  })

  // The level the calibration promises, per kind (φ = 0.9 included), on seeds the calibration did not use.
  const KINDS: NoiseKind[] = ['iid', 'poisson', 'bursts', 'ar05', 'ar09']
  it.each([12, 30, 60, 120])('holds its one-per-cent level on every noise kind alone, %i points (both estimates of φ)', (n) => {
    for (const shape of ['hinge', 'line'] as const) {
      for (const kind of KINDS) {
        const r = prng(7000 + n * 13 + KINDS.indexOf(kind))
        let hits = 0
        const reps = 600
        for (let k = 0; k < reps; k++) {
          const v = Float64Array.from(noise(r, kind, n, 20), (x) => Math.round(50 + 8 * x))
          if (calibrated(v, shape).pIncreasing < 0.01) hits++
        }
        // Binomial sd at 1 % over 600 runs is 0.4 points; 2.5 % is well over three of them.
        expect(hits / reps, `${shape} ${kind}`).toBeLessThan(0.025)
      }
    }
  })

  it('finds a 30-point ramp of 0.4 noise sd per point over white noise at a small p', () => {
    const r = prng(31)
    const ps: number[] = []
    for (let k = 0; k < 50; k++) {
      const v = Float64Array.from(noise(r, 'iid', 30, 0), (x, i) => Math.round(30 + 5 * x + 2 * i))
      ps.push(calibrated(v, 'line').pIncreasing)
    }
    ps.sort((a, b) => a - b)
    // φ estimated around a line, the test for short ramps: where φ̂ looks white the ramp is many standard errors
    // away; where white noise happens to look a little persistent it no longer pays what φ = 0.9 costs at this
    // length (REML puts φ = 0.9 high; docs/detection.md). The hinge-moment estimate with its factors of up to 5.8:
    // median 7e-9, 43 of 50 below 1e-5.
    expect(ps[25]).toBeLessThan(1e-9)
    expect(ps.filter((p) => p < 1e-5).length).toBeGreaterThanOrEqual(45)
  })

  it('is the test that fires on a short ramp, and the evidence says so', () => {
    const r = prng(44)
    const v = Float64Array.from(noise(r, 'iid', 30, 0), (x, i) => Math.round(30 + 5 * x + 2 * i))
    const res = trendTest(
      Float64Array.from(v, (_, i) => i * 60_000),
      v,
    )
    expect(res.increasing).toBe(true)
    expect(['gls-slope', 'gls-slope-line']).toContain(res.fired)
    // Four tests below 60 samples: Mann-Kendall on the means, the two GLS slopes, the random-walk rise.
    expect(res.pValue).toBeCloseTo(4 * Math.min(res.gls.pIncreasing, res.glsLine.pIncreasing), 12)
  })

  it('finds growth that starts late with the hinge estimate and a short ramp over white noise with the line one', () => {
    const minutes = (n: number) => Float64Array.from({length: n}, (_, i) => i * 60_000)
    const r = prng(45)
    let lateHinge = 0
    let lateLine = 0
    let rampLine = 0
    let rampHinge = 0
    for (let k = 0; k < 40; k++) {
      // The late window of a leak starting at 60 % of 45 snapshots: flat for 5 of 23 points, then 3 per point.
      const late = Float64Array.from(noise(r, 'iid', 23, 0), (x, i) => Math.round(30 + 5 * x + 3 * Math.max(0, i - 5)))
      const a = trendTest(minutes(23), late)
      if (a.gls.pIncreasing < 1e-4) lateHinge++
      if (a.glsLine.pIncreasing < 1e-4) lateLine++
      const ramp = Float64Array.from(noise(r, 'iid', 30, 0), (x, i) => Math.round(30 + 5 * x + 2 * i))
      const b = trendTest(minutes(30), ramp)
      if (b.glsLine.pIncreasing < 1e-6) rampLine++
      if (b.gls.pIncreasing < 1e-6) rampHinge++
    }
    // Each test is there for what the other misses (docs/detection.md).
    expect(lateHinge).toBeGreaterThan(lateLine + 5)
    expect(rampLine).toBeGreaterThan(rampHinge)
    expect(rampLine).toBeGreaterThanOrEqual(36)
  })

  it('does not fire on a flat or a falling series', () => {
    expect(glsTrend(new Float64Array(20).fill(7)).pIncreasing).toBe(1)
    const down = Float64Array.from({length: 30}, (_, i) => 100 - 2 * i + (i % 3))
    expect(glsTrend(down).pIncreasing).toBeGreaterThan(0.5)
  })
})
