import {gapsOf, hitSamples, spread, thinRuns} from './downsample.js'
import {escapeHtml, escapeHtmlBlock} from './escape.js'
import {formatAxisTime, formatInt} from './format.js'
import type {Point} from './model.js'
import {segments} from './model.js'

/**
 * Inline SVG primitives for the HTML report: a plotting frame with axes, lines with gaps, stacked
 * areas, limit lines, event markers and hover targets. Output is markup for an HTML document (no
 * xmlns, no external references). Every label passes through `escapeHtml`.
 */

export type Frame = {
  readonly w: number
  readonly h: number
  readonly left: number
  readonly right: number
  readonly top: number
  readonly bottom: number
  readonly x0: number
  readonly x1: number
  readonly y0: number
  readonly y1: number
  /** x values are wall times (ms) rather than snapshot indexes. */
  readonly timed: boolean
}

/** Coordinates with one decimal, no trailing `.0`: compact and byte-stable. */
export const num = (v: number): string => {
  const r = Math.round(v * 10) / 10
  return Object.is(r, -0) ? '0' : String(r)
}

export const sx = (f: Frame, x: number) => f.left + ((x - f.x0) / (f.x1 - f.x0 || 1)) * (f.w - f.left - f.right)
export const sy = (f: Frame, y: number) => f.h - f.bottom - ((y - f.y0) / (f.y1 - f.y0 || 1)) * (f.h - f.top - f.bottom)

/** Round-number ticks from 0 to at least `max` (about `count` of them). */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1]
  const raw = max / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag
  const ticks: number[] = []
  for (let v = 0; v < max + step; v += step) ticks.push(Math.round(v * 1e6) / 1e6)
  return ticks
}

const MIN = 60_000
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * MIN)

/** X ticks: round wall-clock times (or snapshot numbers) inside the frame, at most about 7. */
export function xTicks(f: Frame): {x: number; label: string}[] {
  const span = f.x1 - f.x0
  if (!f.timed) {
    const step = niceTicks(span, 6)[1] ?? 1
    const out: {x: number; label: string}[] = []
    for (let x = Math.ceil(f.x0 / step) * step; x <= f.x1; x += step) out.push({x, label: `#${Math.round(x)}`})
    return out
  }
  const step = TIME_STEPS.find((s) => span / s <= 7) ?? Math.ceil(span / 7 / (1440 * MIN)) * 1440 * MIN
  const multiDay = span > 86_400_000
  const out: {x: number; label: string}[] = []
  for (let x = Math.ceil(f.x0 / step) * step; x <= f.x1; x += step) out.push({x, label: formatAxisTime(x, multiDay)})
  return out
}

/** Axis titles: the y unit (`ports`, `handles`, `rows`) written along the y axis, the x axis's (time and zone) under it. */
export type AxisTitles = {readonly y?: string; readonly x?: string}

/** Gridlines, axes and tick labels; `yLabel` is the chart's heading over the plot. */
export function axes(f: Frame, yLabel: string, titles: AxisTitles = {}): string {
  const out: string[] = ['<g class="axes">']
  const bottom = f.h - f.bottom
  for (const t of niceTicks(f.y1, 4)) {
    if (t > f.y1) break
    const y = num(sy(f, t))
    out.push(`<line class="gl" x1="${f.left}" x2="${num(f.w - f.right)}" y1="${y}" y2="${y}"/>`)
    out.push(`<text class="tick" x="${f.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatInt(t)}</text>`)
  }
  for (const t of xTicks(f)) {
    const x = num(sx(f, t.x))
    out.push(`<line class="tickmark" x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 4}"/>`)
    out.push(`<text class="tick" x="${x}" y="${bottom + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`)
  }
  out.push(`<line class="axis" x1="${f.left}" x2="${num(f.w - f.right)}" y1="${bottom}" y2="${bottom}"/>`)
  out.push(`<text class="ylabel" x="${f.left}" y="${f.top - 8}">${escapeHtml(yLabel)}</text>`)
  if (titles.y) {
    const mid = num((f.top + f.h - f.bottom) / 2)
    out.push(`<text class="ytitle" x="12" y="${mid}" text-anchor="middle" transform="rotate(-90 12 ${mid})">${escapeHtml(titles.y)}</text>`)
  }
  if (titles.x) out.push(`<text class="xlabel" x="${num(f.w - f.right)}" y="${f.h - 2}" text-anchor="end">${escapeHtml(titles.x)}</text>`)
  out.push('</g>')
  return out.join('')
}

/** A series as one path of runs: missing samples and steps above `maxStep` break the line. */
export function linePath(f: Frame, points: readonly Point[], maxStep: number | null, cls: string, color: string): string {
  const runs = thinRuns(segments(points, maxStep))
  const d = runs
    .filter((r) => r.length > 1)
    .map((r) => r.map((p, i) => `${i ? 'L' : 'M'}${num(sx(f, p.x))} ${num(sy(f, p.y))}`).join(''))
    .join('')
  const dots = runs
    .filter((r) => r.length === 1)
    .map((r) => `<circle cx="${num(sx(f, r[0]!.x))}" cy="${num(sy(f, r[0]!.y))}" r="2" fill="${color}"/>`)
    .join('')
  return (d ? `<path class="${cls}" d="${d}" stroke="${color}" fill="none"/>` : '') + dots
}

/** A straight line between two points (trend, projection), clipped to the frame's y range; '' when outside. */
export function segmentLine(f: Frame, a: {x: number; y: number}, b: {x: number; y: number}, cls: string): string {
  const clip = (p: {x: number; y: number}, q: {x: number; y: number}) => {
    const bound = p.y < f.y0 ? f.y0 : p.y > f.y1 ? f.y1 : null
    if (bound === null || q.y === p.y) return p
    return {x: p.x + ((bound - p.y) / (q.y - p.y)) * (q.x - p.x), y: bound}
  }
  if ((a.y < f.y0 && b.y < f.y0) || (a.y > f.y1 && b.y > f.y1)) return ''
  ;[a, b] = [clip(a, b), clip(b, a)]
  return `<line class="${cls}" x1="${num(sx(f, a.x))}" y1="${num(sy(f, a.y))}" x2="${num(sx(f, b.x))}" y2="${num(sy(f, b.y))}"/>`
}

/** A horizontal limit line with its label. */
export function limitLine(f: Frame, y: number, label: string): string {
  const py = num(sy(f, y))
  return `<g class="limit"><line x1="${f.left}" x2="${num(f.w - f.right)}" y1="${py}" y2="${py}"/>` +
    `<text x="${f.left + 4}" y="${num(sy(f, y) - 5)}">${escapeHtml(label)}</text></g>`
}

/**
 * Vertical markers (events) with short labels and hover titles. Labels closer than 32 px to the
 * previous one drop a line so they never overprint.
 */
export function markers(f: Frame, items: readonly {x: number; label: string; title: string}[]): string {
  let lastX = -Infinity
  let level = 0
  return spread([...items].sort((a, b) => a.x - b.x))
    .map((m) => {
      const px = sx(f, m.x)
      level = px - lastX < 32 ? (level + 1) % 3 : 0
      lastX = px
      return `<g class="marker"><line x1="${num(px)}" x2="${num(px)}" y1="${f.top}" y2="${f.h - f.bottom}"/>` +
        `<text x="${num(px)}" y="${f.top + 10 + level * 12}" text-anchor="middle">${escapeHtml(m.label)}</text>` +
        `<title>${escapeHtmlBlock(m.title)}</title></g>`
    })
    .join('')
}

/** Shaded spans where sampling stopped (steps above `maxStep`), so gaps read as gaps. */
export function gapBands(f: Frame, xs: readonly (number | null)[], maxStep: number | null): string {
  const out: string[] = []
  for (const [prev, x] of gapsOf(xs, maxStep)) {
    const a = sx(f, prev)
    const minutes = Math.round((x - prev) / MIN)
    const box = `x="${num(a)}" y="${f.top}" width="${num(sx(f, x) - a)}" height="${num(f.h - f.top - f.bottom)}"`
    out.push(`<rect class="gap" ${box}><title>No samples for ${minutes} min</title></rect>`)
  }
  return out.join('')
}

/**
 * Invisible hover targets, one per sample: a column from the sample to halfway to its neighbours,
 * with a `<title>` (native tooltip; the page script turns it into a styled one).
 */
export function hoverColumns(f: Frame, xs: readonly (number | null)[], titles: readonly string[], sampled: number | null): string {
  const {present, maxStep} = hitSamples(xs, sampled)
  const out: string[] = ['<g class="hits">']
  const half = (a: number, b: number) => (maxStep !== null && Math.abs(b - a) > maxStep ? 0 : Math.abs(b - a) / 2)
  present.forEach((p, k) => {
    const before = k > 0 ? half(present[k - 1]!.x, p.x) : 0
    const after = k < present.length - 1 ? half(p.x, present[k + 1]!.x) : 0
    const a = sx(f, p.x - before)
    const width = Math.max(2, sx(f, p.x + after) - a)
    const box = `x="${num(Math.min(a, sx(f, p.x) - 1))}" y="${f.top}" width="${num(width)}" height="${num(f.h - f.top - f.bottom)}"`
    out.push(`<rect ${box}><title>${escapeHtmlBlock(titles[p.i] ?? '')}</title></rect>`)
  })
  out.push('</g>')
  return out.join('')
}

/** Stacked areas (bottom to top in `layers` order), one polygon per layer per run of samples. */
export function stackedAreas(
  f: Frame, xs: readonly (number | null)[], layers: readonly {color: string; values: ArrayLike<number>}[], maxStep: number | null,
): string {
  // thinned by the stack's height, so its peaks survive (`y` is the sample's index)
  const height = (i: number) => layers.reduce((sum, l) => sum + (l.values[i] ?? 0), 0)
  const runs = thinRuns(segments(xs.map((x, i) => ({x, y: i})), maxStep), (p) => height(p.y))
  const out: string[] = []
  for (const run of runs) {
    const base = run.map(() => 0)
    for (const layer of layers) {
      const topY = run.map((p, k) => base[k]! + (layer.values[p.y] ?? 0))
      const upper = run.map((p, k) => `${num(sx(f, p.x))},${num(sy(f, topY[k]!))}`)
      const lower = run.map((p, k) => `${num(sx(f, p.x))},${num(sy(f, base[k]!))}`).reverse()
      if (run.length === 1) {
        const x = sx(f, run[0]!.x)
        const height = num(sy(f, base[0]!) - sy(f, topY[0]!))
        out.push(`<rect x="${num(x - 1)}" y="${num(sy(f, topY[0]!))}" width="2" height="${height}" fill="${layer.color}"/>`)
      } else out.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${layer.color}"/>`)
      topY.forEach((v, k) => (base[k] = v))
    }
  }
  return out.join('')
}

/** Wraps chart content in an `<svg>` sized by its viewBox, with an accessible title. */
export function svgDocument(f: Frame, title: string, body: string): string {
  const attrs = `class="chart" viewBox="0 0 ${f.w} ${f.h}" role="img" preserveAspectRatio="xMidYMid meet"`
  return `<svg ${attrs}><title>${escapeHtml(title)}</title>${body}</svg>`
}
