/**
 * Calibration of the trend test by simulation (scripts/calibrate-trend.ts, docs/detection.md). Mann-Kendall with
 * the Hamed-Rao correction estimates the series' autocorrelation from the series itself, which on short and
 * strongly autocorrelated series falls short: a trend-free AR(1) series with φ = 0.9 of 16 points is called
 * increasing at the 5 % level in about a fifth of the runs. The calibration holds, for each series length and each
 * band of the lag-1 autocorrelation of the detrended series, the factor on the corrected Var(S) that brings the
 * simulated one-sided false-alarm rate at α = 0.01 and α = 0.05 back to the level, worst case over the noise kinds
 * with at least 30 runs in the band (iid Gaussian, Poisson, heavy-tailed bursts, AR(1) with φ = 0.3, 0.5, 0.7, 0.9). Between
 * lengths the factor is interpolated on log n; past the ends it is held. The simulated factors (400 runs per kind
 * and length) are noisy at the 1 % tail: the table is their envelope, made non-decreasing across bands and taken as
 * the largest of each length and its two neighbours, so it errs on the conservative side.
 */

/** Upper edges of the bands of `differenceLag1` (the last band is open): iid-like, AR φ ≈ 0.5, ≈ 0.7, more. */
export const R1_BANDS: readonly number[] = [-0.35, -0.2, -0.08]

/**
 * [series length, factor per band (R1_BANDS.length + 1 entries)], increasing in length.
 * Regenerate with `npx tsx scripts/calibrate-trend.ts`.
 */
export const CALIBRATION: readonly (readonly [number, readonly number[]])[] = [
  [8, [4.24, 4.24, 4.24, 4.24]],
  [12, [6.26, 6.26, 6.26, 6.26]],
  [16, [6.65, 6.79, 6.79, 6.79]],
  [24, [6.65, 7.2, 7.23, 7.23]],
  [32, [6.65, 7.2, 7.23, 7.23]],
  [45, [3.73, 7.2, 7.23, 7.23]],
  [64, [2.75, 4.89, 4.89, 4.89]],
  [90, [2.75, 4.89, 4.89, 4.89]],
  [128, [2.09, 4.89, 4.89, 4.89]],
  [180, [1.77, 1.77, 3.16, 3.16]],
  [256, [1.5, 1.5, 3.16, 3.28]],
  [300, [1.5, 1.5, 1.94, 3.28]],
]

/**
 * Lag-1 autocorrelation of the first differences: about −0.5 for independent noise with or without a linear
 * trend (differencing removes the trend), −(1 − φ)/2 for AR(1) noise, 0 for a random walk. It tells short
 * autocorrelated series from independent ones where the autocorrelation of the series itself cannot (a trend
 * looks like persistence). 0 below 4 points or for constant differences. O(n).
 */
export function differenceLag1(x: ArrayLike<number>): number {
  const n = x.length - 1
  if (n < 3) return 0
  let mean = 0
  for (let i = 0; i < n; i++) mean += x[i + 1]! - x[i]!
  mean /= n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    const d = x[i + 1]! - x[i]! - mean
    den += d * d
    if (i > 0) num += d * (x[i]! - x[i - 1]! - mean)
  }
  return den > 0 ? num / den : 0
}

/** Index of the band a lag-1 autocorrelation falls in. */
export function bandOf(r1: number): number {
  let b = 0
  while (b < R1_BANDS.length && r1 > R1_BANDS[b]!) b++
  return b
}

/** The calibrated variance factor (≥ 1) for a trend test on `points` points whose first differences have lag-1 autocorrelation r1. */
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
