import type {Analysis, Evidence, Finding, HandleSeries, InputSummary} from '../model/types.js'
import type {FormatId} from '../formats/types.js'
import {formatBytes, formatDuration, formatInt, formatRate, formatTime} from './format.js'
import type {Inline} from './prose.js'
import {maxOf} from '../model/extremes.js'

/** Facts both renderers list (finding details, handle rows, input rows), formatted but not escaped. */

/** Dump-derived formats: one point in time each. */
export const isDumpFormat = (format: FormatId | null): boolean =>
  format !== null && (format.startsWith('volatility-') || format.startsWith('windbg-') || format === 'minidump' || format === 'kernel-dump')

/**
 * What one dump input gave: its record count, and for dumps read as bytes the facts of their header
 * (process, build, time, handle stream; or a kernel dump's type, time, bug check and the commands to run).
 */
export function dumpFacts(i: InputSummary): string {
  const n = i.notes
  const records = `${formatInt(i.records)} records`
  const parts =
    i.format === 'minidump'
      ? [records, n.image, n.pid && `PID ${n.pid}`, n.osBuild && `build ${n.osBuild}`, n.dumpTime && `written ${n.dumpTime}`, n.handleStream && `handle stream ${n.handleStream}`, n.handleTypes]
      : i.format === 'kernel-dump'
        ? [n.dumpType, n.osBuild && `build ${n.osBuild}`, n.machine, n.systemTime && `at ${n.systemTime}`, n.bugCheck && `bug check ${n.bugCheck}`, n.analysis]
        : [records]
  return parts.filter((p): p is string => Boolean(p)).join('; ')
}

const pValue = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3))

/** The bullet facts of a finding: growth, slope with its interval, projection, attribution. */
export function findingFacts(f: Finding, t: Inline): string[] {
  const facts: string[] = []
  const since = f.growthStart ? ` since ${formatTime(f.growthStart)}` : ''
  const window = f.first === f.last ? `snapshot ${f.first + 1}` : `snapshots ${f.first + 1}–${f.last + 1}`
  if (f.samples === 1) facts.push(t.text(`Count: ${formatInt(f.peak)} in one ${f.state === 'HANDLES' || f.state === 'AFD' ? 'listing' : 'snapshot'}: one point in time, no growth can be measured.`))
  else if (f.kind === 'port-holder' || f.kind === 'dump-top-holder') facts.push(t.text(`Held: ${formatInt(f.now)} at the last snapshot, most ${formatInt(f.peak)} (${window}).`))
  else facts.push(t.text(`Count: ${formatInt(f.start)} → ${formatInt(f.now)}, peak ${formatInt(f.peak)}${since} (${window}).`))
  if (f.holder) {
    const h = f.holder
    facts.push(t.text(`Share of the range: ${formatInt(h.peak.ports)} (${(h.peak.share * 100).toFixed(1)}%) at the peak${h.last ? `, ${formatInt(h.last.ports)} (${(h.last.share * 100).toFixed(1)}%) at the last snapshot` : ', gone from the last snapshot'}${h.portsUnknown ? '; counts from a Group-Object summary, which ports is unknown' : ''}.`))
  }
  if (f.slopePerHour !== null) {
    const inside = f.slopeLow === null || f.slopeHigh === null || (f.slopePerHour >= f.slopeLow && f.slopePerHour <= f.slopeHigh)
    const ci =
      f.slopeLow !== null && f.slopeHigh !== null
        ? inside && !f.slopeEstimate
          ? ` (95% interval ${formatRate(f.slopeLow)} to ${formatRate(f.slopeHigh)})`
          : ` (${f.slopeEstimate ?? 'a different estimate than the interval'}: 95% interval ${formatRate(f.slopeLow)} to ${formatRate(f.slopeHigh)})`
        : ''
    const p = f.pValue !== null ? `, p = ${pValue(f.pValue)}` : ''
    facts.push(t.text(`Slope: ${formatRate(f.slopePerHour)}${ci}${p}.`))
  }
  if (f.projectedExhaustion) facts.push(t.text(`Projected exhaustion of the range: ${formatTime(f.projectedExhaustion)}.`))
  if (f.attribution) {
    const how = {owner: 'the rows name the process', lineage: 'process lineage', 'remote-affinity': 'shared remote endpoint'}[f.attribution]
    facts.push(t.text(`Attribution: ${how}${f.remote ? `; remote endpoint ${f.remote}` : ''}.`))
  } else if (f.remote) facts.push(t.text(`Remote endpoint: ${f.remote}.`))
  return facts
}

/**
 * The evidence rows to print: the first and the last few (so both ends of a growth show), and how
 * many are left out between them.
 */
export function pickEvidence(evidence: readonly Evidence[], shown: number): {head: Evidence[]; tail: Evidence[]; hidden: number} {
  if (evidence.length <= shown) return {head: [...evidence], tail: [], hidden: 0}
  const tailCount = Math.floor(shown / 2)
  const headCount = shown - tailCount
  return {
    head: evidence.slice(0, headCount),
    tail: tailCount ? evidence.slice(evidence.length - tailCount) : [],
    hidden: evidence.length - shown,
  }
}

export type HandleRow = {pid: number; name: string; samples: number; handles: string; afd: string; sources: string}

/** One row per handle series: first → last (peak) totals and AFD counts, in time order. */
export function handleRows(series: readonly HandleSeries[]): HandleRow[] {
  return series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const ordered = [...s.points].sort((a, b) => (a.time ?? Infinity) - (b.time ?? Infinity))
      const totals = ordered.map((p) => p.total).filter((v): v is number => v !== null)
      const afd = ordered.map((p) => p.afd).filter((v): v is number => v !== null)
      const span = (v: number[], peak: boolean) =>
        v.length === 0 ? '–' : `${formatInt(v[0])} → ${formatInt(v[v.length - 1])}${peak ? ` (${formatInt(maxOf(v))})` : ''}`
      return {
        pid: s.pid,
        name: s.name ?? '(unnamed)',
        samples: s.points.length,
        handles: span(totals, true),
        afd: span(afd, false),
        sources: [...new Set(s.points.map((p) => p.path))].join(', '),
      }
    })
}

/** `300 snapshots, one every 1 min (shortest 1 min, longest 16 min), 1 gap, time never went backwards.` */
export function samplingSentence(analysis: Analysis): string {
  const {snapshots, sampling: s} = analysis.document
  if (snapshots === 0) return 'No snapshots: no connection table was found in the inputs.'
  const count = `${formatInt(snapshots)} snapshot${snapshots === 1 ? '' : 's'}`
  if (!s.timed) return `${count} without time stamps.`
  const cadence = s.medianIntervalSeconds !== null ? `, one every ${formatDuration(s.medianIntervalSeconds)}` : ''
  const bounds =
    s.minIntervalSeconds !== null && s.maxIntervalSeconds !== null
      ? ` (shortest ${formatDuration(s.minIntervalSeconds)}, longest ${formatDuration(s.maxIntervalSeconds)})`
      : ''
  const gaps = s.gaps.length === 0 ? 'no gaps' : `${s.gaps.length} gap${s.gaps.length > 1 ? 's' : ''}`
  const back = s.backwardSteps === 0 ? 'time never went backwards' : `time went backwards ${s.backwardSteps} time(s)`
  return `${count}${cadence}${bounds}, ${gaps}, ${back}.`
}

/** `900 (ping 600, echo 300)`. */
export function skippedText(input: InputSummary): string {
  const reasons = Object.entries(input.skippedByReason)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0) || (a[0] < b[0] ? -1 : 1))
    .map(([r, n]) => `${r} ${formatInt(n)}`)
  return reasons.length ? `${formatInt(input.skipped)} (${reasons.join(', ')})` : formatInt(input.skipped)
}

export type InputCells = {path: string; format: string; encoding: string; size: string; range: string; records: string; skipped: string}

/** Appendix values for one input, formatted, not escaped. */
export function inputCells(input: InputSummary): InputCells {
  return {
    path: input.path,
    format: input.format ?? 'not recognised',
    encoding: input.encoding,
    size: formatBytes(input.bytes),
    range: input.timeRange ? `${formatTime(input.timeRange.start)} → ${formatTime(input.timeRange.end)}` : '–',
    records: formatInt(input.records),
    skipped: skippedText(input),
  }
}
