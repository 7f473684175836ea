import type {LineParser, Parser, ProcessRecord, RecordSink, WallTime} from '../types.js'
import {detectTable, type Getter, pick, toInt, volTime} from './common.js'
import {createVolatilityLineParser, type RowResult, type TableSpec} from './table.js'
import {newProcess} from '../shared/records.js'

const PSLIST_HEADER = /^Offset\(V\)\s+Name\s+PID\s+PPID\s+Thds\s+Hnds\b/
const PSSCAN_HEADER = /^Offset\(P\)\s+Name\s+PID\s+PPID\s+PDB\s+Time created/
const PSTREE_HEADER = /^Name\s+Pid\s+PPid\s+Thds\s+Hnds\s+Time/
// The name (which may hold spaces) starts and ends with a non-blank and is tried absent first: a blank
// run then belongs to one `\s+` only, so a line of long blank runs is matched in linear time (a
// name of `.*?` between two `\s+` took cubic time: 10 s for one 16 KB damaged line).
const NAME = String.raw`(?:\s+(\S(?:.*?\S)?))??`
const PSSCAN_ROW = new RegExp(String.raw`^\s*(0x[0-9a-fA-F]+)${NAME}\s+(-?\d+)\s+(-?\d+)\s+(0x[0-9a-fA-F]+)(?:\s+(.*))?$`, 'd')
const PSTREE_ROW = /^[.\s]*(0x[0-9a-fA-F]+):(?:\s*(\S(?:.*?\S)?))??\s+(-?\d+)\s+(-?\d+)\s+(-?\d+|-+)\s+(-?\d+|-+)(?:\s+(.*))?$/
const TIME = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?: UTC[+-]\d{4})?/g
const VOL2_TIME_WORDS = new Set(['Start', 'Exit', 'Time'])

type Time = WallTime | null

/** A count that Volatility 2 may print as dashes (`--------` handles of an exited process) or -1. */
const count = (v: string | null) => {
  const n = toInt(v)
  return n === null || n < 0 ? null : n
}

/**
 * Volatility process lists: 3 `windows.pslist` / `psscan` / `pstree` (text with `*` tree prefixes,
 * csv with TreeDepth, json with `__children`) and 2 `pslist` (`Offset(V) Name PID PPID Thds Hnds
 * Sess Wow64 Start Exit`), `psscan` and `pstree`. Handles and threads are null where the source
 * prints `-` / `--------` (unreadable, exited).
 */
function pslistSpec(sink: RecordSink): TableSpec {
  const rec: ProcessRecord = newProcess()

  const emit = (
    pid: number, name: string | null, ppid: number | null, threads: number | null, handles: number | null,
    created: WallTime | null, exited: WallTime | null, line: number,
  ): RowResult => {
    Object.assign(rec, {pid, name, ppid, threads, handles, created, exited, line})
    sink.process(rec)
    return null
  }

  const row = (get: Getter, line: number): RowResult => {
    const pid = toInt(pick(get, 'PID', 'Pid'))
    if (pid === null) return 'malformed'
    let name = pick(get, 'ImageFileName', 'Name') || null
    // Volatility 2 pstree JSON names rows `0xfffffa80004b09e0:System`.
    if (name !== null) name = name.replace(/^[.\s]*0x[0-9a-fA-F]+:/, '') || null
    return emit(
      pid,
      name,
      toInt(pick(get, 'PPID', 'PPid')),
      count(pick(get, 'Threads', 'Thds')),
      count(pick(get, 'Handles', 'Hnds')),
      volTime(pick(get, 'CreateTime', 'Start', 'Time created', 'Time')),
      volTime(pick(get, 'ExitTime', 'Exit', 'Time exited')),
      line,
    )
  }

  /**
   * Start and exit times from a row's tail; a lone time is the exit when it sits under the exit
   * column. Null when the tail holds something else (a time cut off by truncation).
   */
  const times = (rest: string | undefined, restAt: number, exitAt: number): [Time, Time] | null => {
    if (!rest?.trim()) return [null, null]
    const found = [...rest.matchAll(TIME)]
    if (found.length >= 2) return [volTime(found[0]![0]), volTime(found[1]![0])]
    if (found.length === 0) return null
    const t = volTime(found[0]![0])
    return exitAt > 0 && restAt + found[0]!.index >= exitAt - 1 ? [null, t] : [t, null]
  }

  const pslist = (header: string) => {
    const words = header.trim().split(/\s+/)
    const numeric = words.slice(2).filter((w) => !VOL2_TIME_WORDS.has(w))
    const col = (name: string) => numeric.indexOf(name)
    const counts = '\\s+(-?\\d+|-+)'.repeat(numeric.length)
    const re = new RegExp(`^\\s*(0x[0-9a-fA-F]+)${NAME}${counts}(?:\\s+(.*))?$`, 'd')
    const exitAt = header.search(/\bExit\b/)
    return (text: string, line: number): RowResult | false => {
      const m = re.exec(text)
      if (!m) return /^\s*0x[0-9a-fA-F]+\s/.test(text) ? 'malformed' : false
      const n = (name: string) => (col(name) < 0 ? null : m[3 + col(name)]!)
      const pid = toInt(n('PID'))
      if (pid === null) return 'malformed'
      const restGroup = 3 + numeric.length
      const t = times(m[restGroup], m.indices?.[restGroup]?.[0] ?? 0, exitAt)
      if (t === null) return 'malformed'
      return emit(pid, m[2]?.trim() || null, toInt(n('PPID')), count(n('Thds')), count(n('Hnds')), t[0], t[1], line)
    }
  }

  const psscan = (header: string) => {
    const exitAt = header.indexOf('Time exited')
    return (text: string, line: number): RowResult | false => {
      const m = PSSCAN_ROW.exec(text)
      if (!m) return /^\s*0x[0-9a-fA-F]+\s/.test(text) ? 'malformed' : false
      const t = times(m[6], m.indices?.[6]?.[0] ?? 0, exitAt)
      if (t === null) return 'malformed'
      return emit(Number(m[3]), m[2]?.trim() || null, Number(m[4]), null, null, t[0], t[1], line)
    }
  }

  const pstree = (text: string, line: number): RowResult | false => {
    const m = PSTREE_ROW.exec(text)
    if (!m) return /^[.\s]*0x[0-9a-fA-F]+:/.test(text) ? 'malformed' : false
    const t = times(m[7], 0, -1)
    if (t === null) return 'malformed'
    return emit(Number(m[3]), m[2]?.trim() || null, Number(m[4]), count(m[5]!), count(m[6]!), t[0], null, line)
  }

  return {
    plugins: ['pslist', 'psscan', 'pstree'],
    matches,
    plugin: (cols) => (cols.includes('File output') || (cols.includes('Thds') && cols.includes('Sess')) ? 'pslist' : null),
    row,
    vol2: [
      {plugin: 'pslist', header: PSLIST_HEADER, open: pslist},
      {plugin: 'psscan', header: PSSCAN_HEADER, open: psscan},
      {plugin: 'pstree', header: PSTREE_HEADER, open: () => pstree},
    ],
  }
}

function matches(cols: readonly string[]): boolean {
  const has = (n: string) => cols.includes(n)
  return (
    (has('PID') && has('PPID') && has('ImageFileName')) ||
    (has('Name') && has('PID') && has('PPID') && (has('Thds') || has('PDB'))) ||
    (has('Name') && has('Pid') && has('PPid') && has('Thds'))
  )
}

/** Volatility 3 windows.pslist / psscan / pstree (text, csv, json) and Volatility 2 pslist / psscan / pstree. */
export const volatilityPslistParser: Parser = {
  id: 'volatility-pslist',
  description: 'Volatility 3 windows.pslist / psscan / pstree (text, csv, json), Volatility 2 pslist, psscan, pstree',
  detect: (sample) => detectTable(sample, matches, [PSLIST_HEADER, PSSCAN_HEADER, PSTREE_HEADER]),
  create(sink: RecordSink): LineParser {
    return createVolatilityLineParser(sink, pslistSpec(sink))
  },
}
