/**
 * Calibration of the trend test by simulation (scripts/calibrate-trend.ts, docs/detection.md). Mann-Kendall with
 * the Hamed-Rao correction estimates the series' autocorrelation from the series itself, which on short and
 * strongly autocorrelated series falls short: a trend-free AR(1) series with φ = 0.9 of 16 points is called
 * increasing at the 5 % level in about a fifth of the runs. The calibration holds, for each series length and each
 * band of the lag-1 autocorrelation of the detrended series, the factor on the corrected Var(S) that brings the
 * simulated one-sided false-alarm rate at α = 0.01 and α = 0.05 back to the level, worst case over the noise kinds
 * that land in the band (iid Gaussian, Poisson, heavy-tailed bursts, AR(1) with φ = 0.3, 0.5, 0.7, 0.9). Between
 * lengths the factor is interpolated on log n; past the ends it is held. The simulated factors (400 runs per kind
 * and length) are noisy at the 1 % tail: the table is their envelope, made non-decreasing across bands and taken as
 * the largest of each length and its two neighbours, so it errs on the conservative side.
 */
import {hingeResiduals} from './hinge.js'

/** Upper edges of the lag-1 autocorrelation bands (the last band is open). */
export const R1_BANDS: readonly number[] = [0.2, 0.45, 0.7]

/**
 * [series length, factor per band (R1_BANDS.length + 1 entries)], increasing in length.
 * Regenerate with `npx tsx scripts/calibrate-trend.ts`.
 */
export const CALIBRATION: readonly (readonly [number, readonly number[]])[] = [
  [8, [4.21, 4.21, 4.21, 4.21]],
  [12, [6.14, 6.14, 6.14, 6.14]],
  [16, [6.14, 6.18, 6.18, 6.18]],
  [24, [6.14, 8.53, 8.53, 8.53]],
  [32, [6.01, 8.53, 8.53, 8.53]],
  [45, [4.07, 8.53, 8.53, 8.53]],
  [64, [2.09, 4.15, 6.85, 6.85]],
  [90, [2.09, 2.09, 6.85, 6.85]],
  [128, [2.09, 2.09, 2.09, 3.14]],
  [180, [1.55, 1.81, 1.81, 3.14]],
  [256, [1.55, 1.66, 1.94, 3.14]],
  [300, [1.5, 1.5, 1.94, 1.94]],
]

/**
 * Lag-1 autocorrelation of the series after removing its best flat-then-linear hinge (as the Hamed-Rao correction
 * of `trendTest` does); 0 below 4 points or for constant series. O(n²).
 */
export function detrendedLag1(x: ArrayLike<number>): number {
  const n = x.length
  if (n < 4) return 0
  const d = hingeResiduals(Float64Array.from({length: n}, (_, i) => i), x)
  let mean = 0
  for (let i = 0; i < n; i++) mean += d[i]!
  mean /= n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    den += (d[i]! - mean) ** 2
    if (i > 0) num += (d[i]! - mean) * (d[i - 1]! - mean)
  }
  return den > 0 ? num / den : 0
}

/** Index of the band a lag-1 autocorrelation falls in. */
export function bandOf(r1: number): number {
  let b = 0
  while (b < R1_BANDS.length && r1 > R1_BANDS[b]!) b++
  return b
}

/** The calibrated variance factor (≥ 1) for a trend test on `points` points whose detrended lag-1 autocorrelation is r1. */
export function varianceScale(points: number, r1: number, table: readonly (readonly [number, readonly number[]])[] = CALIBRATION): number {
  if (table.length === 0 || !(points > 0)) return 1
  const at = (i: number) => {
    const row = table[i]![1]
    return row[Math.min(row.length - 1, bandOf(r1))] ?? 1
  }
  if (points <= table[0]![0]) return Math.max(1, at(0))
  const lastI = table.length - 1
  if (points >= table[lastI]![0]) return Math.max(1, at(lastI))
  for (let i = 1; i < table.length; i++) {
    const n1 = table[i]![0]
    if (points > n1) continue
    const n0 = table[i - 1]![0]
    const w = (Math.log(points) - Math.log(n0)) / (Math.log(n1) - Math.log(n0))
    return Math.max(1, at(i - 1) + w * (at(i) - at(i - 1)))
  }
  return Math.max(1, at(lastI))
}

/**
 * The rolling floor's Mann-Kendall test (Hamed-Rao with the overlap bound of `rollingFloorAcf`), calibrated the
 * same way over all noise kinds pooled (its autocorrelation is mostly the overlap's, not the noise's):
 * [series length, factor], the envelope of the simulated factors as for CALIBRATION.
 */
export const FLOOR_CALIBRATION: readonly (readonly [number, readonly number[]])[] = [
  [8, [1]],
  [12, [1.61]],
  [16, [2.13]],
  [24, [2.41]],
  [64, [2.41]],
  [90, [2.15]],
  [180, [2.07]],
  [300, [2.02]],
]
