import type {Analysis, Evidence, Finding} from '../model/types.js'
import {capRows} from './downsample.js'
import {escapeHtml} from './escape.js'
import {dumpFacts, evidenceText, findingFacts, handleRows, inputCells, isDumpFormat, REMOTE_HEAD, remoteRows, samplingSentence} from './facts.js'
import {formatDuration, formatEventTime, formatInt, formatPids, formatTime} from './format.js'
import type {Cell} from './html-parts.js'
import {columns, html, list, numCell, pre, section, table, text} from './html-parts.js'
import type {ReportModel, ReportOptions} from './model.js'
import {describeX} from './model.js'
import {COLLECTION_EXTRAS, COLLECTION_SCRIPT, collectionHints, exclusionLines, rangeSource, richText} from './prose.js'
import {pidLabel} from '../model/pid-label.js'

/** Sections of the HTML report after the charts, in report order (the same as the markdown report). */

const EVENT_ROWS = 50
const GAP_ROWS = 20

function evidenceHtml(evidence: readonly Evidence[], shown: number, open: boolean): string {
  if (evidence.length === 0) return '<p class="muted">No evidence rows were kept for this finding.</p>'
  const {text, count} = evidenceText(evidence, shown)
  return `<details class="evidence"${open ? ' open' : ''}><summary>Evidence (${count})</summary>${pre(text)}</details>`
}

function remotesHtml(f: Finding, model: ReportModel): string {
  const rows: Cell[][] = remoteRows(f, (i) => describeX(model, model.xs[i])).map((r, k) => {
    const e = f.remotes![k]!
    return [{html: html.code(r[0]!)}, numCell(r[1]!, e.peak), numCell(r[2]!, e.total), numCell(r[3]!, e.snapshots), text(r[4]!)]
  })
  return rows.length ? `<p>Remote endpoints it talks to (connections over time):</p>${table(columns(...REMOTE_HEAD.map((h, i) => (i && i < 4 ? `${h}:n` : h))), rows)}` : ''
}

function findingHtml(f: Finding, index: number, shown: number, model: ReportModel): string {
  const pids = f.pids.length ? f.pids : f.pid !== null ? [f.pid] : []
  const who = `${f.process ?? '(unnamed)'}${pids.length ? ` (${pidLabel(pids, f.process)})` : ''}`
  return (
    `<article class="finding" id="finding-${index + 1}">` +
    `<h3>${index + 1}. <span class="badge ${f.severity}">${f.severity}</span> ` +
    `${escapeHtml(`${f.kind.replace(/-/g, ' ')}: ${who}, ${f.state}`)}</h3>` +
    `<p>${richText(f.summary, html)}</p>${list(findingFacts(f, html))}${remotesHtml(f, model)}${evidenceHtml(f.evidence, shown, index === 0)}</article>`
  )
}

export function findingsSection(analysis: Analysis, model: ReportModel, options: ReportOptions): string {
  if (model.culprits.length === 0) return section('findings', 'Findings', '<p>No findings: no process grew its use of ports or handles.</p>')
  const shown = Math.max(1, options.evidenceRows ?? 5)
  return section('findings', 'Findings', model.culprits.map((c, i) => findingHtml(c.finding, i, shown, model)).join('\n'))
}

export function corroborationSection(analysis: Analysis, model: ReportModel): string {
  const {document: d, timeline} = analysis
  const parts = ['<h3>Handles</h3>']
  const {rows: handles, note: more} = capRows(handleRows(timeline.handles))
  if (handles.length === 0) parts.push('<p>No handle listings were supplied.</p>')
  else {
    const rows: Cell[][] = handles.map((h) => [
      text(h.name), numCell(String(h.pid), h.pid), numCell(formatInt(h.samples), h.samples),
      text(h.handles, 'num'), text(h.afd, 'num'), text(h.sources, 'wrap'),
    ])
    parts.push(table(columns('Process', 'PID:n', 'Samples:n', 'Handles first → last (peak):n', 'AFD first → last:n', 'Source'), rows))
    if (more) parts.push(`<p class="muted">${escapeHtml(more)}</p>`)
  }
  parts.push('<h3>Memory dumps</h3>')
  const dumps = d.inputs.filter((i) => isDumpFormat(i.format))
  const holders = model.culprits.filter((c) => c.finding.kind === 'dump-top-holder')
  if (dumps.length === 0) parts.push('<p>No memory-dump tables were supplied.</p>')
  else {
    parts.push(list(dumps.map((i) => `${html.code(i.path)} (${escapeHtml(i.format ?? '')}): ${escapeHtml(dumpFacts(i))}`)))
    if (holders.length) parts.push(list(holders.map((c) => richText(c.finding.summary, html))))
  }
  parts.push('<h3>Events</h3>')
  if (d.events.length === 0) parts.push('<p>No Tcpip events (4227, 4231) were supplied.</p>')
  else {
    const rows: Cell[][] = d.events.slice(0, EVENT_ROWS).map((e) => [
      text(formatEventTime(e)), numCell(String(e.id), e.id), text(e.source), text(e.message), text(`${e.path}:${e.line}`, 'wrap'),
    ])
    parts.push(table(columns('Time', 'ID:n', 'Source', 'Message', 'Where'), rows))
    if (d.events.length > EVENT_ROWS) parts.push(`<p>… and ${formatInt(d.events.length - EVENT_ROWS)} more event(s).</p>`)
  }
  return section('corroboration', 'Corroboration', parts.join('\n'))
}

export function rangeSection(analysis: Analysis): string {
  const {tcp, udp} = analysis.document.dynamicRange
  const excluded = exclusionLines(tcp, html)
  return section('range', 'Dynamic port range', list([`TCP: ${rangeSource(tcp, html)}${excluded.length ? list(excluded) : ''}`, `UDP: ${rangeSource(udp, html, 'udp')}`]))
}

export function nextStepsSection(analysis: Analysis): string {
  const steps = analysis.document.nextSteps
  return section('next-steps', 'Recommended next steps', steps.length ? list(steps.map((s) => richText(s, html)), true) : '<p>No action needed.</p>')
}

export function collectionSection(analysis: Analysis): string {
  const s = analysis.document.sampling
  const parts = [`<p>${escapeHtml(samplingSentence(analysis))}</p>`]
  if (s.gaps.length) {
    const rows: Cell[][] = s.gaps.slice(0, GAP_ROWS).map((g) => [text(formatTime(g.after)), numCell(formatDuration(g.seconds), g.seconds)])
    parts.push(table(columns('Gap after', 'Length:n'), rows))
    if (s.gaps.length > GAP_ROWS) parts.push(`<p>… and ${formatInt(s.gaps.length - GAP_ROWS)} more gap(s).</p>`)
  }
  const hints = collectionHints(analysis, html)
  parts.push(hints.length ? `<p>Missing or weak evidence:</p>${list(hints)}` : '<p>Nothing important is missing from the collection.</p>')
  parts.push(
    '<h3>Corrected collection script</h3>',
    `<p>Save as ${html.code('collect.cmd')} and run it from an elevated prompt while the problem builds up (stop it with Ctrl+C):</p>`,
    pre(COLLECTION_SCRIPT),
    `<p>Also collect:</p>${list(COLLECTION_EXTRAS.map((e) => `${html.code(e.command)}: ${escapeHtml(e.why)}`))}`,
  )
  return section('collection', 'Collection quality', parts.join('\n'))
}

export function appendixSection(analysis: Analysis): string {
  const inputs = analysis.document.inputs
  if (inputs.length === 0) return section('appendix', 'Appendix: inputs', '<p>No inputs.</p>')
  const shown = capRows(inputs)
  const rows: Cell[][] = shown.rows.map((i) => {
    const c = inputCells(i)
    return [
      text(c.path, 'wrap'), text(c.format), text(c.encoding), numCell(c.size, i.bytes), {html: html.code(i.sha256), cls: 'wrap'},
      text(c.range), numCell(c.records, i.records), {html: escapeHtml(c.skipped), v: i.skipped},
    ]
  })
  const parts = [
    table(columns('Path', 'Format', 'Encoding', 'Size:n', 'SHA-256', 'Time range', 'Records:n', 'Skipped lines'), rows),
  ]
  if (shown.note) parts.push(`<p class="muted">${escapeHtml(shown.note)}</p>`)
  const failed = capRows(inputs.filter((i) => i.error))
  if (failed.rows.length) parts.push(`<p>Problems reading inputs:</p>${list(failed.rows.map((i) => `${html.code(i.path)}: ${escapeHtml(i.error!)}`))}`)
  if (failed.note) parts.push(`<p class="muted">${escapeHtml(failed.note)}</p>`)
  for (const i of capRows(inputs.filter((x) => x.skippedExamples.length > 0), 20).rows) {
    const lines = i.skippedExamples.map((e) => `${String(e.line).padStart(6)}  ${e.reason.padEnd(9)}  ${e.text}`)
    parts.push(`<p>Skipped lines in ${html.code(i.path)}:</p>${pre(lines.join('\n'))}`)
  }
  return section('appendix', 'Appendix: inputs', parts.join('\n'))
}
