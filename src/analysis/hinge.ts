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
