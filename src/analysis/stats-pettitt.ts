import {averageRanks} from './stats-core.js'
import type {Numbers} from './stats-core.js'

export type PettittResult = {
  /** Index (into the input) of the first value after the change, −1 when there is no change point. */
  readonly index: number
  /** K = max_t |U_t|, the test statistic. */
  readonly k: number
  /** Approximate p-value 2·exp(−6K² / (n³ + n²)), at most 1. */
  readonly p: number
  /** `up` when the values after the change are larger (U_t < 0), `down` when smaller, `none` without change. */
  readonly direction: 'up' | 'down' | 'none'
}

/**
 * Pettitt's (1979) non-parametric change-point test on values in time order: U_t = Σ_{i≤t} Σ_{j>t} sign(x_i − x_j),
 * computed from midranks as U_t = 2·Σ_{i≤t} r_i − t(n + 1); the change is at the t maximising |U_t| (the earliest
 * on ties). Non-finite values are skipped, but `index` refers to the input positions. Fewer than 3 finite values
 * give no change point (p = 1). O(n log n).
 */
export function pettitt(values: Numbers): PettittResult {
  const positions: number[] = []
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) positions.push(i)
  const n = positions.length
  if (n < 3) return {index: -1, k: 0, p: 1, direction: 'none'}
  const x = new Float64Array(n)
  for (let i = 0; i < n; i++) x[i] = values[positions[i] as number] as number
  const ranks = averageRanks(x)
  let u = 0
  let best = 0
  let bestU = 0
  let bestT = 0
  for (let t = 1; t < n; t++) {
    // Midranks are multiples of 0.5, so U stays an exact integer in double precision.
    u += 2 * (ranks[t - 1] as number) - (n + 1)
    if (Math.abs(u) > best) {
      best = Math.abs(u)
      bestU = u
      bestT = t
    }
  }
  if (best === 0) return {index: -1, k: 0, p: 1, direction: 'none'}
  const p = Math.min(1, 2 * Math.exp((-6 * best * best) / (n * n * n + n * n)))
  return {index: positions[bestT] as number, k: best, p, direction: bestU < 0 ? 'up' : 'down'}
}
