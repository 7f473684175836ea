/**
 * Where growth starts: the knot of the best continuous "flat, then linear" fit
 * y = a + b·max(0, t − t_k), chosen by least squares over every knot t_k. A leak that grows from
 * the first sample gets knot 0; one that starts mid-way gets the sample where the slope begins.
 * O(n²) on n points: callers pass binned series (≤ a few hundred points).
 */
export function hingeStart(t: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = Math.min(t.length, y.length)
  if (n < 4) return 0
  let best = 0
  let bestSse = Infinity
  for (let k = 0; k <= n - 3; k++) {
    const tk = t[k]!
    // Normal equations for [a, b] with x = max(0, t − tk).
    let sx = 0
    let sxx = 0
    let sy = 0
    let sxy = 0
    for (let i = 0; i < n; i++) {
      const x = Math.max(0, t[i]! - tk)
      sx += x
      sxx += x * x
      sy += y[i]!
      sxy += x * y[i]!
    }
    const det = n * sxx - sx * sx
    if (det <= 0) continue
    const b = (n * sxy - sx * sy) / det
    const a = (sy - b * sx) / n
    let sse = 0
    for (let i = 0; i < n; i++) {
      const r = y[i]! - a - b * Math.max(0, t[i]! - tk)
      sse += r * r
    }
    // Prefer the earliest knot among near-equal fits: a leak that starts at once is not "starting later".
    if (sse < bestSse * (1 - 1e-9) - 1e-9) {
      bestSse = sse
      best = k
    }
  }
  return best
}

export type HingeEnd = {
  /** Index of the knot: the last point of growth. */
  index: number
  /** Slope of the growing part (per unit of t). */
  slope: number
  /** F statistic of "grew, then flat" against one straight line (1 and n − 3 degrees of freedom). */
  f: number
}

/**
 * Where growth stops: the knot of the best continuous "linear, then flat" fit y = a + b·min(t, t_k) over every
 * knot t_k, and how much better it fits than one straight line (F). A leak that never stops fits the line as well
 * (F near 0); one that grew and went flat puts the knot where it stopped. O(n²) on n binned points.
 */
export function hingeEnd(t: ArrayLike<number>, y: ArrayLike<number>): HingeEnd {
  const n = Math.min(t.length, y.length)
  if (n < 5) return {index: n - 1, slope: 0, f: 0}
  const line = cappedFit(t, y, n, Infinity)
  let best = {index: n - 1, slope: line.b, sse: line.sse}
  for (let k = 2; k < n - 2; k++) {
    const h = cappedFit(t, y, n, t[k]!)
    if (h.sse < best.sse * (1 - 1e-9) - 1e-9) best = {index: k, slope: h.b, sse: h.sse}
  }
  const f = best.index === n - 1 || best.sse <= 0 ? (best.index === n - 1 ? 0 : Infinity) : (line.sse - best.sse) / (best.sse / (n - 3))
  return {index: best.index, slope: best.slope, f}
}

/**
 * Least squares of y = a + b·min(t, cap) over the first n points (cap Infinity: a straight line): slope and
 * squared residuals. Loops written out (no function per point): hingeEnd calls it for every knot.
 */
function cappedFit(t: ArrayLike<number>, y: ArrayLike<number>, n: number, cap: number): {b: number; sse: number} {
  let sx = 0
  let sxx = 0
  let sy = 0
  let sxy = 0
  for (let i = 0; i < n; i++) {
    const xi = Math.min(t[i]!, cap)
    sx += xi
    sxx += xi * xi
    sy += y[i]!
    sxy += xi * y[i]!
  }
  const det = n * sxx - sx * sx
  if (det <= 0) return {b: 0, sse: Infinity}
  const b = (n * sxy - sx * sy) / det
  const a = (sy - b * sx) / n
  let sse = 0
  for (let i = 0; i < n; i++) sse += (y[i]! - a - b * Math.min(t[i]!, cap)) ** 2
  return {b, sse}
}

/** Residuals of the least-squares "flat, then linear" fit at the knot `hingeStart` picks. O(n²). */
export function hingeResiduals(t: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  const n = y.length
  const tk = t[hingeStart(t, y)] as number
  let sx = 0
  let sxx = 0
  let sy = 0
  let sxy = 0
  for (let i = 0; i < n; i++) {
    const x = Math.max(0, (t[i] as number) - tk)
    sx += x
    sxx += x * x
    sy += y[i] as number
    sxy += x * (y[i] as number)
  }
  const det = n * sxx - sx * sx
  const b = det > 0 ? (n * sxy - sx * sy) / det : 0
  const a = (sy - b * sx) / n
  return Float64Array.from({length: n}, (_, i) => (y[i] as number) - a - b * Math.max(0, (t[i] as number) - tk))
}
