/**
 * The reports of an upload of several machines (or timelines): the fleet table (machine, verdict, peak use, top
 * culprit, evidence span, how its inputs were told apart) in markdown, HTML and as an export table, then each
 * machine's own report. The text form is in fleet-text.ts. Pure.
 */
import type {Fleet, MachineAnalysis} from '../pipeline.js'
import {escapeHtml, stripControls} from './escape.js'
import type {Table} from './export.js'
import {columns, numCell, table, text} from './html-parts.js'
import {renderHtml} from './html.js'
import {mdTable} from './markdown-parts.js'
import {md} from './markdown-parts.js'
import {renderMarkdown} from './markdown.js'
import type {ReportOptions} from './model.js'
import {redactAnalysis} from './redact.js'
import {culprit, fleetRows, HEAD, how} from './fleet-text.js'

export {fleetRows, renderFleetText} from './fleet-text.js'

/** The markdown report for several machines: the fleet table, then each machine's report one heading level down. */
export function renderFleetMarkdown(f: Fleet, options: ReportOptions = {}): string {
  const rows = fleetRows(f).map((r) => r.map((c) => md.text(c)))
  const parts = [
    `# Port exhaustion report: ${f.machines.length} machines`,
    md.text('Each machine (or timeline) is analyzed on its own; its inputs never mix with another machine\'s.'),
    `## Machines\n\n${mdTable(HEAD, rows, 'llrlll')}`,
  ]
  for (const m of f.machines) {
    const body = renderMarkdown(m.analysis, {...options, generatedAt: null})
    const notes = m.fleet.notes.map((n) => `> ${md.text(n)}`).join('\n')
    parts.push(`${demote(body).trimEnd()}${notes ? `\n\n${notes}` : ''}`)
  }
  if (options.generatedAt) parts.push(md.text(`Generated ${options.generatedAt}.`))
  return stripControls(`${parts.join('\n\n')}\n`)
}

/** Headings one level down, outside code fences. */
function demote(markdown: string): string {
  let fenced = false
  return markdown
    .split('\n')
    .map((line) => {
      if (line.startsWith('```')) fenced = !fenced
      return !fenced && /^#{1,5} /.test(line) ? `#${line}` : line
    })
    .join('\n')
}

/** The HTML report for several machines: one self-contained page, the fleet table, then one article per machine. */
export function renderFleetHtml(f: Fleet, options: ReportOptions = {}): string {
  const pages = f.machines.map((m) => renderHtml(m.analysis, {...options, generatedAt: null}))
  const first = pages[0]!
  const head = first.slice(0, first.indexOf('<body>')).replace(/<title>[^<]*<\/title>/, `<title>Port exhaustion report: ${f.machines.length} machines</title>`)
  const rows = f.machines.map(({fleet: m}, k) => {
    const r = fleetRows({...f, machines: [f.machines[k]!]})[0]!
    return [
      {html: `<a href="#m${k + 1}">${escapeHtml(r[0]!)}</a>`},
      {html: `<span class="badge ${m.verdict}">${escapeHtml(m.verdict)}</span>`},
      numCell(r[2]!, m.peakUtilization),
      text(r[3]!),
      text(r[4]!),
      text(r[5]!),
    ]
  })
  const articles = pages.map((page, k) => {
    const id = `m${k + 1}`
    const inner = page.slice(page.indexOf('<header>'), page.indexOf('</main>') + '</main>'.length)
    const notes = f.machines[k]!.fleet.notes.map((n) => `<p class="muted">${escapeHtml(n)}</p>`).join('')
    return `<article id="${id}">\n${inner.replace(/ id="([^"]+)"/g, ` id="${id}-$1"`).replace(/ href="#([^"]+)"/g, ` href="#${id}-$1"`)}${notes}\n</article>`
  })
  const script = first.slice(first.indexOf('<script>'), first.indexOf('</script>') + '</script>'.length)
  return [
    head.trimEnd(),
    '<body>',
    '<header>',
    `<h1>Port exhaustion report: ${f.machines.length} machines</h1>`,
    '<p class="muted">Each machine (or timeline) is analyzed on its own; its inputs never mix with another machine\'s.</p>',
    '</header>',
    `<section id="machines">\n<h2>Machines</h2>\n${table(columns(...HEAD.map((h) => (h === 'Peak use' ? `${h}:n` : h))), rows)}\n</section>`,
    ...articles,
    options.generatedAt ? `<footer>${escapeHtml(`Generated ${options.generatedAt}.`)}</footer>` : '',
    script,
    '</body>',
    '</html>',
    '',
  ].filter((l) => l !== '').join('\n') + '\n'
}

/** The fleet table for `export` (machines.csv / .jsonl). */
export function fleetTable(f: Fleet): Table {
  const cols = ['machine', 'timeline', 'verdict', 'peak_utilization', 'top_culprit', 'span_start', 'span_end', 'inputs', 'told_apart_by']
  return {
    name: 'machines',
    columns: cols.map((name) => ({name, type: name === 'timeline' || name === 'peak_utilization' ? 'number' : 'string'})),
    rows: f.machines.map(({fleet: m}) => ({
      machine: m.machine,
      timeline: m.timeline,
      verdict: m.verdict,
      peak_utilization: m.peakUtilization,
      top_culprit: m.topCulprit ? culprit(m) : null,
      span_start: m.evidenceSpan?.start ?? null,
      span_end: m.evidenceSpan?.end ?? null,
      inputs: m.inputs.map((i) => i.path).join('; '),
      told_apart_by: how(m),
    })),
  }
}

/**
 * A redacted copy: each machine's analysis redacted, and the machines named `machine-1`, `machine-2`…
 * (pseudonyms are consistent within one machine's analysis, not across machines).
 */
export function redactFleet(f: Fleet): Fleet {
  const machines: MachineAnalysis[] = f.machines.map((m, k) => {
    const analysis = redactAnalysis(m.analysis)
    const name = `machine-${k + 1}`
    const before = m.analysis.document.inputs.map((i) => i.path)
    const after = analysis.document.inputs.map((i) => i.path)
    const path = (p: string) => after[before.indexOf(p)] ?? '(redacted)'
    return {
      analysis: {...analysis, document: {...analysis.document, host: name}},
      fleet: {...m.fleet, machine: name, inputs: m.fleet.inputs.map((i) => ({path: path(i.path), how: i.how}))},
    }
  })
  return {inputs: machines.flatMap((m) => m.analysis.document.inputs), machines}
}
