import type {Analysis} from '../model/types.js'
import {TCP_STATES} from '../formats/types.js'
import {escapeHtml} from './escape.js'
import {formatInt, formatTime, formatWall} from './format.js'
import type {Culprit, Point, ReportModel} from './model.js'
import {describeX, timelinePoints} from './model.js'
import type {Frame} from './svg.js'
import {axes, gapBands, hoverColumns, limitLine, linePath, markers, niceTicks, segmentLine, stackedAreas, svgDocument} from './svg.js'
import {maxOf, minOf} from '../model/extremes.js'

/** The report's three chart kinds, as inline SVG with an HTML legend. */

/** Fixed colours per state, readable in print and for common colour-vision deficiencies. */
export const STATE_COLORS: Record<string, string> = {
  LISTENING: '#7f7f7f',
  ESTABLISHED: '#1f77b4',
  TIME_WAIT: '#ff7f0e',
  CLOSE_WAIT: '#e377c2',
  BOUND: '#d62728',
  SYN_SENT: '#9467bd',
  SYN_RECEIVED: '#c5b0d5',
  FIN_WAIT_1: '#2ca02c',
  FIN_WAIT_2: '#98df8a',
  LAST_ACK: '#8c564b',
  CLOSING: '#17becf',
  CLOSED: '#c7c7c7',
  DELETE_TCB: '#525252',
  PORTS: '#0f766e',
  UDP: '#bcbd22',
  HANDLES: '#393b79',
  AFD: '#d62728',
}
const color = (state: string) => STATE_COLORS[state] ?? '#444444'

export function legend(items: readonly {label: string; color: string; dashed?: boolean}[]): string {
  const li = items.map((i) => `<li><i class="${i.dashed ? 'dash' : 'swatch'}" style="--c:${i.color}"></i>${escapeHtml(i.label)}</li>`)
  return `<ul class="legend">${li.join('')}</ul>`
}

function xDomain(model: ReportModel, extra: readonly Point[] = []): [number, number] {
  const xs = [...model.xs, ...extra.map((p) => p.x)].filter((x): x is number => x !== null)
  if (xs.length === 0) return [0, 1]
  const lo = minOf(xs)
  const hi = maxOf(xs)
  return lo === hi ? [lo - (model.timed ? 60_000 : 1), hi + (model.timed ? 60_000 : 1)] : [lo, hi]
}

const yTop = (max: number) => niceTicks(max * 1.05, 4).at(-1) ?? 1

/** Ephemeral ports in use on the busiest local address, against the range size, with event markers. */
export function ephemeralChart(analysis: Analysis, model: ReportModel): string {
  const {timeline, document} = analysis
  const range = document.dynamicRange.tcp.count
  const points = timelinePoints(model, timeline.ephemeralInUse)
  const [x0, x1] = xDomain(model)
  const y1 = yTop(Math.max(range, ...timeline.ephemeralInUse))
  const f: Frame = {w: 900, h: 300, left: 64, right: 16, top: 28, bottom: 30, x0, x1, y0: 0, y1, timed: model.timed}
  const events = model.timed
    ? timeline.events
        .filter((e) => e.time !== null && e.time >= x0 && e.time <= x1)
        .map((e) => ({x: e.time!, label: String(e.id), title: `${formatWall(e.time)} event ${e.id} (${e.source}): ${e.message}`}))
    : []
  const titles = points.map((p, i) => {
    const addr = timeline.ephemeralAddr[i]
    return `${describeX(model, p.x)}: ${formatInt(p.y)} of ${formatInt(range)} in use${addr ? ` on ${addr}` : ''}`
  })
  const body = [
    axes(f, 'Dynamic TCP ports in use'),
    gapBands(f, model.xs, model.maxStep),
    limitLine(f, range, `range: ${formatInt(range)} ports`),
    linePath(f, points, model.maxStep, 'series main', '#1f77b4'),
    markers(f, events),
    hoverColumns(f, model.xs, titles, model.maxStep),
  ].join('')
  const items = [{label: 'ports in use (busiest local address)', color: '#1f77b4'}, {label: 'dynamic range size', color: '#b91c1c', dashed: true}]
  if (events.length) items.push({label: 'Tcpip events (4227/4231)', color: '#7c3aed', dashed: true})
  return figure(svgDocument(f, 'Dynamic TCP ports in use over time', body), legend(items))
}

/** Rows per TCP state over time, stacked. */
export function statesChart(analysis: Analysis, model: ReportModel): string {
  const {timeline} = analysis
  const states = TCP_STATES.filter((s) => timeline.totalsByState[s]?.some((v) => v > 0))
  if (states.length === 0) return ''
  const n = timeline.times.length
  const totals = Array.from({length: n}, (_, i) => states.reduce((sum, s) => sum + (timeline.totalsByState[s]![i] ?? 0), 0))
  const [x0, x1] = xDomain(model)
  const f: Frame = {w: 900, h: 260, left: 64, right: 16, top: 28, bottom: 30, x0, x1, y0: 0, y1: yTop(Math.max(1, ...totals)), timed: model.timed}
  const layers = states.map((s) => ({color: color(s), values: timeline.totalsByState[s]!}))
  const titles = model.xs.map((x, i) =>
    [
      `${describeX(model, x)}: ${formatInt(totals[i])} TCP rows`,
      ...[...states].reverse().map((s) => `${s} ${formatInt(timeline.totalsByState[s]![i])}`),
    ].join('\n'),
  )
  const body = [
    axes(f, 'TCP rows by state'),
    gapBands(f, model.xs, model.maxStep),
    stackedAreas(f, model.xs, layers, model.maxStep),
    hoverColumns(f, model.xs, titles, model.maxStep),
  ].join('')
  const items = [...states].reverse().map((s) => ({label: s, color: color(s)}))
  return figure(svgDocument(f, 'TCP rows by state over time (stacked)', body), legend(items))
}

/** Beyond this many spans past the data, a projection is cut at the chart edge. */
const PROJECTION_REACH = 1

/** One culprit's states over time, its Sen trend and the dashed projection to exhaustion. */
export function culpritChart(c: Culprit, model: ReportModel): string {
  let projection = c.projection
  const [d0, d1] = xDomain(model, c.states.flatMap((s) => s.points))
  let cut = false
  if (projection && projection.to.x !== null && projection.from.x !== null && projection.from.y !== null && projection.to.y !== null) {
    const edge = d1 + PROJECTION_REACH * (d1 - d0)
    if (projection.to.x > edge) {
      const k = (edge - projection.from.x) / (projection.to.x - projection.from.x)
      projection = {from: projection.from, to: {x: edge, y: projection.from.y + k * (projection.to.y - projection.from.y)}}
      cut = true
    }
  }
  const x1 = Math.max(d1, projection?.to.x ?? d1)
  const values = c.states.flatMap((s) => s.points.map((p) => p.y ?? 0))
  const trendTop = c.trend ? Math.max(c.trend.intercept + c.trend.slopePerMs * c.trend.to, 0) : 0
  let top = Math.max(1, ...values, projection?.to.y ?? 0, trendTop)
  // a limit far above everything drawn would flatten the series; the legend still names the exhaustion time
  const showLimit = c.limit !== null && top >= c.limit * 0.25
  if (showLimit) top = Math.max(top, c.limit!)
  const f: Frame = {w: 440, h: 220, left: 52, right: 12, top: 24, bottom: 28, x0: d0, x1, y0: 0, y1: yTop(top), timed: model.timed}
  const lines = [...c.states]
    .reverse()
    .map((s) => linePath(f, s.points, c.maxStep, s.state === c.finding.state ? 'series main' : 'series', color(s.state)))
  const parts = [axes(f, `${c.finding.state} (PID ${c.pids.join(', ') || '?'})`)]
  if (showLimit) parts.push(limitLine(f, c.limit!, `range ${formatInt(c.limit)}`))
  parts.push(...lines)
  if (c.trend) {
    const at = (x: number) => c.trend!.intercept + c.trend!.slopePerMs * x
    parts.push(segmentLine(f, {x: c.trend.from, y: at(c.trend.from)}, {x: c.trend.to, y: at(c.trend.to)}, 'trend'))
  }
  if (projection && projection.from.x !== null && projection.from.y !== null && projection.to.x !== null && projection.to.y !== null) {
    parts.push(segmentLine(f, {x: projection.from.x, y: projection.from.y}, {x: projection.to.x, y: projection.to.y}, 'projection'))
  }
  const main = c.states[0]!
  const titles = main.points.map((p) => `${describeX(model, p.x)}: ${c.finding.state} ${formatInt(p.y)}`)
  parts.push(hoverColumns(f, main.points.map((p) => (p.y === null ? null : p.x)), titles, c.maxStep))
  const items: {label: string; color: string; dashed?: boolean}[] = c.states.map((s) => ({label: s.state, color: color(s.state)}))
  if (c.trend) items.push({label: 'Sen trend', color: '#111111'})
  if (projection) {
    const when = formatTime(c.finding.projectedExhaustion)
    items.push({label: cut ? `projection (exhaustion ${when}, off the chart)` : `projection to exhaustion (${when})`, color: '#111111', dashed: true})
  }
  const title = `${c.process} (PID ${c.pids.join(', ')}): ${c.finding.state} over time`
  const detail = `PID ${c.pids.join(', ') || '?'} · ${c.finding.state} · ${c.finding.severity}`
  const caption = `<figcaption>${escapeHtml(c.process)} <span class="muted">${escapeHtml(detail)}</span></figcaption>`
  return figure(svgDocument(f, title, parts.join('')), legend(items), caption, 'small')
}

function figure(svg: string, legendHtml: string, caption = '', cls = ''): string {
  return `<figure class="figure${cls ? ` ${cls}` : ''}">${caption}${svg}${legendHtml}</figure>`
}
