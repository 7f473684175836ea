import {SEVERITY_RANK} from '../analysis/findings.js'
import type {Finding} from '../model/types.js'
import {cachedSpark, sparkBucket} from './table-model.js'
import {fit, formatInt, type Seg} from './text.js'
import {formatWall} from './time-format.js'
import {countSeries, type CountKey, memo, type ProcInfo, SEV_NAME, type ViewModel} from './view-model.js'
import {pidLabel} from '../model/pid-label.js'

/** Style names of the detail pane; theme.ts maps them to colours. */
export type DetailStyle = 'plain' | 'dim' | 'title' | 'heading' | 'cursor' | 'sev0' | 'sev1' | 'sev2' | 'sev3'

export type DetailLine = readonly Seg<DetailStyle>[]

const LABEL = 12

type SeriesRow = {
  readonly name: string
  readonly label: string
  readonly values: Int32Array
  readonly start: number
  readonly peak: number
}

/** The series rows of a process (its states, UDP, ports held), with start and peak: once per process. */
function seriesRows(vm: ViewModel, p: ProcInfo): readonly SeriesRow[] {
  return memo(vm, `series:${p.index}`, () => {
    const s = p.series
    const row = (name: string, label: string, values: Int32Array): SeriesRow => {
      let peak = 0
      for (let i = s.first; i <= s.last; i++) peak = Math.max(peak, values[i] ?? 0)
      return {name, label, values, start: values[s.first] ?? 0, peak}
    }
    const rows = p.counts.map((k: CountKey) => row(k, k === 'TIME_WAIT' ? 'TIME_WAIT~' : k, countSeries(s, k)!))
    rows.push(row('PORTS', 'PORTS', s.ports))
    return rows
  })
}

const rate = (f: Finding) => (f.slopePerHour === null ? '' : ` ${f.slopePerHour > 0 ? '+' : ''}${formatInt(f.slopePerHour)}/h`)

/** How many lines the detail pane of a process has (for scrolling). */
export function detailLength(vm: ViewModel, p: ProcInfo): number {
  const handles = p.handles ? 1 + (p.handles.points.some((h) => h.time === null) ? 1 : 0) : 0
  return 1 + p.findings.length + seriesRows(vm, p).length + handles + (p.evidence.length ? 1 + p.evidence.length : 0)
}

/** Latest timed handle reading at or before time `t` (binary search), else null. */
function handleAt(p: ProcInfo, t: number) {
  let lo = 0
  let hi = p.handlePoints.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (p.handlePoints[mid]!.time <= t) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return found < 0 ? null : p.handlePoints[found]!
}

/**
 * The detail pane of a process at the cursor, `width` columns: title, findings, one sparkline per
 * state with its value at the cursor, handle counts, evidence lines. O(lines) once cached.
 */
export function deriveDetail(vm: ViewModel, p: ProcInfo, cursor: number, width: number): DetailLine[] {
  const s = p.series
  const present = s.first <= cursor && cursor <= s.last
  const times = vm.analysis.timeline.times
  const when = (i: number) => {
    const t = times[i]
    return t === null || t === undefined ? `#${i + 1}` : formatWall(t, vm.multiYear ? 'yyyy-MM-dd HH:mm' : 'MM-dd HH:mm')
  }
  const sev = (rank: number) => `sev${Math.min(rank, 3)}` as DetailStyle
  const lines: DetailLine[] = [[
    {text: `${p.label}  ${pidLabel(s.pid, s.name)}`, style: 'title'},
    {text: `  seen ${when(s.first)} → ${when(s.last)}${present ? '' : '  (no rows at the cursor)'}`, style: 'dim'},
    ...(p.sevRank < 4 ? [{text: `  ${SEV_NAME[p.sevRank]}`, style: sev(p.sevRank)}] : []),
  ]]
  for (const f of p.findings) {
    lines.push([
      {text: fit(f.severity, 9), style: sev(SEVERITY_RANK[f.severity])},
      {text: `${f.kind} ${f.state}${rate(f)}: ${f.summary}`, style: 'plain'},
    ])
  }
  const spark = Math.max(8, Math.min(60, width - LABEL - 38))
  const bucket = sparkBucket(cursor, vm.n, spark)
  for (const r of seriesRows(vm, p)) {
    const line = cachedSpark(vm, p, r.name, r.values, spark)
    const now = present ? r.values[cursor] ?? 0 : 0
    const tw = r.name === 'TIME_WAIT' && present ? s.timeWaitAttributed[cursor] ?? 0 : 0
    lines.push([
      {text: fit(r.label, LABEL), style: 'heading'},
      {text: line.slice(0, bucket), style: 'plain'},
      {text: line.slice(bucket, bucket + 1), style: 'cursor'},
      {text: line.slice(bucket + 1), style: 'plain'},
      {text: ` ${fit(`${tw ? '~' : ''}${formatInt(now)}`, 7, 'right')} now`, style: 'plain'},
      {
        text: ` · ${formatInt(r.start)} start · ${formatInt(r.peak)} peak${tw && tw < now ? ` · ~${formatInt(tw)} attributed` : ''}`,
        style: 'dim',
      },
    ])
  }
  if (p.handles) {
    const t = times[cursor] ?? (Number.isNaN(vm.place[cursor]!) ? null : vm.place[cursor]!)
    const h = t === null || !vm.timed ? p.handlePoints[p.handlePoints.length - 1] ?? null : handleAt(p, t)
    const count = (v: number | null) => (v === null ? '–' : formatInt(v))
    const afd = (v: number | null) => (v === null ? '' : ` · ${formatInt(v)} \\Device\\Afd`)
    const text = h
      ? `${count(h.total)} handles${afd(h.afd)} at ${formatWall(h.time, 'MM-dd HH:mm:ss')} (${h.path}:${h.line})`
      : 'no handle listing before the cursor'
    lines.push([{text: fit('HANDLES', LABEL), style: 'heading'}, {text, style: 'plain'}])
    const undated = p.handles.points.filter((x) => x.time === null)
    if (undated.length) {
      const u = undated[undated.length - 1]!
      lines.push([{text: fit('', LABEL), style: 'plain'}, {text: `undated: ${count(u.total)} handles (${u.path}:${u.line})`, style: 'dim'}])
    }
  }
  if (p.evidence.length) {
    lines.push([{text: `evidence (${p.evidence.length})`, style: 'heading'}])
    for (const e of p.evidence) lines.push([{text: `  ${e}`, style: 'plain'}])
  }
  return lines
}
