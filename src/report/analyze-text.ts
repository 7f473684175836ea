import {inertDeep, stripControls} from './escape.js'
import {formatDistance} from './format.js'
import type {AnalysisDocument, Finding} from '../model/types.js'
import {pidCell, pidSubject} from '../model/pid-label.js'
import {int} from '../numbers.js'

const STATUS: Record<AnalysisDocument['verdict']['status'], string> = {
  exhausted: 'EXHAUSTED: the machine ran out of ephemeral ports',
  'at-risk': 'AT RISK: the machine may run out of ephemeral ports',
  healthy: 'HEALTHY: no port exhaustion and no leaking process found',
}

// Always leaves at least one space before the next column.
const pad = (s: string, w: number) => (s.length >= w ? `${s.slice(0, w - 2)}… ` : s.padEnd(w))
const num = (v: number | null) => (v === null ? '–' : int(v))

function culpritRow(f: Finding): string {
  const who = f.process ?? (f.kind === 'remote-endpoint-growth' ? `→ ${f.remote}` : f.pid === 0 ? '(PID 0, no owner)' : f.pid !== null || f.pids.length ? pidSubject(f.pid ?? f.pids[0]) : '?')
  // Without PIDs the process column says so (`(no PID collected)`); this narrow column stays a dash.
  const pids = f.pids.some((p) => p >= 0) ? pidCell(f.pids).replaceAll(', ', ',') : '–'
  const slope = f.slopePerHour === null ? '–' : `${f.slopePerHour >= 0 ? '+' : ''}${f.slopePerHour}`
  const eta = f.projectedExhaustion ? f.projectedExhaustion.slice(0, 16).replace('T', ' ') : '–'
  return `${pad(f.severity, 9)}${pad(who, 22)}${pad(pids, 12)}${pad(f.state, 12)}${pad(`${num(f.now)} → ${num(f.peak)}`, 16)}${pad(slope, 10)}${eta}`
}

/** The one-screen answer: verdict, evidence, culprit table, next steps. Pure; color-free. */
export function renderAnalysis(raw: AnalysisDocument, maxFindings = 8): string {
  // Every input string shown as one inert line: no escapes, no bidi reordering, no forged lines.
  const doc = inertDeep(raw)
  const out: string[] = []
  const span = doc.timeRange ? `${doc.timeRange.start} → ${doc.timeRange.end}` : 'no timestamps'
  out.push(STATUS[doc.verdict.status])
  const r = doc.dynamicRange.tcp
  out.push(
    `${doc.host ? `${doc.host}, ` : ''}${doc.snapshots} snapshots, ${span}; dynamic range ${r.start}–${r.start + r.count - 1} (${r.count} ports, ${r.source}); ${doc.snapshots === 0 ? 'range use unknown (no connection rows)' : `peak use ${(doc.verdict.peakUtilization * 100).toFixed(1)}%${doc.verdict.peakAt ? ` at ${doc.verdict.peakAt}` : ''}`}`,
  )
  for (const e of doc.verdict.evidence.slice(0, 4)) out.push(`  · ${e}`)
  const cut = doc.inputs.reduce((n, i) => n + i.truncatedSnapshots, 0)
  if (cut > 0) out.push(`  · ${cut} snapshot(s) cut off at the end of an input (partial): left out of trends and "now" values`)
  const apart = (doc.spans ?? []).filter((s) => s.outsideSeconds)
  if (apart.length > 0) {
    const far = apart.map((s) => `${s.path} (${formatDistance(s.outsideSeconds!)})`).join(', ')
    out.push(`  · evidence from another time than the snapshots, kept apart (not joined by PID): ${far}`)
  }
  out.push('')
  if (doc.findings.length === 0) out.push('No findings.')
  else {
    out.push(`${pad('severity', 9)}${pad('process', 22)}${pad('PID(s)', 12)}${pad('state', 12)}${pad('now → peak', 16)}${pad('slope/h', 10)}exhausts at`)
    for (const f of doc.findings.slice(0, maxFindings)) out.push(culpritRow(f))
    if (doc.findings.length > maxFindings) out.push(`… and ${doc.findings.length - maxFindings} more findings (--json for all)`)
    const top = doc.findings[0]!
    const e = top.evidence[0]
    if (e) out.push(`  evidence: ${e.path}:${e.line}${e.time ? ` (${e.time})` : ''}${top.growthStart ? `; growth since ${top.growthStart}` : ''}`)
    // A line or two of the rows themselves (inert: `doc` went through inertDeep), then where it connects to.
    for (const q of top.evidence.filter((x) => x.quote !== undefined).slice(0, 2)) out.push(`    line ${q.line} > ${q.quote!.length > 110 ? `${q.quote!.slice(0, 109)}…` : q.quote}`)
    const remotes = (top.remotes ?? []).slice(0, 3)
    if (remotes.length) out.push(`  remote endpoints: ${remotes.map((r) => `${r.endpoint} (peak ${num(r.peak)})`).join(', ')}`)
  }
  const tw = doc.attribution.timeWait
  if (tw.total > 0) {
    out.push(`TIME_WAIT rows: ${num(tw.total)}; owner known ${num(tw.owner)}, by tuple lineage ${num(tw.lineage)}, by remote endpoint ${num(tw.remoteAffinity)}, unattributed ${num(tw.unattributed)}`)
  }
  if (doc.nextSteps.length) {
    out.push('', 'Next steps:')
    for (const s of doc.nextSteps.slice(0, 5)) out.push(`  ${s}`)
  }
  return stripControls(out.join('\n'))
}

