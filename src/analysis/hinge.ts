/**
 * Where growth starts: the knot of the best continuous "flat, then linear" fit
 * y = a + b·max(0, t − t_k), chosen by least squares over every knot t_k. A leak that grows from
 * the first sample gets knot 0; one that starts mid-way gets the sample where the slope begins.
 *
 * Every knot is first screened in O(1) from sums carried from the last knot back (`nearStartKnots`); only the
 * knots that can be the best are fitted exactly, in knot order and by the same rule as fitting every knot
 * (which `hingeStartEvery` does, for the tests): the result is the same to the bit. O(n) plus O(n) per knot kept.
 */
export function hingeStart(t: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = Math.min(t.length, y.length)
  if (n < 4) return 0
  return startKnot(t, y, n, nearStartKnots(t, y, n))
}

/** {@link hingeStart} fitting every knot exactly: O(n²). The reference the screened version must equal. */
export function hingeStartEvery(t: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = Math.min(t.length, y.length)
  if (n < 4) return 0
  return startKnot(t, y, n, everyStartKnot(n))
}

/** The knots growth may start at: 0…n−3. */
function everyStartKnot(n: number): number[] {
  const knots: number[] = []
  for (let k = 0; k <= n - 3; k++) knots.push(k)
  return knots
}

/** The best "flat, then linear" fit among `knots` (ascending), each replacing the best only when clearly better. */
function startKnot(t: ArrayLike<number>, y: ArrayLike<number>, n: number, knots: readonly number[]): number {
  let best = 0
  let bestSse = Infinity
  for (const k of knots) {
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

/**
 * The knots 0…n−3 whose "flat, then linear" fit can be the best (ascending): every knot's squared residuals in
 * O(1) from the sums over the points after it of x = t − t_k, x² and x·w (w = y − mean), carried from the last
 * knot back (moving the knot back by d adds d to every x: sums of positive terms, no cancellation), within ten
 * times the replacement rule's tolerance (plus the rounding of both computations, the exact fit's on values
 * that are not centred) of the least of them. A knot whose fit is worse than that is never the best, nor does it
 * change which of the near-best ones is chosen: the first near-best knot fitted leaves both ways at the same
 * best, which only near-best knots can replace. Knots whose fit is degenerate here are always kept (fitted
 * exactly). Needs times in order and finite values: otherwise every knot is kept.
 */
function nearStartKnots(t: ArrayLike<number>, y: ArrayLike<number>, n: number): number[] {
  for (let i = 1; i < n; i++) if (!(t[i]! >= t[i - 1]!)) return everyStartKnot(n)
  const my = meanOf(y, n)
  let sww = 0
  let syy = 0
  let sw = 0
  for (let i = 0; i < n; i++) {
    const w = y[i]! - my
    sww += w * w
    syy += y[i]! * y[i]!
    sw += w
  }
  if (!Number.isFinite(sww + syy) || !Number.isFinite(t[0]! + t[n - 1]!)) return everyStartKnot(n)
  const sse = new Float64Array(n - 2)
  const degenerate = new Uint8Array(n - 2)
  // The points after knot n − 3: n − 2 and n − 1.
  let m = 2
  const x1 = t[n - 2]! - t[n - 3]!
  const x2 = t[n - 1]! - t[n - 3]!
  let sx = x1 + x2
  let sxx = x1 * x1 + x2 * x2
  let sxw = x1 * (y[n - 2]! - my) + x2 * (y[n - 1]! - my)
  let after = y[n - 2]! - my + (y[n - 1]! - my)
  let least = Infinity
  for (let k = n - 3; ; k--) {
    const det = n * sxx - sx * sx
    if (!(det > 1e-9 * n * sxx)) degenerate[k] = 1
    else {
      const b = (n * sxw - sx * sw) / det
      const a = (sw - b * sx) / n
      sse[k] = sww - a * sw - b * sxw
      if (sse[k]! < least) least = sse[k]!
    }
    if (k === 0) break
    // Knot k − 1: every x grows by d, and point k joins with x = d.
    const d = t[k]! - t[k - 1]!
    const wk = y[k]! - my
    sxx += 2 * d * sx + m * d * d + d * d
    sxw += d * after + d * wk
    sx += m * d + d
    after += wk
    m++
  }
  // How far a screened value may be from the exact fit's: a few roundings per point of the centred sums here
  // and of the raw values there (their squares reach syy), generously; and the least distance that keeps every
  // knot that can be chosen (ten times the replacement rule's).
  const err = 1e-9 * (n + 10) * (sww + Math.sqrt(sww * syy)) + 1e-9
  const limit = least + 1e-8 * Math.abs(least) + 1e-8 + 4 * err
  const near: number[] = []
  for (let k = 0; k <= n - 3; k++) if (degenerate[k] === 1 || sse[k]! <= limit) near.push(k)
  return near
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
 * (F near 0); one that grew and went flat puts the knot where it stopped.
 *
 * Callers pass whole series (thousands of snapshots), so every knot is first screened in O(1) from prefix sums
 * (`nearBestKnots`); only the knots that can be the best are fitted exactly, in knot order and by the same rule
 * as fitting every knot (which `hingeEndEvery` does, for the tests): the result is the same to the bit.
 */
export function hingeEnd(t: ArrayLike<number>, y: ArrayLike<number>): HingeEnd {
  const n = Math.min(t.length, y.length)
  if (n < 5) return {index: n - 1, slope: 0, f: 0}
  const my = meanOf(y, n)
  const line = cappedFit(t, y, n, Infinity, my)
  return bestKnot(t, y, n, my, line, nearBestKnots(t, y, n, my, line.sse))
}

/** {@link hingeEnd} fitting every knot exactly: O(n²). The reference the screened version must equal. */
export function hingeEndEvery(t: ArrayLike<number>, y: ArrayLike<number>): HingeEnd {
  const n = Math.min(t.length, y.length)
  if (n < 5) return {index: n - 1, slope: 0, f: 0}
  const my = meanOf(y, n)
  return bestKnot(t, y, n, my, cappedFit(t, y, n, Infinity, my), everyKnot(n))
}

/** The knots a fit may break at: 2…n−3. */
function everyKnot(n: number): number[] {
  const knots: number[] = []
  for (let k = 2; k < n - 2; k++) knots.push(k)
  return knots
}

/** The mean of the first n values (summed in order: every fit of a series uses this one). */
function meanOf(y: ArrayLike<number>, n: number): number {
  let sum = 0
  for (let i = 0; i < n; i++) sum += y[i]!
  return sum / n
}

/** The best of the line and the capped fits at `knots` (ascending), each replacing the best only when clearly better. */
function bestKnot(t: ArrayLike<number>, y: ArrayLike<number>, n: number, my: number, line: {b: number; sse: number}, knots: readonly number[]): HingeEnd {
  let best = {index: n - 1, slope: line.b, sse: line.sse}
  for (const k of knots) {
    const h = cappedFit(t, y, n, t[k]!, my)
    if (h.sse < best.sse * (1 - 1e-9) - 1e-9) best = {index: k, slope: h.b, sse: h.sse}
  }
  const f = best.index === n - 1 || best.sse <= 0 ? (best.index === n - 1 ? 0 : Infinity) : (line.sse - best.sse) / (best.sse / (n - 3))
  return {index: best.index, slope: best.slope, f}
}

/**
 * The knots 2…n−3 whose capped fit can be the best (ascending): every knot's squared residuals, computed in O(1)
 * from prefix sums of the centred series (sse = Σw² − a·Σw − b·Σxw at the least-squares a, b), within ten times
 * the replacement rule's tolerance (plus the rounding of both computations) of the least of them and the line's,
 * and below the line's by that rule (the first knot chosen must beat the line). A knot whose fit is worse than
 * that is never the best, nor does it change which of the near-best ones is chosen. Knots whose fit is
 * degenerate here are always kept (fitted exactly).
 * Needs times in order (a min(t, t_k) fit splits the series at k): otherwise every knot is kept.
 */
function nearBestKnots(t: ArrayLike<number>, y: ArrayLike<number>, n: number, meanY: number, lineSse: number): number[] {
  for (let i = 1; i < n; i++) if (!(t[i]! >= t[i - 1]!)) return everyKnot(n)
  const t0 = t[0]!
  // Prefix sums (through k) of u = t − t0, u², w = y − mean, u·w.
  const su = new Float64Array(n)
  const suu = new Float64Array(n)
  const sw = new Float64Array(n)
  const suw = new Float64Array(n)
  let a1 = 0
  let a2 = 0
  let a3 = 0
  let a4 = 0
  let sww = 0
  for (let i = 0; i < n; i++) {
    const u = t[i]! - t0
    const w = y[i]! - meanY
    a1 += u
    a2 += u * u
    a3 += w
    a4 += u * w
    sww += w * w
    su[i] = a1
    suu[i] = a2
    sw[i] = a3
    suw[i] = a4
  }
  const sy = a3
  const sse = new Float64Array(n)
  const degenerate = new Uint8Array(n)
  let least = lineSse
  for (let k = 2; k < n - 2; k++) {
    const uk = t[k]! - t0
    const after = n - 1 - k
    const sx = su[k]! + after * uk
    const sxx = suu[k]! + after * uk * uk
    const sxy = suw[k]! + uk * (sy - sw[k]!)
    const det = n * sxx - sx * sx
    if (!(det > 1e-9 * n * sxx)) {
      degenerate[k] = 1
      continue
    }
    const b = (n * sxy - sx * sy) / det
    const a = (sy - b * sx) / n
    sse[k] = sww - a * sy - b * sxy
    if (sse[k]! < least) least = sse[k]!
  }
  // How far a screened value may be from the exact fit's (both centred: a few roundings per point), the least
  // distance that keeps every knot that can be chosen (ten times the replacement rule's), and the line's bar.
  const err = 1e-15 * n * sww + 1e-12
  const limit = Math.min(least + 1e-8 * Math.abs(least) + 1e-8 + 4 * err, lineSse * (1 - 1e-9) - 1e-9 + err)
  const near: number[] = []
  for (let k = 2; k < n - 2; k++) if (degenerate[k] === 1 || sse[k]! <= limit) near.push(k)
  return near
}

/**
 * Least squares of y = a + b·min(t, cap) over the first n points (cap Infinity: a straight line): slope and
 * squared residuals. Loops written out (no function per point). Times are taken from t[0] and values from their
 * mean `my` (meanOf): raw epoch milliseconds squared (about 3e24) left the normal equations no digits for a
 * knot a few hours in.
 */
function cappedFit(t: ArrayLike<number>, y: ArrayLike<number>, n: number, cap: number, my: number): {b: number; sse: number} {
  const t0 = t[0]!
  const c = cap - t0
  let sx = 0
  let sxx = 0
  let sy = 0
  let sxy = 0
  for (let i = 0; i < n; i++) {
    const xi = Math.min(t[i]! - t0, c)
    const w = y[i]! - my
    sx += xi
    sxx += xi * xi
    sy += w
    sxy += xi * w
  }
  const det = n * sxx - sx * sx
  if (det <= 0) return {b: 0, sse: Infinity}
  const b = (n * sxy - sx * sy) / det
  const a = (sy - b * sx) / n
  let sse = 0
  for (let i = 0; i < n; i++) sse += (y[i]! - my - a - b * Math.min(t[i]! - t0, c)) ** 2
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
