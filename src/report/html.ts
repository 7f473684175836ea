import type {Analysis} from '../model/types.js'
import {culpritChart, ephemeralChart, statesChart} from './charts.js'
import {escapeHtml} from './escape.js'
import {formatInt, formatPercent, formatPids, formatRate, formatTime} from './format.js'
import {columns, html, numCell, section, table, text} from './html-parts.js'
import type {Cell} from './html-parts.js'
import {appendixSection, collectionSection, corroborationSection, findingsSection, nextStepsSection, rangeSection} from './html-sections.js'
import {CSS, SCRIPT} from './html-style.js'
import type {ReportModel, ReportOptions} from './model.js'
import {buildReportModel, describeX, sparkline, topPortHolders} from './model.js'
import {REDACTION_NOTE} from './redact.js'
import {VERDICT_LABEL, generatedLine, headline, peakRatio, richText, timeWaitSentence, titleParts} from './prose.js'
import {maxOf} from '../model/extremes.js'
import {pidCell} from '../model/pid-label.js'

/** Forbids every fetch, frame, font, form and base change: the file can make no network request. */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

const TOC: readonly [string, string][] = [
  ['verdict', 'Verdict'],
  ['culprits', 'Culprits'],
  ['over-time', 'Ports over time'],
  ['findings', 'Findings'],
  ['corroboration', 'Corroboration'],
  ['range', 'Dynamic port range'],
  ['next-steps', 'Next steps'],
  ['collection', 'Collection quality'],
  ['appendix', 'Inputs'],
]

/**
 * Renders the incident report as one self-contained HTML file: inline CSS, inline SVG charts, a small
 * optional script, no external reference of any kind. Pure and deterministic; every input string is escaped.
 */
export function renderHtml(analysis: Analysis, options: ReportOptions = {}): string {
  const model = buildReportModel(analysis)
  const {host, span} = titleParts(analysis)
  const title = `Port exhaustion report: ${host}`
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="portleak">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>\n${CSS}\n</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="muted">${escapeHtml(span)}</p>`,
    options.redacted ? `<p class="muted">${escapeHtml(REDACTION_NOTE)}</p>` : '',
    `<nav class="toc">${TOC.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</nav>`,
    '</header>',
    '<main>',
    verdictSection(analysis, model),
    culpritsSection(analysis, model),
    overTimeSection(analysis, model),
    findingsSection(analysis, model, options),
    corroborationSection(analysis, model),
    rangeSection(analysis),
    nextStepsSection(analysis),
    collectionSection(analysis),
    appendixSection(analysis),
    '</main>',
    `<footer>${escapeHtml(generatedLine(options))}</footer>`,
    `<script>\n${SCRIPT}\n</script>`,
    '</body>',
    '</html>',
    '',
  ].filter((line) => line !== '').join('\n') + '\n'
}

function verdictSection(analysis: Analysis, model: ReportModel): string {
  const v = analysis.document.verdict
  const [what, who, when] = headline(analysis, model, html)
  const at = v.peakAt ? ` at ${escapeHtml(formatTime(v.peakAt))}` : ''
  const why = v.evidence.length ? `<p>Why:</p><ul>${v.evidence.map((e) => `<li>${richText(e, html)}</li>`).join('')}</ul>` : ''
  const body =
    `<div class="verdict ${v.status}">` +
    `<p><span class="badge ${v.status}">${VERDICT_LABEL[v.status]}</span> ` +
    `peak ${formatPercent(peakRatio(analysis))} of the dynamic TCP port range in use${at}.</p>` +
    `<p class="lead">${what}</p><p class="lead">${who}</p><p class="lead">${when}</p></div>${why}`
  return section('verdict', 'Verdict', body)
}

function culpritsSection(analysis: Analysis, model: ReportModel): string {
  const parts: string[] = []
  if (model.culprits.length === 0) parts.push('<p>No process shows a growing use of ports or handles.</p>')
  else {
    const rows: Cell[][] = model.culprits.map((c) => [
      text(c.process),
      text(formatPids(c.pids)),
      text(c.finding.state),
      numCell(`${formatInt(c.finding.now)} → ${formatInt(c.finding.peak)}`, c.finding.now),
      numCell(formatRate(c.finding.slopePerHour), c.finding.slopePerHour),
      text(formatTime(c.finding.projectedExhaustion)),
      {html: `<span class="badge ${c.finding.severity}">${c.finding.severity}</span> ${escapeHtml(c.finding.kind)}`},
      {html: c.chart ? escapeHtml(sparkline(c.points.map((p) => p.y), 30)) : '', cls: 'spark'},
    ])
    parts.push(
      table(
        columns('Process', 'PID(s)', 'State', 'Now → peak:n', 'Slope:n', 'Projected exhaustion', 'Severity', 'Trend'),
        rows,
      ),
    )
    const charts = model.culprits.filter((c) => c.chart).map((c) => culpritChart(c, model))
    if (charts.length) parts.push(`<div class="multiples">${charts.join('\n')}</div>`)
  }
  if (analysis.document.attribution.timeWait.total > 0) parts.push(`<p>${escapeHtml(timeWaitSentence(analysis))}</p>`)
  const top = topPortHolders(analysis)
  if (top.length) {
    const rows = top.map(({p, peak, now, handles: h}) => {
      return [
        text(p.name ?? '(unnamed)'),
        numCell(pidCell(p.pid), p.pid),
        text(`${describeX(model, model.xs[p.first])} → ${describeX(model, model.xs[p.last])}`),
        numCell(formatInt(peak), peak),
        numCell(now === null ? 'gone' : formatInt(now), now ?? -1),
        numCell(h ? `${formatInt(h.peak)} (${formatInt(h.afdPeak)})` : '–', h?.peak ?? -1),
      ]
    })
    parts.push('<h3>Processes holding the most ports</h3>')
    parts.push(table(columns('Process', 'PID:n', 'Seen', 'Peak ports:n', 'Ports now:n', 'Peak handles (AFD):n'), rows))
  }
  return section('culprits', 'Culprits', parts.join('\n'))
}

function overTimeSection(analysis: Analysis, model: ReportModel): string {
  const {timeline, document} = analysis
  if (timeline.times.length === 0) return section('over-time', 'Ports over time', '<p>No snapshots.</p>')
  const range = document.dynamicRange.tcp.count
  const peak = maxOf(timeline.ephemeralInUse)
  const addrs = [...new Set(timeline.ephemeralAddr.filter(Boolean))]
  const note =
    `<p>Highest number of dynamic TCP ports in use on one local address${addrs.length === 1 ? ` (${escapeHtml(addrs[0]!)})` : ''}, ` +
    `against the range of ${formatInt(range)} ports: peak ${formatInt(peak)} (${formatPercent(peak / range)}). ` +
    'Shaded bands are sampling gaps; lines are never drawn across them.</p>'
  const states = statesChart(analysis, model)
  const parts = [note, ephemeralChart(analysis, model), states ? `<h3>TCP rows by state</h3>${states}` : '']
  return section('over-time', 'Ports over time', parts.join('\n'))
}
