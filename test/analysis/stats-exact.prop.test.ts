import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {hingeResiduals} from '../../src/analysis/hinge.js'
import {estimatePhi} from '../../src/analysis/stats-gls.js'
import {ACF_BUDGET, averageRanks, binByTime, hamedRaoFactor, median, mkVariance, normalQuantile, orderStatistic, senSlope, sortedOrder} from '../../src/analysis/stats.js'
import type {MannKendallOptions} from '../../src/analysis/stats.js'
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

/** `estimatePhi` as first written: a new array per knot, the best fit as a new object. */
function estimatePhiReference(y: ArrayLike<number>, shape: 'hinge' | 'line' = 'hinge'): number {
  const n = y.length
  if (n < 4) return 0
  // Centre y for accuracy; lag sums over i = 1…n − 1 of y and its lagged value (first point apart: its x is 0).
  let mean = 0
  for (let i = 0; i < n; i++) mean += y[i] as number
  mean /= n
  const yc = Float64Array.from({length: n}, (_, i) => (y[i] as number) - mean)
  let y1 = 0
  let y0 = 0
  let y11 = 0
  let y10 = 0
  let y00 = 0
  for (let i = 1; i < n; i++) {
    y1 += yc[i]!
    y0 += yc[i - 1]!
    y11 += yc[i]! * yc[i]!
    y10 += yc[i]! * yc[i - 1]!
    y00 += yc[i - 1]! * yc[i - 1]!
  }
  const first = yc[0]!
  // What depends on φ alone (the y sums' part of the likelihood), for the grid φ = g / 50 (g = −10…49) and for
  // any other φ; the same expressions whichever way they are reached, so the result does not depend on the path.
  const atPhi = (phi: number) => {
    const h2 = 1 - phi * phi
    const c = 1 - phi
    return {
      phi,
      h2,
      c,
      halfLogH2: 0.5 * Math.log(h2),
      scc: h2 + (n - 1) * c * c,
      scy: h2 * first + c * (y1 - phi * y0),
      syy: h2 * first * first + y11 - 2 * phi * y10 + phi * phi * y00,
    }
  }
  const grid = Array.from({length: 60}, (_, k) => atPhi((k - 10) / 50))
  // The restricted log-likelihood (up to a constant) of y = a + b·max(0, i − knot) + AR(1) at φ, from the lag sums
  // of x = max(0, i − knot): Prais-Winsten sums, the first point scaled by √(1 − φ²), the others quasi-differenced.
  const profile = (p: ReturnType<typeof atPhi>, x: Float64Array) => {
    // Indexed, not destructured: destructuring a typed array runs its iterator (per knot and φ).
    const x1 = x[0]!
    const x0 = x[1]!
    const x11 = x[2]!
    const x10 = x[3]!
    const x00 = x[4]!
    const x1y1 = x[5]!
    const x1y0 = x[6]!
    const x0y1 = x[7]!
    const x0y0 = x[8]!
    const {phi, c, scc, scy, syy} = p
    const scx = c * (x1 - phi * x0)
    const sxx = x11 - 2 * phi * x10 + phi * phi * x00
    const sxy = x1y1 - phi * (x1y0 + x0y1) + phi * phi * x0y0
    const det = scc * sxx - scx * scx
    if (!(det > 0)) return -Infinity
    const rss = syy - (sxx * scy * scy - 2 * scx * scy * sxy + scc * sxy * sxy) / det
    if (!(rss > 0)) return -Infinity
    return p.halfLogH2 - 0.5 * Math.log(det) - ((n - 2) / 2) * Math.log(rss)
  }
  // Lag sums of x = max(0, i − knot) (and its lag) with 1 and y, over i = knot + 1…n − 1, from suffix sums over i
  // of 1, i, i², i(i − 1), (i − 1)², y_i, y_{i−1}, i·y_i, i·y_{i−1}: O(1) per knot.
  const suffix = new Float64Array(9)
  const sums = (knot: number) => {
    const c = suffix[0]!
    const si = suffix[1]!
    const sii = suffix[2]!
    const sii1 = suffix[3]!
    const si1i1 = suffix[4]!
    const sy = suffix[5]!
    const sy0 = suffix[6]!
    const siy = suffix[7]!
    const siy0 = suffix[8]!
    const k = knot
    return Float64Array.of(
      si - k * c,
      si - c - k * c,
      sii - 2 * k * si + k * k * c,
      sii1 - k * (2 * si - c) + k * k * c,
      si1i1 - 2 * k * (si - c) + k * k * c,
      siy - k * sy,
      siy0 - k * sy0,
      siy - sy - k * sy,
      siy0 - sy0 - k * sy0,
    )
  }
  const add = (i: number) => {
    const u = yc[i]!
    const w = yc[i - 1]!
    suffix[0]! += 1
    suffix[1]! += i
    suffix[2]! += i * i
    suffix[3]! += i * (i - 1)
    suffix[4]! += (i - 1) * (i - 1)
    suffix[5]! += u
    suffix[6]! += w
    suffix[7]! += i * u
    suffix[8]! += i * w
  }
  let best = {phi: 0, l: -Infinity, x: new Float64Array(9)}
  // Knots from the last to the first, the suffix growing by one point each.
  add(n - 1)
  for (let knot = n - 3; knot >= 0; knot--) {
    add(knot + 1)
    if (shape === 'line' && knot > 0) continue
    const x = sums(knot)
    for (let g = -10; g <= 49; g++) {
      const l = profile(grid[g + 10]!, x)
      if (l > best.l) best = {phi: g / 50, l, x}
    }
  }
  if (!Number.isFinite(best.l)) return 0
  const around = best
  for (let g = -4; g <= 4; g++) {
    const phi = around.phi + g / 200
    if (phi <= -1 || phi >= 1) continue
    const l = profile(atPhi(phi), around.x)
    if (l > best.l) best = {phi, l, x: around.x}
  }
  return Math.min(0.95, Math.max(0, best.phi))
}

/** `hamedRaoFactor` as first written: the ranks' differences from their mean taken anew at every lag. */
function hamedRaoFactorReference(x: Float64Array, options: MannKendallOptions = {}): number {
  const n = x.length
  const index = new Float64Array(n)
  for (let i = 0; i < n; i++) index[i] = i
  const detrended = options.detrend === 'hinge' ? hingeResiduals(index, x) : new Float64Array(n)
  if (options.detrend !== 'hinge') {
    // The detrending slope need not be precise: 100 points (4,950 pairs) keep the correction cheap.
    const {slope} = senSlope(index, x, {maxPoints: 100})
    for (let i = 0; i < n; i++) detrended[i] = (x[i] as number) - slope * i
  }
  const ranks = averageRanks(detrended)
  const mean = (n + 1) / 2
  let denom = 0
  for (let i = 0; i < n; i++) denom += ((ranks[i] as number) - mean) ** 2
  // A perfectly linear series detrends to a constant: no autocorrelation to correct for.
  if (denom <= 0) return 1
  const {lagAlpha: la} = options
  const lagAlpha = la !== undefined && la > 0 && la < 1 ? la : 0.05
  const bound = normalQuantile(1 - lagAlpha / 2) / Math.sqrt(n)
  const budgetLag = Math.max(1, Math.floor(ACF_BUDGET / n))
  const maxLag = Math.min(n - 1, options.maxLag !== undefined ? Math.max(0, Math.floor(options.maxLag)) : budgetLag)
  const minAcf = options.minAcf ?? []
  const paper = options.lagRule === 'paper'
  let sum = 0
  for (let k = 1; k <= maxLag; k++) {
    let acc = 0
    for (let i = 0; i + k < n; i++) acc += ((ranks[i] as number) - mean) * ((ranks[i + k] as number) - mean)
    const r = acc / denom
    let counted = 0
    if (k <= minAcf.length) {
      const known = minAcf[k - 1] as number
      counted = known > r ? known : r
    }
    else if (paper ? Math.abs(r) > bound : r > bound) counted = r
    sum += (n - k) * (n - k - 1) * (n - k - 2) * counted
  }
  return 1 + (2 / (n * (n - 1) * (n - 2))) * sum
}

/** `sortedOrder` as first written: the built-in sort with a comparator. */
function sortedOrderReference(values: Numbers): Int32Array {
  const order = new Int32Array(values.length)
  for (let i = 0; i < order.length; i++) order[i] = i
  order.sort((a, b) => (values[a] as number) - (values[b] as number) || a - b)
  return order
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

  test.prop([length.chain((n) => valuesOf(n)), fc.constantFrom('hinge', 'line')], {numRuns: 200})('estimatePhi equals the per-knot-array search to the bit', (y, shape) => {
    const finite = y.filter((x) => Number.isFinite(x))
    expect(Object.is(estimatePhi(finite, shape as 'hinge' | 'line'), estimatePhiReference(finite, shape as 'hinge' | 'line'))).toBe(true)
  })

  test.prop(
    [
      length.filter((n) => n >= 3).chain((n) => valuesOf(n)),
      fc.record(
        {detrend: fc.constantFrom('sen', 'hinge'), lagRule: fc.constantFrom('positive', 'paper'), maxLag: fc.integer({min: 0, max: 400}), minAcf: fc.array(fc.double({min: 0, max: 1, noNaN: true}), {maxLength: 30})},
        {requiredKeys: []},
      ),
    ],
    {numRuns: 200},
  )('hamedRaoFactor equals the per-lag-differences sum to the bit', (y, options) => {
    const x = Float64Array.from(y.filter((v) => Number.isFinite(v)))
    if (x.length < 3) return
    const o = options as MannKendallOptions
    expect(Object.is(hamedRaoFactor(x, o), hamedRaoFactorReference(x, o))).toBe(true)
  })

  test.prop(
    [
      fc.oneof(
        length.chain((n) => valuesOf(n)),
        fc.array(fc.oneof(fc.constantFrom(0, -0, 1, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN), fc.double()), {maxLength: 80}),
      ),
    ],
    {numRuns: 300},
  )('sortedOrder equals the comparator sort, ties, ±0, ±∞ and NaN included', (values) => {
    expect(Array.from(sortedOrder(values))).toEqual(Array.from(sortedOrderReference(values)))
    expect(Array.from(sortedOrder(Float64Array.from(values)))).toEqual(Array.from(sortedOrderReference(values)))
  })
})
