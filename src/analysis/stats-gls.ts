/**
 * A trend test that pays for the autocorrelation it sees, not for the worst it could be: the slope of a
 * Prais-Winsten (feasible GLS) regression on an AR(1) error whose φ is estimated from the series itself (the
 * residuals of the best "flat, then linear" fit, so that growth starting late is not read as persistence;
 * Kendall's bias correction; bounded to [0, 0.95]) and then taken at its upper bound φ̂ + 2/√n (about two standard
 * errors: short series underestimate φ badly, and a plug-in taken from the conservative side keeps the test near its
 * level where the estimate falls short, at a small cost in power on white noise). Its t-statistic is mapped to a normal score through the
 * Student-t(n − 3) tail (Wallace's approximation) and scaled by a factor simulated per series length and per band of
 * the estimated φ (`GLS_CALIBRATION`, scripts/calibrate-trend.ts): a short series whose own φ looks like white noise
 * is tested like white noise, one whose φ looks high pays what φ = 0.9 costs at that length. Pure, O(n²) (the
 * hinge), on binned series.
 */
import {hingeResiduals} from './hinge.js'
import {normalSf} from './stats-core.js'

export type GlsResult = {
  /** Slope per point (per bin) of the transformed regression. */
  readonly slope: number
  /** Its t-statistic, and the normal score after the Student-t mapping and the calibration factor. */
  readonly t: number
  readonly z: number
  /** The estimated AR(1) coefficient (bias-corrected, bounded), and the one the regression used (its upper bound). */
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
 * (no interpolation: the factor is not monotone in n).
 * Regenerate with `npx tsx scripts/calibrate-trend.ts --gls --reps 6000 --seed k [--high-first]` for k = 0, 1, 2.
 */
export const GLS_CALIBRATION: readonly (readonly [number, readonly number[]])[] = [
  [8, [1.45, 1.45, 1.45, 1.45, 1.45]],
  [12, [2.76, 2.76, 2.76, 2.76, 2.76]],
  [16, [2.05, 3.04, 3.04, 3.04, 3.04]],
  [20, [2, 4.32, 4.32, 4.32, 4.32]],
  [24, [1.32, 4.54, 4.54, 4.54, 4.54]],
  [28, [1.28, 2.08, 5.75, 5.75, 5.75]],
  [32, [1.38, 1.8, 5.25, 5.25, 5.25]],
  [38, [1.41, 1.41, 2.57, 2.57, 2.57]],
  [45, [1.37, 1.37, 1.56, 3.39, 3.39]],
  [54, [1.37, 1.37, 1.37, 1.46, 1.46]],
  [64, [1.64, 1.64, 1.64, 1.68, 1.68]],
  [90, [1, 1, 1, 1.58, 1.58]],
  [128, [1, 1, 1, 1, 1]],
  [200, [1, 1, 1, 1, 1]],
]

/** The estimated AR(1) coefficient of a series around its best hinge fit: Kendall-corrected, within [0, 0.95]. */
export function estimatePhi(y: ArrayLike<number>): number {
  const n = y.length
  if (n < 4) return 0
  const idx = Float64Array.from({length: n}, (_, i) => i)
  const r = hingeResiduals(idx, y)
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    den += r[i]! * r[i]!
    if (i > 0) num += r[i]! * r[i - 1]!
  }
  // Values so large their squares overflow leave no estimate: white noise is assumed (the rank tests still run).
  const r1 = den > 0 && Number.isFinite(num / den) ? num / den : 0
  return Math.min(PHI_MAX, Math.max(0, r1 + (1 + 3 * Math.max(0, r1)) / n))
}

/** The calibrated variance factor for a series of `points` points whose estimated φ is `phi`. */
export function glsVarianceScale(points: number, phi: number): number {
  const table = GLS_CALIBRATION
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
  // A noiseless ramp: certain; a noiseless flat or falling line: nothing.
  const exact = !(se > 1e-9 * Math.abs(b)) || se === 0
  // Rounding leaves a slope of ~1e-16 on a constant series: a rise of less than a millionth over the series is none.
  if (exact && !(b * n > 1e-6 * (Math.sqrt(syy / n) + 1))) return none
  const t = exact ? 1e6 : b / se
  const z = tToZ(t, n - 3) / Math.sqrt(Math.max(1, options.varianceScale ?? 1))
  if (!Number.isFinite(z) || !Number.isFinite(b)) return none
  return {slope: b, t, z, phi: estimate, phiUsed: phi, pIncreasing: normalSf(z)}
}
