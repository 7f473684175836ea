import type {Analysis, DynamicRange, Finding, Verdict} from '../model/types.js'
import {formatDuration, formatInt, formatPercent, formatRate, formatTime, parseIso} from './format.js'
import type {ReportModel, ReportOptions} from './model.js'
import {hasNoBound} from './model.js'
import {maxOf} from '../model/extremes.js'
import {pidLabel, pidSubject} from '../model/pid-label.js'

/**
 * Sentences both renderers print. They take an {@link Inline} so the same words come out as escaped
 * markdown or escaped HTML; input strings only ever pass through `text`.
 */
export type Inline = {
  /** Escapes an input string. */
  readonly text: (raw: string) => string
  /** Code we wrote (commands, flags) or escaped input, shown as code. */
  readonly code: (raw: string) => string
  /** Emphasis around already-formatted text. */
  readonly strong: (formatted: string) => string
}

export const VERDICT_LABEL: Record<Verdict['status'], string> = {
  exhausted: 'EXHAUSTED',
  'at-risk': 'AT RISK',
  healthy: 'HEALTHY',
}

/** Renders text where `` `x` `` segments are code and the rest is plain (next steps, summaries). */
export function richText(raw: string, f: Inline): string {
  return raw
    .split(/(`[^`\r\n]+`)/)
    .map((part) => (/^`[^`]+`$/.test(part) ? f.code(part.slice(1, -1)) : f.text(part)))
    .join('')
}

/** `WEB-PROD-07` and `2026-01-14 07:00 → 12:14 (5 h 14 min, 300 snapshots)`, raw. */
export function titleParts(analysis: Analysis): {host: string; span: string} {
  const d = analysis.document
  const host = d.host ?? 'unknown host'
  if (!d.timeRange) return {host, span: `${formatInt(d.snapshots)} snapshots, no times`}
  const start = formatTime(d.timeRange.start)
  let end = formatTime(d.timeRange.end)
  if (end.slice(0, 10) === start.slice(0, 10)) end = end.slice(11)
  const a = parseIso(d.timeRange.start)
  const b = parseIso(d.timeRange.end)
  const length = a !== null && b !== null ? `${formatDuration((b - a) / 1000)}, ` : ''
  return {host, span: `${start} → ${end} (${length}${formatInt(d.snapshots)} snapshots)`}
}

/** Peak dynamic TCP ports in use: from the series (exact), else from the document's utilization (may be rounded). */
export function peakInUse(analysis: Analysis): number {
  const series = analysis.timeline.ephemeralInUse
  const range = analysis.document.dynamicRange.tcp.count
  return series.length ? maxOf(series) : Math.round(analysis.document.verdict.peakUtilization * range)
}

/** Peak use as a fraction of the TCP dynamic range. */
export const peakRatio = (analysis: Analysis): number => peakInUse(analysis) / analysis.document.dynamicRange.tcp.count

/** Kinds that measured a growth over several points. */
const GROWTH_KINDS = new Set(['monotonic-growth', 'sawtooth-growth', 'handle-growth', 'afd-growth', 'remote-endpoint-growth'])

/** True when the finding measured a growth (several points, last above start). */
export const measuredGrowth = (f: Finding): boolean => GROWTH_KINDS.has(f.kind) && (f.samples ?? 2) > 1 && f.now > f.start

/** Three sentences a manager can read: what happened, who caused it, what comes next. Each rests on a computed fact. */
export function headline(analysis: Analysis, model: ReportModel, f: Inline): [string, string, string] {
  const d = analysis.document
  const range = d.dynamicRange.tcp.count
  const v = d.verdict
  const inUse = peakInUse(analysis)
  const at = v.peakAt ? ` at ${formatTime(v.peakAt)}` : ''
  const failures = d.events.filter((e) => e.id === 4231).length
  const events = failures ? ` Windows logged ${failures} port allocation failure${failures > 1 ? 's' : ''} (event 4231).` : ''
  const used = `${formatInt(inUse)} of ${formatInt(range)}`
  const share = formatPercent(inUse / range)
  const unknownPorts = analysis.timeline.portsUnknown?.some(Boolean) ? ' (counted from a Group-Object summary: which ports is unknown)' : ''
  const holder = d.findings.find((x) => x.holder)
  const rest = holder
    ? ` The largest holder, ${holder.process ?? pidSubject(holder.pid ?? holder.pids[0])}, held ${formatInt(holder.holder!.peak.ports)} of them.`
    : ''
  const unseen = hasNoBound(analysis.timeline)
    ? ' The collection has no BOUND rows (netstat without -q), so bound-but-unconnected sockets may hold the rest.'
    : ' What holds the rest is not in this collection: the cause is unknown.'
  const why = v.evidence[0]?.startsWith('AT RISK: ') ? ` ${v.evidence[0].slice('AT RISK: '.length)}` : ''
  const what =
    v.status === 'exhausted'
      ? inUse >= range * 0.98
        ? `The server ran out of dynamic TCP ports: ${used} in use${at}${unknownPorts}.${events}`
        : `The server ran out of dynamic TCP ports, but the rows show at most ${used} in use${at}${unknownPorts}.${rest}${unseen}${events}`
      : v.status === 'at-risk'
        ? `The server is at risk of running out of dynamic TCP ports: up to ${used} (${share}) in use${at}${unknownPorts}.${why}${events}`
        : analysis.timeline.times.length === 0
          ? 'The collection has no connection rows, so how many dynamic TCP ports were in use is unknown; nothing shows that they ran out.'
          : `The server did not run out of dynamic TCP ports: at most ${used} (${share}) were in use${unknownPorts}.`
  const top = model.culprits.find((c) => c.finding.severity === 'critical' || c.finding.severity === 'high') ?? model.culprits[0]
  if (!top) return [f.text(what), f.text('No process shows a growing use of ports or handles, and none holds a large share of the range.'), nextLine(analysis, f)]
  const t = top.finding
  const pids = top.pids.length ? ` (${pidLabel(top.pids, top.process)})` : ''
  const label = v.status === 'healthy' ? 'Worth watching' : measuredGrowth(t) ? 'Most likely cause' : 'Largest holder'
  const detail = measuredGrowth(t)
    ? `, whose ${t.state} count grew from ${formatInt(t.start)} to ${formatInt(t.now)}${t.slopePerHour !== null ? ` (${formatRate(t.slopePerHour)})` : ''}.`
    : t.holder
      ? `, which holds ${formatInt(t.holder.peak.ports)} of ${formatInt(range)} dynamic ports (${formatPercent(t.holder.peak.share)})${t.holder.peak.at ? ` at ${formatTime(t.holder.peak.at)}` : ''}.`
      : `: ${t.summary}.`
  const who = `${label}: ${f.strong(f.text(top.process))}${f.text(pids)}` + f.text(detail)
  const exhaustion = model.culprits.find((c) => c.finding.projectedExhaustion && measuredGrowth(c.finding))?.finding.projectedExhaustion
  const when = exhaustion
    ? f.text(`At the current rate it alone fills the range by ${formatTime(exhaustion)}. `) + nextLine(analysis, f)
    : nextLine(analysis, f)
  return [f.text(what), who, when]
}

function nextLine(analysis: Analysis, f: Inline): string {
  const step = analysis.document.nextSteps[0]
  return step ? f.text('Next step: ') + richText(step, f) : f.text('No action needed.')
}

/** `Generated by portleak 0.1.0 at …` (no time unless one was given: deterministic bytes). */
export function generatedLine(options: ReportOptions): string {
  return `Generated by portleak${options.version ? ` ${options.version}` : ''}${options.generatedAt ? ` at ${options.generatedAt}` : ''}.`
}

/** How the TIME_WAIT rows were attributed to processes. */
export function timeWaitSentence(analysis: Analysis): string {
  const tw = analysis.document.attribution.timeWait
  return (
    `TIME_WAIT rows: ${formatInt(tw.total)}, attributed to their owner ${formatInt(tw.owner)}, by process lineage ` +
    `${formatInt(tw.lineage)}, by remote endpoint ${formatInt(tw.remoteAffinity)}, unattributed ${formatInt(tw.unattributed)}.`
  )
}

/** Where the dynamic range of `proto` came from, as a sentence. */
export function rangeSource(range: DynamicRange, f: Inline, proto: 'tcp' | 'udp' = 'tcp'): string {
  const end = range.start + range.count - 1
  const span = f.text(`${range.start}–${end} (${formatInt(range.count)} ports)`)
  if (range.source === 'netsh') {
    return `${span}, ${f.text('read from netsh output')}${range.path ? ` ${f.text('in')} ${f.code(range.path)}` : ''}.`
  }
  if (range.source === 'flag') return `${span}, ${f.text('given with')} ${f.code('--dynamic-range')}.`
  const command = f.code(`netsh int ipv4 show dynamicport ${proto}`)
  return `${span}: ${f.text('the Windows default, assumed because no')} ${command} ${f.text('output was supplied.')}`
}

/** What is missing or weak in the collection, one sentence each. */
export function collectionHints(analysis: Analysis, f: Inline): string[] {
  const {document: d, timeline} = analysis
  const s = d.sampling
  const hints: string[] = []
  // a hint is text with `code` segments, like the next steps
  const add = (when: boolean, text: string) => {
    if (when) hints.push(richText(text, f))
  }
  add(!s.timed && d.snapshots > 0, 'The snapshots carry no time stamps, so growth cannot be measured per hour: write a stamp before each netstat.')
  const interval = s.medianIntervalSeconds
  add(interval !== null && interval > 300, `Snapshots are ${formatDuration(interval)} apart; one a minute shows a trend much sooner.`)
  add(s.backwardSteps > 0, `Time went backwards ${s.backwardSteps} time(s): a clock change, or loops from two runs in one file.`)
  add(
    d.snapshots > 0 && hasNoBound(timeline),
    'No BOUND rows at all: the loop ran netstat without `-q`, so sockets that are bound but never connected ' +
      '(the most common leak) are invisible.',
  )
  const unnamed = timeline.processes.filter((p) => p.name === null).length
  add(unnamed > 0, `${unnamed} process${unnamed > 1 ? 'es have' : ' has'} no image name: run netstat with \`-b\` from an elevated prompt.`)
  add(d.dynamicRange.tcp.source === 'default', 'The dynamic port range was not collected: add `netsh int ipv4 show dynamicport tcp`.')
  add(
    timeline.handles.length === 0,
    'No handle counts: `handle.exe -s -p <PID>` for the suspect process corroborates a socket leak (\\Device\\Afd handles).',
  )
  add(d.events.length === 0, 'No Tcpip events: export the System log entries with IDs 4227 and 4231 from the same period.')
  const ping = d.inputs.reduce((n, i) => n + (i.skippedByReason.ping ?? 0), 0)
  add(
    ping > 0,
    `${formatInt(ping)} lines of ping output: the loop used ping as a delay; \`timeout /t 60 /nobreak\` keeps the log clean ` +
      'and the cadence exact.',
  )
  const truncated = d.inputs.reduce((n, i) => n + i.truncatedSnapshots, 0)
  add(truncated > 0, `${truncated} snapshot(s) were cut off (the loop was stopped while writing); they are marked, not counted as drops.`)
  return hints
}

/** A collection loop that captures everything the analysis uses. Batch file syntax (`%%t`). */
export const COLLECTION_SCRIPT = [
  '@echo off',
  'rem portleak collection loop: save as collect.cmd, run from an elevated prompt, stop with Ctrl+C.',
  'rem Writes next to this script: dynamicport.txt once, then a sortable time stamp and netstat -anobq every minute.',
  'setlocal',
  'set "OUT=%~dp0netstat_loop.txt"',
  'netsh int ipv4 show dynamicport tcp > "%~dp0dynamicport.txt"',
  ':loop',
  'for /f "usebackq delims=" %%t in (`powershell -NoProfile -Command "Get-Date -Format s"`) do set "STAMP=%%t"',
  '>>"%OUT%" echo %STAMP%',
  'netstat -anobq >>"%OUT%" 2>&1',
  'timeout /t 60 /nobreak >NUL',
  'goto loop',
].join('\n')

/** One-off commands to run alongside the loop, with what each adds. */
export const COLLECTION_EXTRAS: readonly {command: string; why: string}[] = [
  {
    command: 'handle.exe -accepteula -nobanner -s -p <PID> >> handles.txt',
    why: 'handle and \\Device\\Afd counts of the suspect process, every few minutes',
  },
  {
    command: 'wevtutil qe System /q:"*[System[Provider[@Name=\'Tcpip\'] and (EventID=4227 or EventID=4231)]]" /f:text > tcpip-events.txt',
    why: 'the Tcpip port exhaustion events',
  },
]

/** The excluded blocks inside a range (`show excludedportrange`), one line each, then the usable count. */
export function exclusionLines(range: DynamicRange, f: Inline): string[] {
  if (!range.excluded?.length) return []
  const blocks = range.excluded.map(
    (e) => `${f.text(`excluded ${e.start}–${e.start + e.count - 1} (${formatInt(e.count)} ports${e.administered ? ', administered' : ''})`)} ${f.text('in')} ${f.code(e.path)}`,
  )
  const usable = f.text(`${formatInt(range.usable ?? range.count)} of ${formatInt(range.count)} ports usable: percentages, severities and projections count against these.`)
  return [...blocks, usable]
}
