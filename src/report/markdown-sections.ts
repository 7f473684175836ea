import type {Analysis, Evidence, Finding} from '../model/types.js'
import {capRows} from './downsample.js'
import {markdownFence} from './escape.js'
import {formatDuration, formatEventTime, formatInt, formatPids, formatTime} from './format.js'
import {md, mdCode, mdTable} from './markdown-parts.js'
import type {ReportModel, ReportOptions} from './model.js'
import {describeX} from './model.js'
import {dumpFacts, evidenceText, findingFacts, handleRows, inputCells, isDumpFormat, REMOTE_HEAD, remoteRows, samplingSentence} from './facts.js'
import {COLLECTION_EXTRAS, COLLECTION_SCRIPT, collectionHints, exclusionLines, rangeSource, richText} from './prose.js'
import {pidLabel} from '../model/pid-label.js'

/** Sections of the markdown report after the chart, in report order. */

const EVENT_ROWS = 20
const GAP_ROWS = 10

function evidenceBlock(evidence: readonly Evidence[], shown: number): string {
  if (evidence.length === 0) return 'No evidence rows were kept for this finding.'
  const {text, count} = evidenceText(evidence, shown)
  return `Evidence (${count}):\n\n${markdownFence(text, 'text')}`
}

function remotesBlock(f: Finding, model: ReportModel): string {
  const rows = remoteRows(f, (i) => describeX(model, model.xs[i])).map((r) => [mdCode(r[0]!, true), r[1]!, r[2]!, r[3]!, md.text(r[4]!)])
  return rows.length ? `Remote endpoints it talks to (connections over time):\n\n${mdTable(REMOTE_HEAD, rows, 'lrrrl')}` : ''
}

function renderFinding(f: Finding, index: number, shown: number, model: ReportModel): string {
  const who = `${f.process ?? '(unnamed)'}${f.pids.length || f.pid !== null ? ` (${pidLabel(f.pids.length ? f.pids : f.pid, f.process)})` : ''}`
  const facts = findingFacts(f, md).map((fact) => `- ${fact}`)
  return [
    `### ${index + 1}. ${f.severity.toUpperCase()}: ${md.text(f.kind.replace(/-/g, ' '))}, ${md.text(who)}, ${md.text(f.state)}`,
    richText(f.summary, md),
    facts.join('\n'),
    remotesBlock(f, model),
    evidenceBlock(f.evidence, shown),
  ].filter(Boolean).join('\n\n')
}

export function renderFindings(analysis: Analysis, model: ReportModel, options: ReportOptions): string {
  if (model.culprits.length === 0) return '## Findings\n\nNo findings: no process grew its use of ports or handles.'
  const shown = Math.max(1, options.evidenceRows ?? 5)
  return ['## Findings', ...model.culprits.map((c, i) => renderFinding(c.finding, i, shown, model))].join('\n\n')
}

export function renderCorroboration(analysis: Analysis, model: ReportModel): string {
  const {document: d, timeline} = analysis
  const out = ['## Corroboration', '### Handles']
  const {rows: handles, note: more} = capRows(handleRows(timeline.handles))
  if (handles.length === 0) out.push('No handle listings were supplied.')
  else {
    const rows = handles.map((h) => [
      md.text(h.name), String(h.pid), formatInt(h.samples), md.text(h.handles), md.text(h.afd), md.text(h.sources),
    ])
    out.push(mdTable(['Process', 'PID', 'Samples', 'Handles first → last (peak)', 'AFD first → last', 'Source'], rows, 'llrrrl'))
    if (more) out.push(more)
  }
  out.push('### Memory dumps')
  const dumps = d.inputs.filter((i) => isDumpFormat(i.format))
  const holders = model.culprits.filter((c) => c.finding.kind === 'dump-top-holder')
  if (dumps.length === 0) out.push('No memory-dump tables were supplied.')
  else {
    out.push(dumps.map((i) => `- ${mdCode(i.path)} (${i.format}): ${md.text(dumpFacts(i))}`).join('\n'))
    if (holders.length) out.push(holders.map((c) => `- ${richText(c.finding.summary, md)}`).join('\n'))
  }
  out.push('### Events')
  if (d.events.length === 0) out.push('No Tcpip events (4227, 4231) were supplied.')
  else {
    const rows = d.events.slice(0, EVENT_ROWS).map((e) => [
      md.text(formatEventTime(e)), String(e.id), md.text(e.source),
      md.text(e.message.length > 160 ? `${e.message.slice(0, 159)}…` : e.message), md.text(`${e.path}:${e.line}`),
    ])
    out.push(mdTable(['Time', 'ID', 'Source', 'Message', 'Where'], rows, 'lrlll'))
    if (d.events.length > EVENT_ROWS) out.push(`… and ${formatInt(d.events.length - EVENT_ROWS)} more event(s).`)
  }
  return out.join('\n\n')
}

export function renderRange(analysis: Analysis): string {
  const {tcp, udp} = analysis.document.dynamicRange
  const excluded = exclusionLines(tcp, md).map((l) => `\n  - ${l}`).join('')
  return `## Dynamic port range\n\n- TCP: ${rangeSource(tcp, md)}${excluded}\n- UDP: ${rangeSource(udp, md, 'udp')}`
}

export function renderNextSteps(analysis: Analysis): string {
  const steps = analysis.document.nextSteps
  if (steps.length === 0) return '## Recommended next steps\n\nNo action needed.'
  return `## Recommended next steps\n\n${steps.map((s, i) => `${i + 1}. ${richText(s, md)}`).join('\n')}`
}

export function renderCollection(analysis: Analysis): string {
  const s = analysis.document.sampling
  const out = ['## Collection quality', md.text(samplingSentence(analysis))]
  if (s.gaps.length) {
    const rows = s.gaps.slice(0, GAP_ROWS).map((g) => [md.text(formatTime(g.after)), formatDuration(g.seconds)])
    out.push(mdTable(['Gap after', 'Length'], rows, 'lr'))
    if (s.gaps.length > GAP_ROWS) out.push(`… and ${formatInt(s.gaps.length - GAP_ROWS)} more gap(s).`)
  }
  const hints = collectionHints(analysis, md)
  const weak = hints.map((h) => `- ${h}`).join('\n')
  out.push(hints.length ? `Missing or weak evidence:\n\n${weak}` : 'Nothing important is missing from the collection.')
  out.push(
    '### Corrected collection script',
    'Save as `collect.cmd` and run it from an elevated prompt while the problem builds up (stop it with Ctrl+C):',
    markdownFence(COLLECTION_SCRIPT, 'bat'),
    `Also collect:\n\n${COLLECTION_EXTRAS.map((e) => `- ${mdCode(e.command)}: ${md.text(e.why)}`).join('\n')}`,
  )
  return out.join('\n\n')
}

export function renderAppendix(analysis: Analysis): string {
  const inputs = analysis.document.inputs
  if (inputs.length === 0) return '## Appendix: inputs\n\nNo inputs.'
  const shown = capRows(inputs)
  const rows = shown.rows.map((i) => {
    const c = inputCells(i)
    const size = `${c.size} (${formatInt(i.bytes)} B)`
    return [md.text(c.path), md.text(c.format), md.text(c.encoding), size, mdCode(i.sha256, true), md.text(c.range), c.records, c.skipped]
  })
  const head = ['Path', 'Format', 'Encoding', 'Size', 'SHA-256', 'Time range', 'Records', 'Skipped lines']
  const out = ['## Appendix: inputs', mdTable(head, rows, 'lllrllrl')]
  if (shown.note) out.push(shown.note)
  const failed = capRows(inputs.filter((i) => i.error))
  if (failed.rows.length) out.push(`Problems reading inputs:\n\n${failed.rows.map((i) => `- ${mdCode(i.path)}: ${md.text(i.error!)}`).join('\n')}`)
  if (failed.note) out.push(failed.note)
  const examples = capRows(inputs.filter((i) => i.skippedExamples.length > 0), 20).rows
  if (examples.length) {
    out.push('Examples of skipped lines:')
    for (const i of examples) {
      const lines = i.skippedExamples.map((e) => `${String(e.line).padStart(6)}  ${e.reason.padEnd(9)}  ${e.text}`)
      out.push(`${mdCode(i.path)}:\n\n${markdownFence(lines.join('\n'), 'text')}`)
    }
  }
  return out.join('\n\n')
}
