import {csvLayout, isRule, isTasklistCsvRow, splitCsv, tableLayout} from './table.js'

const MAX_LINES = 600

// Lines that only other formats write: handle.exe, netstat rows, Get-NetTCPConnection, Volatility, kd.
const FOREIGN = new RegExp(
  [
    String.raw`^(?:(?:Nt)?[Hh]andle v\d|Handle type summary|Volatility|PROCESS [0-9a-f]{8}|Proto\s+Local)`,
    String.raw`^(?:\S*kd> |\d+:\d+> )`,
    String.raw`^\s*(?:TCP|UDP)\s+\S+:\d`,
    String.raw`LocalAddress|OwningProcess|Offset\([VP]\)| pid: \d+ `,
  ].join('|'),
)

/**
 * Confidence that `sample` is a process list: a Get-Process / Select / tasklist table header over its
 * underline, a CSV header naming a process id and a name or handle count, headerless tasklist CSV rows,
 * or Format-List blocks with Id and Name/Handles. Lines only netstat, Get-NetTCPConnection, handle.exe,
 * Volatility or a debugger write pull the score down.
 */
export function detectProcessList(sample: string): number {
  if (typeof sample !== 'string' || sample.length === 0) return 0
  const lines = sample.split('\n', MAX_LINES).map((l) => l.replace(/\r+$/, ''))
  if (lines[0]?.charCodeAt(0) === 0xfeff) lines[0] = lines[0].slice(1)
  let headers = 0
  let tasklistRows = 0
  let foreign = 0
  let flPid = false
  let flOther = false
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!
    const trimmed = text.trim()
    if (trimmed === '') continue
    if (FOREIGN.test(text)) {
      foreign++
      continue
    }
    const next = lines[i + 1]
    if (next !== undefined && isRule(next) && !isRule(text)) {
      if (tableLayout(text, next)) headers++
      continue
    }
    if (text.includes(',') || text.includes('\t')) {
      const delim = text.includes(',') ? ',' : '\t'
      const fields = splitCsv(text, delim)
      if (fields && csvLayout(fields)) headers++
      else if (fields && text.startsWith('"') && isTasklistCsvRow(fields)) tasklistRows++
      continue
    }
    if (/^(?:Id|PID|ProcessId)\s*:\s*\d+$/.test(trimmed)) flPid = true
    else if (/^(?:Name|ProcessName|Image Name|Handles|HandleCount)\s*:\s*\S/.test(trimmed)) flOther = true
  }
  // Key-value lists and bare CSV rows are weak evidence: any foreign line outweighs them.
  const list = flPid && flOther && foreign === 0
  const evidence = headers + (tasklistRows >= 2 ? 1 : 0) + (list ? 1 : 0)
  if (foreign > 0 && foreign >= evidence * 3) return evidence > 0 ? 0.3 : 0
  if (headers > 0) return 0.95
  if (tasklistRows >= 2) return 0.85
  if (list) return 0.85
  if (tasklistRows === 1) return 0.6
  return 0
}
