import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {binByTime, median, mkVariance, normalQuantile, orderStatistic, senSlope} from '../../src/analysis/stats.js'
import type {Numbers} from '../../src/analysis/stats.js'

/**
 * The fast paths of the statistics against the straightforward code they replaced, kept here: the outputs must be
 * the same to the bit (Object.is: the sign of a zero included), whatever the series.
 */

const T0 = Date.UTC(2026, 0, 5)

/** Sen's slope as first written: every finite pairwise slope in pair order, three selections. */
function senSlopeReference(times: Numbers, values: Numbers, options: {alpha?: number; maxPoints?: number; varianceFactor?: number} = {}) {
  const alpha = options.alpha !== undefined && options.alpha > 0 && options.alpha < 1 ? options.alpha : 0.05
  const factor = options.varianceFactor !== undefined && options.varianceFactor > 0 ? options.varianceFactor : 1
  const maxPoints = Math.max(2, Math.min(300, Math.floor(options.maxPoints ?? 300)))
  const n = Math.min(times.length, values.length)
  const keep: number[] = []
  for (let i = 0; i < n; i++) if (Number.isFinite(times[i]) && Number.isFinite(values[i])) keep.push(i)
  const binned = keep.length > maxPoints
  const b = binned ? binByTime(times, values, maxPoints, 'mean') : null
  const t = b ? b.t : Float64Array.from(keep, (i) => times[i]!)
  const v = b ? b.v : Float64Array.from(keep, (i) => values[i]!)
  const m = t.length
  const slopes = new Float64Array((m * (m - 1)) / 2)
  let pairs = 0
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const slope = (v[j]! - v[i]!) / (t[j]! - t[i]!)
      if (Number.isFinite(slope)) slopes[pairs++] = slope
    }
  }
  if (pairs === 0) return {slope: 0, low: 0, high: 0, intercept: m > 0 ? median(v) : 0, points: m, pairs, binned}
  const all = slopes.subarray(0, pairs)
  const mid = (pairs - 1) / 2
  const slope = orderStatistic(all, mid)
  const c = normalQuantile(1 - alpha / 2) * Math.sqrt(mkVariance(v) * factor)
  const split = Math.floor(mid)
  const low = orderStatistic(all, (pairs - c) / 2 - 1, 0, split)
  const high = orderStatistic(all, (pairs + c) / 2, split, pairs - 1)
  return {slope, low, high, intercept: median(v) - slope * median(t), points: m, pairs, binned}
}

/** Every number in `x` with its path, to compare two results bit for bit. */
function numbers(x: unknown, path = '$'): [string, unknown][] {
  if (typeof x !== 'object' || x === null) return [[path, x]]
  if (ArrayBuffer.isView(x)) return numbers(Array.from(x as Float64Array), path)
  return Object.entries(x).flatMap(([k, y]) => numbers(y, `${path}.${k}`))
}

function expectSame(actual: unknown, expected: unknown): void {
  const a = numbers(actual)
  const e = numbers(expected)
  expect(a.map(([p]) => p)).toEqual(e.map(([p]) => p))
  a.forEach(([p, x], i) => {
    if (!Object.is(x, e[i]![1])) expect.fail(`${p}: ${String(x)} (${Object.is(x, -0) ? '−0' : ''}) ≠ ${String(e[i]![1])}`)
  })
}

/** Lengths around the edges: none, one pair, the band's threshold (1,000 pairs at 46 points), SEN_MAX_POINTS. */
const length = fc.oneof(fc.constantFrom(0, 1, 2, 3, 45, 46, 47, 299, 300, 301), fc.integer({min: 0, max: 320}))

/** Values of one kind over n points: constant, ramps, integer counts with ties, noisy doubles, NaNs, a step. */
const valuesOf = (n: number) =>
  fc.oneof(
    fc.integer({min: -5, max: 50}).map((c) => new Array<number>(n).fill(c)),
    fc.tuple(fc.double({min: -10, max: 10, noNaN: true}), fc.integer({min: 0, max: 100})).map(([s, c]) => Array.from({length: n}, (_, i) => c + s * i)),
    fc.array(fc.integer({min: 0, max: 6}), {minLength: n, maxLength: n}),
    fc.array(fc.integer({min: 0, max: 3}), {minLength: n, maxLength: n}).map((d) => d.map((x, i) => 40 + Math.floor(i / 10) + x)),
    fc.array(fc.double({min: -1e6, max: 1e6, noNaN: true}), {minLength: n, maxLength: n}),
    fc.array(fc.oneof(fc.integer({min: 0, max: 9}), fc.constant(Number.NaN)), {minLength: n, maxLength: n}),
    fc.integer({min: 0, max: Math.max(0, n - 1)}).map((k) => Array.from({length: n}, (_, i) => (i < k ? 5 : 9))),
  )

/** Times: a regular minute grid with jitter (the usual), repeats, unsorted, or a few non-finite. */
const timesOf = (n: number) =>
  fc.oneof(
    fc.array(fc.integer({min: 0, max: 999}), {minLength: n, maxLength: n}).map((j) => j.map((x, i) => T0 + i * 60_000 + x)),
    fc.constant(Array.from({length: n}, (_, i) => i * 3_600_000)),
    fc.array(fc.integer({min: 0, max: 20}), {minLength: n, maxLength: n}).map((j) => j.map((x) => T0 + x * 60_000)),
    fc.array(fc.integer({min: T0, max: T0 + 86_400_000}), {minLength: n, maxLength: n}),
    fc.array(fc.oneof(fc.integer({min: 0, max: 1000}), fc.constant(Number.POSITIVE_INFINITY)), {minLength: n, maxLength: n}),
  )

const seriesArb = length.chain((n) => fc.tuple(timesOf(n), valuesOf(n)))
const optionsArb = fc.record(
  {alpha: fc.constantFrom(0.05, 0.01, 0.5, 1e-20), maxPoints: fc.constantFrom(100, 200, 300, 20), varianceFactor: fc.constantFrom(1, 3, 1e6)},
  {requiredKeys: []},
)

describe('exact fast paths', () => {
  test.prop([seriesArb, optionsArb], {numRuns: 300})('senSlope equals the every-slope selection to the bit', ([t, v], options) => {
    expectSame(senSlope(t, v, options), senSlopeReference(t, v, options))
  })

  it('senSlope equals the every-slope selection on a level floor, a ramp and a step of 200 points', () => {
    const t = Array.from({length: 200}, (_, i) => T0 + i * 60_000)
    for (const v of [
      new Array<number>(200).fill(7),
      t.map((_, i) => 3 + i),
      t.map((_, i) => (i < 150 ? 10 : 12)),
      t.map((_, i) => 10 + (i % 7 === 0 ? 1 : 0)),
    ]) {
      expectSame(senSlope(t, v), senSlopeReference(t, v))
      expectSame(senSlope(t, v, {alpha: 0.05, maxPoints: 100}), senSlopeReference(t, v, {alpha: 0.05, maxPoints: 100}))
    }
  })

  it('senSlope keeps the sign of a zero slope from pairs in reverse time order', () => {
    // A level series at times partly going back: +0 and −0 slopes, and the pair order decides which one a rank gets.
    for (const n of [50, 60, 80]) {
      for (let s = 0; s < 5; s++) {
        const t = Array.from({length: n}, (_, i) => (i % (s + 2) ? 1000 - i : i))
        const v = t.map(() => 4)
        expectSame(senSlope(t, v), senSlopeReference(t, v))
      }
    }
  })
})
