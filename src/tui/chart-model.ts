import type {Layout} from './layout.js'
import type {EventMarker} from '../model/types.js'
import {compact, displayWidth, fit, fitSegs, formatInt, percent, type Seg} from './text.js'
import {indexTicks, timeTicks} from './time-format.js'
import {cursorTime, memo, type ViewModel} from './view-model.js'

/** Style names of the chart (and the lines around it); theme.ts maps them to colours. */
export type ChartStyle = 'plain' | 'dim' | 'bar' | 'warn' | 'crit' | 'limit' | 'cursor' | 'event' | 'axis'

/**
 * The case at one zoom level: `total` columns of `w` x-units (ms, or snapshots when untimed) from
 * `vm.xMin`. `val` is the highest ephemeral use among the samples in a column, the value of the
 * sample before it while no gap separates the two, or -1 in a gap. Never interpolated.
 */
export type Level = {
  readonly w: number
  readonly total: number
  readonly val: Int32Array
  /** Columns with an event marker. */
  readonly events: Uint8Array
}

/** Columns of the deepest zoom level stay under this, whatever a broken clock does to the span. */
const MAX_COLUMNS = 400_000
const BLOCKS = ' ▁▂▃▄▅▆▇█'
/** Width of the y labels (compact numbers are at most 5 characters). */
const GUTTER_LABEL = 5

const span = (vm: ViewModel) => vm.xMax - vm.xMin + vm.step

/** Column widths of the zoom levels for a plot width: whole case first, halving down to one sample per column. */
export function levelWidths(vm: ViewModel, plotWidth: number): readonly number[] {
  return memo(vm, `widths:${plotWidth}`, () => {
    const floor = Math.max(vm.step, span(vm) / MAX_COLUMNS)
    const out = [span(vm) / plotWidth]
    while (out[out.length - 1]! > floor) out.push(Math.max(floor, out[out.length - 1]! / 2))
    return out
  })
}

/** The columns of zoom level `k` (0 = whole case) for a plot width: O(snapshots + columns), once per level. */
export function level(vm: ViewModel, plotWidth: number, k: number): Level {
  return memo(vm, `level:${plotWidth}:${k}`, () => {
    const w = levelWidths(vm, plotWidth)[k]!
    const total = k === 0 ? plotWidth : Math.ceil(span(vm) / w)
    const val = new Int32Array(total).fill(-1)
    const col = (x: number) => Math.max(0, Math.min(total - 1, Math.floor((x - vm.xMin) / w)))
    const use = vm.analysis.timeline.ephemeralInUse
    const {placed, xs} = vm
    for (let k2 = 0; k2 < placed.length; k2++) {
      const i = placed[k2]!
      const c = col(xs[i]!)
      if (use[i]! > val[c]!) val[c] = use[i]!
    }
    // A sample holds until the next one unless a long pause or a snapshot of unknown time lies between.
    const nulls = new Int32Array(vm.n + 1)
    for (let i = 0; i < vm.n; i++) nulls[i + 1] = nulls[i]! + (Number.isNaN(xs[i]!) ? 1 : 0)
    for (let k2 = 0; k2 < placed.length; k2++) {
      const a = placed[k2]!
      const b = placed[k2 + 1]
      const xa = xs[a]!
      const joined =
        b !== undefined && (vm.maxStep === null || xs[b]! - xa <= vm.maxStep) && (b < a || nulls[b]! === nulls[a + 1]!)
      const end = joined ? xs[b!]! : xa + vm.step
      for (let c = col(xa) + 1; c < total && vm.xMin + c * w < end && (!joined || c < col(end)); c++) {
        if (val[c] === -1) val[c] = use[a]!
      }
    }
    const events = new Uint8Array(total)
    for (const e of vm.events) {
      if (e.outsideSeconds) continue
      const x = vm.timed && e.time !== null ? e.time : e.snapshot >= 0 ? vm.place[e.snapshot]! : NaN
      if (x >= vm.xMin && x < vm.xMin + total * w) events[col(x)] = 1
    }
    return {w, total, val, events}
  })
}

/** Column of the cursor's snapshot at a level (a snapshot of unknown time sits with the one before it). */
export function cursorColumn(vm: ViewModel, lv: Level, cursor: number): number {
  const x = vm.place[cursor]
  if (x === undefined || Number.isNaN(x)) return 0
  return Math.max(0, Math.min(lv.total - 1, Math.floor((x - vm.xMin) / lv.w)))
}

/** First visible column so that the cursor column is inside the window (moves only when it must). */
export function keepVisible(winStart: number, col: number, width: number, total: number): number {
  const margin = Math.floor(width / 4)
  let s = winStart
  if (col < s) s = col - margin
  else if (col >= s + width) s = col - width + 1 + margin
  return Math.max(0, Math.min(Math.max(0, total - width), s))
}

/** What the chart region shows: an info line, the bars, the axis with markers, the time labels. */
export type ChartView = {
  readonly info: readonly Seg<ChartStyle>[]
  readonly rows: readonly (readonly Seg<ChartStyle>[])[]
  readonly axis: readonly Seg<ChartStyle>[]
  readonly labels: string
}

export type ChartState = {
  readonly cursor: number
  readonly zoom: number
  readonly winStart: number
  readonly yScale: 'range' | 'fit'
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v))
  return ([1, 2, 2.5, 5, 10].find((m) => m * p >= v) ?? 10) * p
}

/** Appends a cell, merging it into the previous segment when the style is the same. */
function push(line: Seg<ChartStyle>[], text: string, style: ChartStyle) {
  const last = line[line.length - 1]
  if (last && last.style === style) line[line.length - 1] = {text: last.text + text, style}
  else line.push({text, style})
}

/** Derives the chart region for the visible window: O(plot width × chart height). */
export function deriveChart(vm: ViewModel, s: ChartState, layout: Layout): ChartView {
  const W = layout.plotWidth
  const H = layout.chartHeight
  const levels = levelWidths(vm, W)
  const lv = level(vm, W, Math.min(s.zoom, levels.length - 1))
  const cur = vm.n ? cursorColumn(vm, lv, s.cursor) - s.winStart : -1
  const yMax = s.yScale === 'range' ? Math.max(vm.range, vm.peak, 1) : niceCeil(Math.max(1, vm.peak) * 1.05)
  const cells = H * 8
  const limitRow = vm.range <= yMax ? Math.max(0, Math.min(H - 1, Math.ceil((vm.range / yMax) * H) - 1)) : -1
  const rows: Seg<ChartStyle>[][] = []
  for (let r = 0; r < H; r++) {
    const k = H - 1 - r
    const label = r === 0 ? compact(yMax) : k === limitRow ? compact(vm.range) : ''
    const line: Seg<ChartStyle>[] = [{text: `${fit(label, GUTTER_LABEL, 'right')} ${label ? '┤' : '│'}`, style: 'axis'}]
    for (let j = 0; j < W; j++) {
      const c = s.winStart + j
      const v = c < lv.total ? lv.val[c]! : -1
      const e8 = v <= 0 ? 0 : Math.min(cells, Math.max(1, Math.round((v / yMax) * cells)))
      const fill = Math.max(0, Math.min(8, e8 - 8 * k))
      // a full cell of the cursor column is shaded so the cursor stays visible without colour
      if (j === cur) push(line, fill === 8 ? '▓' : fill ? BLOCKS[fill]! : '│', 'cursor')
      else if (fill) push(line, BLOCKS[fill]!, v >= vm.range * 0.9 ? 'crit' : v >= vm.range * 0.6 ? 'warn' : 'bar')
      else if (k === limitRow) push(line, '─', 'limit')
      else push(line, ' ', 'plain')
    }
    rows.push(line)
  }
  const x0 = vm.xMin + s.winStart * lv.w
  const ticks = !vm.n ? [] : vm.timed ? timeTicks(x0, lv.w, W, vm.multiYear) : indexTicks(x0, lv.w, W)
  const tickCols = new Set(ticks.map((t) => t.col))
  const axis: Seg<ChartStyle>[] = [{text: `${fit('0', GUTTER_LABEL, 'right')} └`, style: 'axis'}]
  for (let j = 0; j < W; j++) {
    const c = s.winStart + j
    const gap = c >= lv.total || lv.val[c] === -1
    const event = c < lv.total && lv.events[c] === 1
    // the cursor's own snapshot may carry an event whose time falls in the next column
    if (j === cur) push(axis, event || vm.eventsAt.has(s.cursor) ? '▲' : '┴', 'cursor')
    else if (event) push(axis, '▲', 'event')
    else if (gap) push(axis, ' ', 'plain')
    else push(axis, tickCols.has(j) ? '┬' : '─', 'axis')
  }
  let labels = ''
  for (const t of ticks) {
    if (t.col < labels.length + (labels ? 1 : 0) || t.col + t.label.length > W) continue
    labels = labels.padEnd(t.col) + t.label
  }
  const info = infoLine(vm, s, layout, levels.length, yMax)
  return {info, rows, axis, labels: ' '.repeat(layout.gutter) + labels.padEnd(W)}
}

function infoLine(vm: ViewModel, s: ChartState, layout: Layout, levels: number, yMax: number): Seg<ChartStyle>[] {
  const tl = vm.analysis.timeline
  if (vm.n === 0) return fitSegs([{text: 'no snapshots: the inputs hold no connection tables over time', style: 'dim'}], layout.columns, 'plain')
  const use = tl.ephemeralInUse[s.cursor] ?? 0
  const ratio = vm.range ? use / vm.range : 0
  const addr = tl.ephemeralAddr[s.cursor]
  const segs: Seg<ChartStyle>[] = [
    {text: `▶ ${cursorTime(vm, s.cursor)}`, style: 'cursor'},
    {text: `  #${s.cursor + 1}/${vm.n}  `, style: 'dim'},
    {
      text: `${formatInt(use)}/${formatInt(vm.range)} in use (${percent(ratio)})${addr ? ` on ${addr}` : ''}`,
      style: ratio >= 0.9 ? 'crit' : ratio >= 0.6 ? 'warn' : 'plain',
    },
  ]
  const scale = vm.range > yMax ? ` · limit ${compact(vm.range)} ↑` : ''
  const right = `  zoom ${s.zoom + 1}/${levels}${scale}`
  const here = vm.eventsAt.get(s.cursor)
  if (here?.length) {
    // the whole message when it fits; else the id only here, and the message on the status line (eventText)
    const more = here.length > 1 ? ` (+${here.length - 1})` : ''
    const full = `  ${eventText(here)}`
    let room = layout.columns - right.length - segs.reduce((n, x) => n + displayWidth(x.text), 0)
    const short = `  ▲ ${here[0]!.id}${more}`
    if (displayWidth(full) > room && addr) {
      segs[2] = {...segs[2]!, text: segs[2]!.text.replace(` on ${addr}`, '')}
      room += addr.length + 4
    }
    segs.push({text: room >= short.length + 16 ? fit(full, Math.min(room, displayWidth(full))) : short, style: 'event'})
  }
  const left = fitSegs(segs, Math.max(0, layout.columns - right.length), 'plain')
  return [...left, {text: fit(right, Math.min(right.length, layout.columns)), style: 'dim'}]
}

/** An event (or the first of several) as one line: `▲ 4227 Tcpip: TCP/IP failed …  (+2 more)`. */
export function eventText(events: readonly EventMarker[]): string {
  const e = events[0]!
  const more = events.length > 1 ? `  (+${events.length - 1} more, t: next)` : ''
  return `▲ ${e.id} ${e.source}: ${e.message.replace(/\s+/g, ' ').trim()}${more}`
}
