import {inertDeep, stripControls} from './escape.js'
import type {InputSummary} from '../model/types.js'
import {int} from '../numbers.js'

const n = int
/** Provider/event pairs listed by name in the text output (all of them in `--json`). */
const EVENTS_SHOWN = 8

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`
  return `${bytes} B`
}

const counts = (o: Record<string, number>) =>
  Object.entries(o)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k} ${n(v)}`)
    .join(', ')

/** Formats whose facts are all in their notes (the header of a dump), shown one per line. */
const DUMP_FORMATS: ReadonlySet<string> = new Set(['minidump', 'kernel-dump'])

/** Human `inspect` output: one block per input. Pure. */
export function renderInspect(raw: readonly InputSummary[]): string {
  const out: string[] = []
  // Every input string shown as one inert line: no escapes, no bidi reordering, no forged lines.
  for (const s of inertDeep(raw)) {
    out.push(`${s.path}`)
    if (s.format === null) {
      out.push(`  not read: ${s.error ?? 'unknown format'}`, '')
      continue
    }
    // Binary inputs (event log files) have no lines or encoding: their units are records and chunks.
    const binary = s.encoding === 'binary'
    const shape = binary ? `${size(s.bytes)}${s.notes.chunks ? `, ${n(Number(s.notes.chunks))} chunks` : ''}` : `encoding ${s.encoding}, ${size(s.bytes)}, ${n(s.lines)} lines`
    out.push(`  format ${s.format}, ${shape}${s.notes.view ? `, ${s.notes.view}` : ''}`)
    if (s.snapshots > 0) {
      const range = s.timeRange ? `${s.timeRange.start} → ${s.timeRange.end}` : 'no timestamps (snapshots numbered)'
      const order = s.dateOrder ? `, date order ${s.dateOrder}${s.dateOrderSource ? ` (${s.dateOrderSource})` : ''}` : ''
      const trunc = s.truncatedSnapshots ? `, ${s.truncatedSnapshots} truncated` : ''
      out.push(`  snapshots ${n(s.snapshots)}${trunc}: ${range}${order}`)
    } else if (s.timeRange) out.push(`  time range ${s.timeRange.start} → ${s.timeRange.end}`)
    const protos = Object.keys(s.byProto).length ? ` (${counts(s.byProto)})` : ''
    out.push(`  records ${n(s.records)}${protos}`)
    if (Object.keys(s.byState).length) out.push(`  states ${counts(s.byState)}`)
    const kinds = Object.keys(s.byKind).filter((k) => k !== 'connection')
    if (kinds.length) out.push(`  kinds ${counts(s.byKind)}`)
    if (s.byEvent) {
      const top = Object.fromEntries(Object.entries(s.byEvent).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, EVENTS_SHOWN))
      const more = Object.keys(s.byEvent).length - EVENTS_SHOWN
      out.push(`  events ${counts(top)}${more > 0 ? ` and ${n(more)} more (--json: byEvent)` : ''}`)
    }
    const unit = binary ? 'units' : 'lines'
    if (s.skipped > 0) {
      out.push(`  skipped ${n(s.skipped)} ${unit}: ${counts(s.skippedByReason as Record<string, number>)}`)
      for (const e of s.skippedExamples) out.push(`    ${binary ? '#' : 'line '}${e.line} ${e.reason}: ${JSON.stringify(e.text)}`)
    } else out.push(`  skipped 0 ${unit}`)
    if (DUMP_FORMATS.has(s.format)) for (const [k, v] of Object.entries(s.notes)) if (k !== 'view') out.push(`  ${k}: ${v}`)
    if (s.error) out.push(`  warning: ${s.error}`)
    out.push('')
  }
  return stripControls(out.join('\n'))
}
