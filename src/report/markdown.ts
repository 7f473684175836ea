import type {Analysis} from '../model/types.js'
import {stripControls} from './escape.js'
import {formatAxisTime, formatInt, formatPercent, formatPids, formatRate, formatTime} from './format.js'
import {md, mdTable} from './markdown-parts.js'
import {
  renderAppendix,
  renderCollection,
  renderCorroboration,
  renderFindings,
  renderNextSteps,
  renderRange,
} from './markdown-sections.js'
import type {ReportModel, ReportOptions} from './model.js'
import {buildReportModel, describeX, downsampleMax, sparkline, topPortHolders} from './model.js'
import {REDACTION_NOTE} from './redact.js'
import {VERDICT_LABEL, generatedLine, headline, peakRatio, richText, timeWaitSentence, titleParts} from './prose.js'
import {maxOf, minOf} from '../model/extremes.js'
import {pidCell} from '../model/pid-label.js'

/** Points in the mermaid chart at most; GitHub renders larger charts illegibly. */
const MERMAID_POINTS = 60

/**
 * Renders the incident report as GitHub-flavoured markdown (GitHub, Azure DevOps). Pure: the same
 * analysis and options give the same string. Every input string is escaped, so names render as text.
 */
export function renderMarkdown(analysis: Analysis, options: ReportOptions = {}): string {
  const model = buildReportModel(analysis)
  const {host, span} = titleParts(analysis)
  const parts = [
    `# Port exhaustion report: ${md.text(host)}`,
    md.text(span) + (options.redacted ? `\n\n${md.text(REDACTION_NOTE)}` : ''),
    renderVerdict(analysis, model),
    renderCulprits(analysis, model),
    renderChart(analysis, model, options),
    renderFindings(analysis, model, options),
    renderCorroboration(analysis, model),
    renderRange(analysis),
    renderNextSteps(analysis),
    renderCollection(analysis),
    renderAppendix(analysis),
    md.text(generatedLine(options)),
  ]
  // No control character from the input reaches a terminal (`report -o -`) or a renderer.
  return stripControls(`${parts.filter((p) => p !== '').join('\n\n')}\n`)
}

function renderVerdict(analysis: Analysis, model: ReportModel): string {
  const v = analysis.document.verdict
  const lines = headline(analysis, model, md)
  const why = v.evidence.map((e) => `- ${richText(e, md)}`)
  return [
    '## Verdict',
    `**${VERDICT_LABEL[v.status]}**: peak ${formatPercent(peakRatio(analysis))} of the dynamic TCP port range in use` +
      `${v.peakAt ? ` at ${md.text(formatTime(v.peakAt))}` : ''}.`,
    lines.map((l) => `> ${l}`).join('\n>\n'),
    why.length ? `Why:\n\n${why.join('\n')}` : '',
  ].filter(Boolean).join('\n\n')
}

function renderCulprits(analysis: Analysis, model: ReportModel): string {
  const out = ['## Culprits']
  if (model.culprits.length === 0) out.push('No process shows a growing use of ports or handles.')
  else {
    const rows = model.culprits.map((c) => [
      md.text(c.process),
      formatPids(c.pids),
      md.text(c.finding.state),
      `${formatInt(c.finding.now)} → ${formatInt(c.finding.peak)}`,
      formatRate(c.finding.slopePerHour),
      md.text(formatTime(c.finding.projectedExhaustion)),
      `${c.finding.severity} (${c.finding.kind})`,
    ])
    out.push(mdTable(['Process', 'PID(s)', 'State', 'Now → peak', 'Slope', 'Projected exhaustion', 'Severity'], rows, 'lllrrll'))
    const sparks = model.culprits
      .filter((c) => c.chart)
      .map((c) => {
        const spark = sparkline(c.points.map((p) => p.y))
        const span = `${formatInt(c.finding.start)} → ${formatInt(c.finding.now)}`
        return `- ${md.text(c.process)} ${md.text(c.finding.state)}: \`${spark}\` ${span}`
      })
    if (sparks.length) out.push(`Trend per culprit (from the first snapshot to the last, scaled to its peak):\n\n${sparks.join('\n')}`)
  }
  if (analysis.document.attribution.timeWait.total > 0) out.push(md.text(timeWaitSentence(analysis)))
  const top = topPortHolders(analysis)
  if (top.length) {
    const rows = top.map(({p, peak, now, handles: h}) => {
      return [
        md.text(p.name ?? '(unnamed)'),
        pidCell(p.pid),
        md.text(`${describeX(model, model.xs[p.first])} → ${describeX(model, model.xs[p.last])}`),
        formatInt(peak), now === null ? 'gone' : formatInt(now), h ? `${formatInt(h.peak)} (${formatInt(h.afdPeak)})` : '–',
      ]
    })
    const head = ['Process', 'PID', 'Seen', 'Peak ports', 'Ports now', 'Peak handles (AFD)']
    out.push(`### Processes holding the most ports\n\n${mdTable(head, rows, 'llrrrr')}`)
  }
  return out.join('\n\n')
}

/** Rows of the portable series table (evenly spaced snapshots, the peak always among them). */
const TABLE_POINTS = 8

/**
 * The series at a handful of snapshots: evenly spaced, plus the peak, in time order. Renders in every
 * ticket system (a plain table), unlike a Mermaid chart.
 */
function seriesTable(analysis: Analysis, model: ReportModel): string {
  const {timeline, document} = analysis
  const n = timeline.ephemeralInUse.length
  const range = document.dynamicRange.tcp.count
  const picks = new Set<number>()
  for (let k = 0; k < TABLE_POINTS; k++) picks.add(Math.round((k * (n - 1)) / Math.max(1, TABLE_POINTS - 1)))
  let peakAt = 0
  for (let i = 1; i < n; i++) if (timeline.ephemeralInUse[i]! > timeline.ephemeralInUse[peakAt]!) peakAt = i
  picks.add(peakAt)
  const top = model.culprits.find((c) => c.chart && c.points.length === n)
  const rows = [...picks].sort((a, b) => a - b).map((i) => {
    const v = timeline.ephemeralInUse[i] ?? 0
    const cells = [md.text(describeX(model, model.xs[i])), formatInt(v), formatPercent(v / range)]
    if (top) cells.push(formatInt(top.points[i]?.y ?? null))
    return cells
  })
  const head = ['Snapshot', 'Ports in use', 'Of the range']
  if (top) head.push(md.text(`${top.process} ${top.finding.state}`))
  return `${mdTable(head, rows, top ? 'lrrr' : 'lrr')}\n\n${md.text(`Times: ${model.xTitle}.`)}${peakAt > 0 ? ` ${md.text(`The peak is at ${describeX(model, model.xs[peakAt])}.`)}` : ''}`
}

function renderChart(analysis: Analysis, model: ReportModel, options: ReportOptions): string {
  const {timeline, document} = analysis
  const n = timeline.ephemeralInUse.length
  if (n === 0) return '## Ephemeral ports in use over time\n\nNo snapshots.'
  const range = document.dynamicRange.tcp.count
  const peak = maxOf(timeline.ephemeralInUse)
  const spark = `\`${sparkline(Array.from(timeline.ephemeralInUse), 60)}\` ${formatInt(timeline.ephemeralInUse[0] ?? 0)} → ${formatInt(timeline.ephemeralInUse[n - 1] ?? 0)}, peak ${formatInt(peak)} of ${formatInt(range)}`
  const per = Math.ceil(n / MERMAID_POINTS)
  const addrs = [...new Set(timeline.ephemeralAddr.filter(Boolean))]
  const notes = [
    `Highest number of dynamic TCP ports in use on one local address${addrs.length === 1 ? ` (${md.text(addrs[0]!)})` : ''}, ` +
      `against the range of ${formatInt(range)} ports. Peak ${formatInt(peak)} (${formatPercent(peak / range)}).`,
    options.mermaid && per > 1 ? `Each chart point is the highest of ${per} snapshots.` : '',
    options.mermaid && document.sampling.gaps.length
      ? `Sampling gaps are not drawn as gaps in the chart (the HTML report shows them): ${document.sampling.gaps.length} gap(s), ` +
        'see collection quality.'
      : '',
  ].filter(Boolean)
  const parts = ['## Ephemeral ports in use over time', notes.join(' '), `Trend (scaled to the peak): ${spark}`, seriesTable(analysis, model)]
  if (options.mermaid) parts.push(mermaidChart(analysis, model))
  return parts.join('\n\n')
}

/** The same series as a Mermaid xychart (GitHub renders it; most ticket systems show it as text): `--mermaid`. */
function mermaidChart(analysis: Analysis, model: ReportModel): string {
  const {timeline, document} = analysis
  const n = timeline.ephemeralInUse.length
  const range = document.dynamicRange.tcp.count
  const buckets = downsampleMax(Array.from(timeline.ephemeralInUse), MERMAID_POINTS)
  const known = model.xs.filter((x): x is number => x !== null)
  const multiDay = model.timed && known.length > 1 && maxOf(known) - minOf(known) > 86_400_000
  const label = (start: number) => {
    for (let i = start; i < Math.min(n, start + Math.ceil(n / MERMAID_POINTS)); i++) {
      const x = model.xs[i]
      if (x !== null && x !== undefined) return model.timed ? formatAxisTime(x, multiDay) : `#${x}`
    }
    return '?'
  }
  const peak = maxOf(timeline.ephemeralInUse)
  const top = Math.ceil((Math.max(range, peak) * 1.05) / 1000) * 1000
  return [
    '```mermaid',
    'xychart-beta',
    '    title "Dynamic TCP ports in use (top line: range size)"',
    `    x-axis [${buckets.map((b) => `"${label(b.index)}"`).join(', ')}]`,
    `    y-axis "Ports in use" 0 --> ${top}`,
    `    line [${buckets.map((b) => b.value ?? 0).join(', ')}]`,
    `    line [${buckets.map(() => range).join(', ')}]`,
    '```',
  ].join('\n')
}
