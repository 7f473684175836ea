/**
 * The fleet table as text: `analyze` on an upload of several machines (or timelines) prints it, then each machine's
 * one-screen answer. Apart from the HTML and markdown reports (fleet.ts), which `analyze` does not load. Pure.
 */
import type {FleetMachine} from '../model/types.js'
import type {Fleet} from '../pipeline.js'
import {machineLabel} from '../pipeline.js'
import {renderAnalysis} from './analyze-text.js'
import {stripControls} from './escape.js'
import {formatPercent, formatTime} from './format.js'
import {pidSubject} from '../model/pid-label.js'

export const culprit = (m: FleetMachine) => {
  const c = m.topCulprit
  if (!c) return '–'
  const who = c.process ?? (c.pid !== null ? pidSubject(c.pid) : '?')
  return `${who}${c.pid !== null && c.pid >= 0 && c.process ? ` (${c.pid})` : ''} ${c.state}, ${c.severity}`
}
const span = (m: FleetMachine) => (m.evidenceSpan ? `${formatTime(m.evidenceSpan.start)} → ${formatTime(m.evidenceSpan.end)}` : 'no times')
export const how = (m: FleetMachine) => [...new Set(m.inputs.map((i) => i.how))].join('; ')

/** The fleet table's rows as plain strings: machine, verdict, peak use, top culprit, evidence span, told apart by. */
export function fleetRows(f: Fleet): string[][] {
  return f.machines.map(({fleet: m}) => [machineLabel(m), m.verdict, formatPercent(m.peakUtilization), culprit(m), span(m), how(m)])
}

export const HEAD = ['Machine', 'Verdict', 'Peak use', 'Top culprit', 'Evidence span', 'Told apart by']

/** `analyze` for several machines: the fleet table, then each machine's one-screen answer. */
export function renderFleetText(f: Fleet): string {
  const rows = [HEAD, ...fleetRows(f)]
  const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)) + 2)
  const out = [`${f.machines.length} machines or timelines in this upload; each is analyzed on its own.`, '']
  for (const r of rows) out.push(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('').trimEnd())
  for (const m of f.machines) {
    out.push('', `== ${machineLabel(m.fleet)} ==`, ...m.fleet.notes.map((n) => `  note: ${n}`), renderAnalysis(m.analysis.document))
  }
  return stripControls(out.join('\n'))
}

