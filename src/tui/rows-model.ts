import type {ExportConnection} from '../report/export.js'
import type {DetailLine} from './detail-model.js'
import {clean, displayWidth, fit, formatInt} from './text.js'
import {cursorTime, type ProcInfo, type ViewModel} from './view-model.js'
import {pidLabel} from '../model/pid-label.js'

/**
 * The connection rows of one input snapshot, read back on demand (the timeline command spools them to a
 * temporary file while reading: memory holds the snapshot asked for, never the whole case).
 */
export type RowSource = {
  at(path: string, snapshot: number): readonly ExportConnection[]
  /**
   * The source lines themselves (by `path:line`), read again from the inputs; absent where they cannot be
   * (standard input). Lines that could not be read again are missing from the result.
   */
  raw?(lines: ReadonlyMap<string, readonly number[]>): Promise<ReadonlyMap<string, string>>
}

/** The key of a source line in {@link RowSource.raw}'s result. */
export const lineKey = (path: string, line: number) => `${path}:${line}`

/** Sockets listed per process in the diff before `… n more`. */
const DIFF_LIST = 20
/** Rows listed in the rows view: the view stays bounded whatever a snapshot holds. */
const ROWS_LIST = 5000

/** The rows of timeline position `i` (every input that has a snapshot there). */
export function rowsAt(vm: ViewModel, source: RowSource, i: number): readonly ExportConnection[] {
  const s = vm.analysis.timeline.sources?.[i]
  return s ? source.at(s.path, s.index) : []
}

const endpoint = (addr: string, port: number) => `${addr.includes(':') ? `[${addr}]` : addr}:${port < 0 ? '*' : port}`

/** A row as netstat shows it: `TCP  10.0.0.1:50001  1.2.3.4:443  ESTABLISHED  4312`. */
export const rowText = (r: ExportConnection) =>
  `${r.proto}  ${endpoint(r.localAddr, r.localPort)}  ${endpoint(r.remoteAddr, r.remotePort)}  ${r.state ?? ''}  ${r.pid}`

const socketKey = (r: ExportConnection) => `${r.proto} ${endpoint(r.localAddr, r.localPort)} ${endpoint(r.remoteAddr, r.remotePort)}`

/** Whether a row is the process's (same PID; the image too when both name one). */
const rowOf = (p: ProcInfo, r: ExportConnection) => r.pid === p.series.pid && (!p.series.name || !r.process || r.process === p.series.name)

/** `s` in `width` columns, cut at the start (`…/logs/netstat.txt:1234`): the file name and line are what tell rows apart. */
function fitTail(s: string, width: number): string {
  const text = clean(s)
  if (displayWidth(text) <= width) return fit(text, width)
  const chars = Array.from(text)
  while (chars.length && displayWidth(chars.join('')) > width - 1) chars.shift()
  return `…${chars.join('')}`
}

const when = (vm: ViewModel, i: number) => `#${i + 1} (${cursorTime(vm, i)})`

/**
 * The rows view (lnav-style): the selected process's rows at the cursor's snapshot, each with its file
 * and line, so the engineer reads what the evidence says. Control characters are made inert by `fit`.
 */
export function deriveRows(
  vm: ViewModel,
  source: RowSource | undefined,
  p: ProcInfo,
  cursor: number,
  width: number,
  raw?: ReadonlyMap<string, string>,
): DetailLine[] {
  const title = `${p.label}  ${pidLabel(p.series.pid, p.label)}  at ${when(vm, cursor)}`
  if (!source) return [[{text: title, style: 'title'}], [{text: 'the rows were not kept for this view', style: 'dim'}]]
  const mine = processRows(vm, source, p, cursor)
  const lines: DetailLine[] = [
    [
      {text: title, style: 'title'},
      {text: `  ${formatInt(mine.length)} row${mine.length === 1 ? '' : 's'} · ←→ other snapshots · r or Esc closes`, style: 'dim'},
    ],
  ]
  if (mine.length === 0) lines.push([{text: 'no rows of this process in this snapshot', style: 'dim'}])
  const place = Math.min(40, Math.max(16, Math.floor(width / 3)))
  for (const r of mine.slice(0, ROWS_LIST)) {
    // the line as written when it could be read again, else the row as read
    const text = r.path === undefined ? undefined : raw?.get(lineKey(r.path, r.line))
    lines.push([{text: fitTail(`${r.path}:${r.line}`, place), style: 'dim'}, {text: ` ${text ?? rowText(r)}`, style: 'plain'}])
  }
  if (mine.length > ROWS_LIST) lines.push([{text: `… ${formatInt(mine.length - ROWS_LIST)} more rows`, style: 'dim'}])
  return lines
}

/** The selected process's rows at the cursor, as many as the rows view lists. */
function processRows(vm: ViewModel, source: RowSource, p: ProcInfo, cursor: number): ExportConnection[] {
  return rowsAt(vm, source, cursor).filter((r) => rowOf(p, r))
}

/** The source lines the rows view shows (by input path), to read again for their text. */
export function rowsViewLines(vm: ViewModel, source: RowSource, p: ProcInfo, cursor: number): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const r of processRows(vm, source, p, cursor).slice(0, ROWS_LIST)) {
    if (r.path === undefined) continue
    const list = out.get(r.path)
    if (list) list.push(r.line)
    else out.set(r.path, [r.line])
  }
  return out
}

type Change = {pid: number; label: string; added: ExportConnection[]; gone: ExportConnection[]}

/** New and gone sockets per process between two snapshots (a socket: protocol and both endpoints). */
export function diffSnapshots(vm: ViewModel, source: RowSource, base: number, cursor: number): Change[] {
  const before = rowsAt(vm, source, base)
  const after = rowsAt(vm, source, cursor)
  const keysBefore = new Set(before.map(socketKey))
  const keysAfter = new Set(after.map(socketKey))
  const byPid = new Map<number, Change>()
  const changeOf = (r: ExportConnection) => {
    let c = byPid.get(r.pid)
    if (!c) {
      const p = vm.procs.find((q) => q.series.pid === r.pid && q.series.first <= cursor && (q.series.last >= base || q.series.last >= cursor))
      c = {pid: r.pid, label: p?.label ?? r.process ?? (r.pid === 0 ? '(no owner)' : '?'), added: [], gone: []}
      byPid.set(r.pid, c)
    }
    return c
  }
  for (const r of after) if (!keysBefore.has(socketKey(r))) changeOf(r).added.push(r)
  for (const r of before) if (!keysAfter.has(socketKey(r))) changeOf(r).gone.push(r)
  const size = (c: Change) => c.added.length + c.gone.length
  return [...byPid.values()].sort((a, b) => Math.abs(b.added.length - b.gone.length) - Math.abs(a.added.length - a.gone.length) || size(b) - size(a) || a.pid - b.pid)
}

/** The diff view: a summary per process (new, gone, net), then the sockets of each (the first few). */
export function deriveDiff(vm: ViewModel, source: RowSource | undefined, base: number, cursor: number, width: number): DetailLine[] {
  const title = `diff ${when(vm, base)} → ${when(vm, cursor)}`
  if (!source) return [[{text: title, style: 'title'}], [{text: 'the rows were not kept for this view', style: 'dim'}]]
  const changes = diffSnapshots(vm, source, base, cursor)
  const added = changes.reduce((n, c) => n + c.added.length, 0)
  const gone = changes.reduce((n, c) => n + c.gone.length, 0)
  const lines: DetailLine[] = [
    [{text: title, style: 'title'}],
    [
      {text: `+${formatInt(added)} new · -${formatInt(gone)} gone sockets`, style: 'plain'},
      {text: '  ←→ later snapshot · b compare from here · d closes', style: 'dim'},
    ],
    [{text: `${fit('PID', 8, 'right')} ${fit('IMAGE', 22)} ${fit('NEW', 8, 'right')} ${fit('GONE', 8, 'right')} ${fit('NET', 8, 'right')}`, style: 'heading'}],
  ]
  if (changes.length === 0) lines.push([{text: 'no socket came or went between these snapshots', style: 'dim'}])
  const signed = (n: number) => (n > 0 ? `+${formatInt(n)}` : formatInt(n))
  for (const c of changes) {
    const net = c.added.length - c.gone.length
    lines.push([
      {text: `${fit(String(c.pid), 8, 'right')} ${fit(c.label, 22)} `, style: 'plain'},
      {text: `${fit(`+${formatInt(c.added.length)}`, 8, 'right')} ${fit(`-${formatInt(c.gone.length)}`, 8, 'right')} `, style: 'plain'},
      {text: fit(signed(net), 8, 'right'), style: net > 0 ? 'sev1' : 'plain'},
    ])
  }
  const room = Math.max(20, width - 4)
  for (const c of changes) {
    lines.push([{text: `${c.label}  ${pidLabel(c.pid, c.label)}`, style: 'heading'}])
    for (const [mark, rows] of [['+', c.added], ['-', c.gone]] as const) {
      for (const r of rows.slice(0, DIFF_LIST)) lines.push([{text: fit(`  ${mark} ${rowText(r)}`, room), style: mark === '+' ? 'plain' : 'dim'}])
      if (rows.length > DIFF_LIST) lines.push([{text: `  ${mark} … ${formatInt(rows.length - DIFF_LIST)} more`, style: 'dim'}])
    }
  }
  return lines
}
