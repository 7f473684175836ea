/**
 * A trend test that pays for the autocorrelation it sees, not for the worst it could be: the slope of a
 * Prais-Winsten (feasible GLS) regression on an AR(1) error whose φ is estimated from the series itself (restricted
 * maximum likelihood of "line + AR(1)", bounded to [0, 0.95]; `estimatePhi`) and then taken at its upper bound
 * φ̂ + 2/√n (about two standard errors: a plug-in taken from the conservative side keeps the test near its level
 * where the estimate falls short, at a small cost in power on white noise). Its t-statistic is mapped to a normal
 * score through the Student-t(n − 3) tail (Wallace's approximation) and scaled by a factor simulated per series
 * length and per band of the estimated φ (`GLS_CALIBRATION`, scripts/calibrate-trend.ts): a short series whose own φ
 * looks like white noise is tested like white noise, one whose φ looks high pays what φ = 0.9 costs at that length.
 * Pure, O(n), on binned series.
 */
import {normalSf} from './stats-core.js'

export type GlsResult = {
  /** Slope per point (per bin) of the transformed regression. */
  readonly slope: number
  /** Its t-statistic, and the normal score after the Student-t mapping and the calibration factor. */
  readonly t: number
  readonly z: number
  /** The estimated AR(1) coefficient (REML, bounded), and the one the regression used (its upper bound). */
  readonly phi: number
  readonly phiUsed: number
  /** One-sided p-value of "the series rises". */
  readonly pIncreasing: number
}

/** Fewest points the test runs on; below, p = 1. */
export const GLS_MIN_POINTS = 6
const PHI_MAX = 0.95

/** Upper edges of the bands of the estimated φ (the last band is open). */
export const PHI_BANDS: readonly number[] = [0.05, 0.25, 0.5, 0.75]

/**
 * [series length (points), variance factor per band of the estimated φ (PHI_BANDS.length + 1 entries)], increasing
 * in length: the factor on t's variance that holds the one-sided level at 5 %, 1 % and 0.5 % for each of seven
 * noise kinds (iid, Poisson, bursts, AR(1) φ 0.3/0.5/0.7/0.9) over all its runs, found band by band (see the
 * script); the largest of three seeded runs (seeds 0, 1, 2) of 6,000 series per kind and length, non-decreasing
 * across bands. Below 64 points a kind's excess is charged to the highest band it falls in (`--high-first`: where
 * white noise rarely goes); from 64 on to the band most of it falls in. Between two lengths the larger factor holds
 * (no interpolation: the factor is not monotone in n). φ = 0.9 binds at the 0.5 % level below 64 points, and the
 * factors, by seed, vary about as much as from one row to the next.
 * Regenerate with `npx tsx scripts/calibrate-trend.ts --gls --reps 6000 --seed k [--high-first]` for k = 0, 1, 2.
 */
export const GLS_CALIBRATION: readonly (readonly [number, readonly number[]])[] = [
  [8, [1.44, 1.44, 1.44, 1.44, 1.44]],
  [12, [2.89, 2.89, 2.89, 2.89, 2.89]],
  [16, [1.81, 3.07, 3.07, 3.07, 3.07]],
  [20, [1.4, 3.39, 3.39, 3.39, 3.39]],
  [24, [1.53, 2.29, 3.73, 3.73, 3.73]],
  [28, [1.38, 1.38, 4.76, 4.76, 4.76]],
  [32, [1.6, 1.6, 2.65, 2.65, 2.65]],
  [38, [1.44, 1.44, 1.9, 1.9, 1.9]],
  [45, [1.43, 1.43, 1.43, 2.3, 2.3]],
  [54, [1.36, 1.36, 1.36, 1.46, 1.46]],
  [64, [1.51, 1.51, 1.51, 1.51, 1.51]],
  [90, [1, 1, 1, 1, 1]],
  [128, [1, 1, 1, 1, 1]],
  [200, [1, 1, 1, 1, 1]],
]

/**
 * The same for the test whose φ is estimated around a line (`estimatePhi(y, 'line')`): the largest of three seeded
 * runs, `npx tsx scripts/calibrate-trend.ts --gls --line --reps 6000 --seed k [--high-first]`.
 */
export const GLS_LINE_CALIBRATION: readonly (readonly [number, readonly number[]])[] = [
  [8, [1.54, 1.54, 1.54, 1.54, 1.54]],
  [12, [1.05, 2.29, 2.29, 2.29, 2.79]],
  [16, [1, 1.98, 2.18, 2.18, 2.18]],
  [20, [1, 1.55, 1.98, 1.98, 1.98]],
  [24, [1, 1, 3.23, 3.23, 3.23]],
  [28, [1, 1, 1.16, 1.16, 1.71]],
  [32, [1, 1, 1.22, 1.55, 1.98]],
  [38, [1, 1, 1, 1, 1]],
  [45, [1, 1, 1, 1.03, 1.03]],
  [54, [1, 1, 1, 1.3, 1.3]],
  [64, [1, 1, 1, 1, 1]],
  [90, [1, 1, 1, 1, 1]],
  [128, [1, 1, 1, 1, 1]],
  [200, [1, 1, 1, 1, 1]],
]

/**
 * The AR(1) coefficient of a series around a "flat, then linear" mean (a line when the knot is at the start),
 * estimated by restricted maximum likelihood (REML: the likelihood of the residual contrasts, which removes most of
 * the downward bias of moment and plain ML estimates in a regression on a short series; Cheang & Reinsel 2000)
 * jointly over the knot and φ, then bounded to [0, 0.95]. Not the lag-1 autocorrelation of the least-squares
 * hinge's residuals: the knot that minimises the squared residuals is the one that best absorbs the wander of
 * AR(0.9) noise and leaves residuals that look white (30-point AR(0.9) series were estimated at φ ≤ 0.5 one time in
 * six); the likelihood chooses the knot and φ together, and a knot that only fits the wander loses to a high φ.
 * With `shape` 'line' the knot stays at the start: a line alone puts AR(0.9) higher still (the second GLS test of
 * `trendTest`, which finds short ramps), but reads growth that starts late as persistence. φ on a grid of step 0.02
 * in [−0.2, 0.98] for every knot (O(1) per point from lag sums, O(n) per knot), then of step 0.005 around the best.
 * O(n²). 0 below 4 points or without variation.
 */
export function estimatePhi(y: ArrayLike<number>, shape: 'hinge' | 'line' = 'hinge'): number {
  const n = y.length
  if (n < 4) return 0
  // Centre y for accuracy; lag sums over i = 1…n − 1 of y and its lagged value (first point apart: its x is 0).
  let mean = 0
  for (let i = 0; i < n; i++) mean += y[i] as number
  mean /= n
  const yc = new Float64Array(n)
  for (let i = 0; i < n; i++) yc[i] = (y[i] as number) - mean
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
  // any other φ (`phiTerms`): the same expressions whichever way they are reached, so the result does not depend
  // on the path. Numbers in one array, not an object per φ: the knot loop below is what V8 compiles.
  const sums: PhiSums = {n, first, y1, y0, y11, y10, y00}
  const grid = new Float64Array(60 * PHI_TERMS)
  for (let k = 0; k < 60; k++) phiTerms(grid, k * PHI_TERMS, (k - 10) / 50, sums)
  // Lag sums of x = max(0, i − knot) (and its lag) with 1 and y, over i = knot + 1…n − 1, from suffix sums over i
  // of 1, i, i², i(i − 1), (i − 1)², y_i, y_{i−1}, i·y_i, i·y_{i−1}: O(1) per knot.
  const suffix = new Float64Array(9)
  // One buffer for the knot at hand, copied out when its fit becomes the best (no array per knot).
  const x = new Float64Array(9)
  let bestPhi = 0
  let bestL = -Infinity
  const bestX = new Float64Array(9)
  // Knots from the last to the first, the suffix growing by one point each.
  addSuffix(suffix, yc, n - 1)
  for (let knot = n - 3; knot >= 0; knot--) {
    addSuffix(suffix, yc, knot + 1)
    if (shape === 'line' && knot > 0) continue
    knotSums(suffix, knot, x)
    let improved = false
    for (let g = -10; g <= 49; g++) {
      const l = profileAt(grid, (g + 10) * PHI_TERMS, x, n)
      if (l > bestL) {
        bestPhi = g / 50
        bestL = l
        improved = true
      }
    }
    if (improved) bestX.set(x)
  }
  if (!Number.isFinite(bestL)) return 0
  const aroundPhi = bestPhi
  const one = new Float64Array(PHI_TERMS)
  for (let g = -4; g <= 4; g++) {
    const phi = aroundPhi + g / 200
    if (phi <= -1 || phi >= 1) continue
    phiTerms(one, 0, phi, sums)
    const l = profileAt(one, 0, bestX, n)
    if (l > bestL) {
      bestPhi = phi
      bestL = l
    }
  }
  return Math.min(PHI_MAX, Math.max(0, bestPhi))
}

/** The centred series' sums estimatePhi's likelihood takes from y (over i = 1…n − 1, and its first point). */
type PhiSums = {n: number; first: number; y1: number; y0: number; y11: number; y10: number; y00: number}

/** Numbers per φ in estimatePhi's grid: φ, φ², 2φ, 1 − φ², 1 − φ, ½·ln(1 − φ²), and the y sums' scc, scy, syy. */
const PHI_TERMS = 9

/** Writes what the likelihood at φ takes from φ and the y sums alone into out[at…at + PHI_TERMS). */
function phiTerms(out: Float64Array, at: number, phi: number, s: PhiSums): void {
  const h2 = 1 - phi * phi
  const c = 1 - phi
  // phi² and 2·phi once per φ: `phi * phi * s` and `2 * phi * s` multiply left to right, so the same products.
  out[at] = phi
  out[at + 1] = phi * phi
  out[at + 2] = 2 * phi
  out[at + 3] = h2
  out[at + 4] = c
  out[at + 5] = 0.5 * Math.log(h2)
  out[at + 6] = h2 + (s.n - 1) * c * c
  out[at + 7] = h2 * s.first + c * (s.y1 - phi * s.y0)
  out[at + 8] = h2 * s.first * s.first + s.y11 - 2 * phi * s.y10 + phi * phi * s.y00
}

/**
 * The restricted log-likelihood (up to a constant) of y = a + b·max(0, i − knot) + AR(1) at the φ whose terms are at
 * p[at…], from the lag sums x of x = max(0, i − knot): Prais-Winsten sums, the first point scaled by √(1 − φ²), the
 * others quasi-differenced. −∞ where the fit is degenerate.
 */
function profileAt(p: Float64Array, at: number, x: Float64Array, n: number): number {
  const x1 = x[0]!
  const x0 = x[1]!
  const x11 = x[2]!
  const x10 = x[3]!
  const x00 = x[4]!
  const x1y1 = x[5]!
  const x1y0 = x[6]!
  const x0y1 = x[7]!
  const x0y0 = x[8]!
  const phi = p[at]!
  const phi2 = p[at + 1]!
  const twoPhi = p[at + 2]!
  const c = p[at + 4]!
  const scc = p[at + 6]!
  const scy = p[at + 7]!
  const syy = p[at + 8]!
  const scx = c * (x1 - phi * x0)
  const sxx = x11 - twoPhi * x10 + phi2 * x00
  const sxy = x1y1 - phi * (x1y0 + x0y1) + phi2 * x0y0
  const det = scc * sxx - scx * scx
  if (!(det > 0)) return -Infinity
  const rss = syy - (sxx * scy * scy - 2 * scx * scy * sxy + scc * sxy * sxy) / det
  if (!(rss > 0)) return -Infinity
  return p[at + 5]! - 0.5 * Math.log(det) - ((n - 2) / 2) * Math.log(rss)
}

/** Adds point i (and its lag) to estimatePhi's suffix sums. */
function addSuffix(suffix: Float64Array, yc: Float64Array, i: number): void {
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

/** The lag sums of x = max(0, i − knot) with 1 and y, from the suffix sums past the knot, into x. */
function knotSums(suffix: Float64Array, k: number, x: Float64Array): void {
  const c = suffix[0]!
  const si = suffix[1]!
  const sii = suffix[2]!
  const sii1 = suffix[3]!
  const si1i1 = suffix[4]!
  const sy = suffix[5]!
  const sy0 = suffix[6]!
  const siy = suffix[7]!
  const siy0 = suffix[8]!
  x[0] = si - k * c
  x[1] = si - c - k * c
  x[2] = sii - 2 * k * si + k * k * c
  x[3] = sii1 - k * (2 * si - c) + k * k * c
  x[4] = si1i1 - 2 * k * (si - c) + k * k * c
  x[5] = siy - k * sy
  x[6] = siy0 - k * sy0
  x[7] = siy - sy - k * sy
  x[8] = siy0 - sy0 - k * sy0
}

/** The calibrated variance factor for a series of `points` points whose estimated φ is `phi` (`table`: the estimate's). */
export function glsVarianceScale(points: number, phi: number, table: readonly (readonly [number, readonly number[]])[] = GLS_CALIBRATION): number {
  const band = phiBand(phi)
  const at = (i: number) => {
    const row = table[i]![1]
    return row[Math.min(row.length - 1, band)] ?? 1
  }
  let i = 0
  while (i < table.length - 1 && table[i]![0] < points) i++
  // points lies in (table[i − 1], table[i]] (or past an end): the larger of the two neighbours.
  const f = table[i]![0] === points || i === 0 ? at(i) : Math.max(at(i), at(i - 1))
  return Math.max(1, f)
}

/** Band index of an estimated φ. */
export function phiBand(phi: number): number {
  let b = 0
  while (b < PHI_BANDS.length && phi > PHI_BANDS[b]!) b++
  return b
}

/**
 * Normal score of a Student-t(df) statistic with the same upper tail (Wallace 1959): accurate to a few per cent of z
 * from df = 3, which the calibration absorbs; it keeps the heavy tails of short series at small p-values.
 */
export function tToZ(t: number, df: number): number {
  if (!(df > 0) || !Number.isFinite(t)) return t
  const z = ((8 * df + 1) / (8 * df + 3)) * Math.sqrt(df * Math.log1p((t * t) / df))
  return t < 0 ? -z : z
}

/**
 * The Prais-Winsten slope test of `y` (equally spaced points) with the given AR(1) coefficient (default: estimated)
 * and variance factor (default 1: uncalibrated; `glsVarianceScale` gives the calibrated one).
 */
export function glsTrend(y: ArrayLike<number>, options: {phi?: number; varianceScale?: number} = {}): GlsResult {
  const n = y.length
  const estimate = options.phi ?? estimatePhi(y)
  const phi = Math.min(PHI_MAX, estimate + 2 / Math.sqrt(Math.max(1, n)))
  const none = {slope: 0, t: 0, z: 0, phi: estimate, phiUsed: phi, pIncreasing: 1}
  if (n < GLS_MIN_POINTS) return none
  const head = Math.sqrt(1 - phi * phi)
  // Normal equations of y* = a·c* + b·x* (no free intercept: c* is the transformed constant).
  let scc = 0
  let scx = 0
  let sxx = 0
  let scy = 0
  let sxy = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const c = i === 0 ? head : 1 - phi
    const x = i === 0 ? 0 : i - phi * (i - 1)
    const yy = i === 0 ? head * (y[0] as number) : (y[i] as number) - phi * (y[i - 1] as number)
    scc += c * c
    scx += c * x
    sxx += x * x
    scy += c * yy
    sxy += x * yy
    syy += yy * yy
  }
  const det = scc * sxx - scx * scx
  if (!(det > 0)) return none
  const b = (scc * sxy - scx * scy) / det
  const a = (sxx * scy - scx * sxy) / det
  const sse = Math.max(0, syy - a * scy - b * sxy)
  const s2 = sse / (n - 2)
  const se = Math.sqrt((s2 * scc) / det)
  // A noiseless ramp: certain; a noiseless flat or falling line: nothing. "Noiseless" is relative to the slope or to
  // the series' own size (a constant series leaves a residual of rounding, and a standard error of it, on a slope of 0).
  const exact = !(se > 1e-9 * Math.abs(b)) || se === 0 || sse <= 1e-12 * syy
  // Rounding leaves a slope of ~1e-16 on a constant series: a rise of less than a millionth over the series is none.
  if (exact && !(b * n > 1e-6 * (Math.sqrt(syy / n) + 1))) return none
  const t = exact ? 1e6 : b / se
  const z = tToZ(t, n - 3) / Math.sqrt(Math.max(1, options.varianceScale ?? 1))
  if (!Number.isFinite(z) || !Number.isFinite(b)) return none
  return {slope: b, t, z, phi: estimate, phiUsed: phi, pIncreasing: normalSf(z)}
}
