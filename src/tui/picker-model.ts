import type {DetailLine} from './detail-model.js'
import {fit} from './text.js'
import type {MachineChoice} from './view-model.js'

const HEAD = ['MACHINE', 'VERDICT', 'PEAK', 'TOP CULPRIT', 'EVIDENCE SPAN']

/** The machine picker: the fleet table (machine, verdict, peak use, top culprit, span), the highlighted row marked `›`. */
export function derivePicker(choice: MachineChoice, pickIndex: number, width: number): DetailLine[] {
  const rows = choice.rows.map((r) => r.slice(0, HEAD.length))
  const widths = HEAD.map((h, i) => Math.min(i === 0 ? 28 : 40, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))))
  const line = (cells: readonly string[]) => cells.map((c, i) => fit(c, widths[i]!)).join('  ')
  const lines: DetailLine[] = [
    [{text: `${choice.rows.length} machines or timelines in this upload, each analyzed on its own`, style: 'title'}],
    [{text: fit(`  ${line(HEAD)}`, width), style: 'heading'}],
  ]
  for (const [i, r] of rows.entries()) {
    const mark = i === pickIndex ? '› ' : '  '
    const shown = i === choice.index ? '  (shown)' : ''
    lines.push([{text: `${mark}${line(r)}${shown}`, style: i === pickIndex ? 'cursor' : 'plain'}])
  }
  lines.push([{text: '↑↓ choose · Enter shows it · Esc or m closes', style: 'dim'}])
  return lines
}
