/** Helpers shared by the Volatility 2 / 3 table parsers (netscan, handles, pslist). */
import {parseDateTime} from '../shared/timestamps.js'
import {sampleJsonKeys} from './json.js'
import type {TcpState, WallTime} from '../types.js'

/** Looks a column up by name: null when the column is missing or its value is absent (`-`, `N/A`, JSON null). */
export type Getter = (column: string) => string | null

/** The first present value among alias column names (`PID` in Volatility 3, `Pid` in Volatility 2). */
export function pick(get: Getter, ...names: string[]): string | null {
  for (const n of names) {
    const v = get(n)
    if (v !== null) return v
  }
  return null
}

/** `-` (unreadable) and `N/A` (not applicable) are Volatility's absent values. */
export function present(v: string | null | undefined): string | null {
  if (v === null || v === undefined) return null
  const t = v.trim()
  return t === '-' || t === 'N/A' ? null : t
}

/** A decimal integer (`4`, `-1`), or null when absent or unreadable (`--------`, garbage). */
export function toInt(v: string | null): number | null {
  if (v === null || v.length === 0 || v.length > 11) return null
  let i = v.charCodeAt(0) === 45 ? 1 : 0
  if (i === v.length) return null
  let n = 0
  for (; i < v.length; i++) {
    const d = v.charCodeAt(i) - 48
    if (d < 0 || d > 9) return null
    n = n * 10 + d
  }
  return v.charCodeAt(0) === 45 ? -n : n
}

const STATES: Record<string, TcpState> = {
  LISTENING: 'LISTENING',
  LISTEN: 'LISTENING',
  ESTABLISHED: 'ESTABLISHED',
  CLOSED: 'CLOSED',
  CLOSE_WAIT: 'CLOSE_WAIT',
  TIME_WAIT: 'TIME_WAIT',
  SYN_SENT: 'SYN_SENT',
  SYN_RCVD: 'SYN_RECEIVED',
  SYN_RECEIVED: 'SYN_RECEIVED',
  FIN_WAIT1: 'FIN_WAIT_1',
  FIN_WAIT_1: 'FIN_WAIT_1',
  FIN_WAIT2: 'FIN_WAIT_2',
  FIN_WAIT_2: 'FIN_WAIT_2',
  LAST_ACK: 'LAST_ACK',
  CLOSING: 'CLOSING',
  DELETE_TCB: 'DELETE_TCB',
  BOUND: 'BOUND',
}

/** Canonical state of a Volatility TCP state word (`FIN_WAIT1` → `FIN_WAIT_1`, `SYN_RCVD` → `SYN_RECEIVED`). */
export function volState(word: string): TcpState | null {
  return STATES[word.toUpperCase()] ?? null
}

let lastTimeText = ''
let lastTime: WallTime | null = null

/** A Volatility datetime (`2025-02-11 11:35:41.000000 UTC`, `2012-02-22 20:04:12 UTC+0000`, ISO from JSON). */
export function volTime(v: string | null): WallTime | null {
  if (v === null || v.length < 10) return null
  // Rows of one scan often share a time (sockets bound at boot): parse each distinct text once.
  if (v !== lastTimeText) {
    lastTimeText = v
    lastTime = parseDateTime(v.trim())
  }
  return lastTime
}

/**
 * Splits `ip:port` as Volatility 2 joins them (`10.0.2.15:1900`, `:::49153`, `-:49227`, `*:*`).
 * An unknown address (`-`) becomes `*`; a port that is not a number becomes -1.
 */
export function splitEndpoint(v: string): {addr: string; port: number} {
  const colon = v.lastIndexOf(':')
  const host = colon < 0 ? v : v.slice(0, colon)
  const port = colon < 0 ? '' : v.slice(colon + 1)
  let addr = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (addr === '' || addr === '-') addr = '*'
  return {addr, port: /^\d{1,5}$/.test(port) ? Number(port) : -1}
}

/**
 * Splits one CSV record as Volatility 3's writer produces it (minimal quoting, doubled quotes,
 * `escapechar="\\"`, which doubles every backslash in data): `\\` is undone to `\`. Returns null
 * when a quoted field is still open at the end (the record continues on the next line).
 */
export function splitCsv(line: string): string[] | null {
  const cells: string[] = []
  let cell = ''
  let quoted = false
  let start = 0
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (c === 92 /* \ */ && i + 1 < line.length) {
      cell += line.slice(start, i) + (line.charCodeAt(i + 1) === 92 ? '\\' : line.slice(i, i + 2))
      start = ++i + 1
    } else if (c === 34 /* " */) {
      cell += line.slice(start, i)
      start = i + 1
      if (quoted && line.charCodeAt(i + 1) === 34) {
        cell += '"'
        start = ++i + 1
      } else {
        quoted = !quoted
      }
    } else if (c === 44 /* , */ && !quoted) {
      cells.push(cell + line.slice(start, i))
      cell = ''
      start = i + 1
    }
  }
  if (quoted) return null
  cells.push(cell + line.slice(start))
  return cells
}

const BANNER = /^(?:Volatility 3 Framework|(?:Volatility Foundation|Volatile Systems) Volatility Framework)\b/
const PROGRESS = /^(?:Progress:\s|Formatting\.\.\.$)/

/** Tool chatter that belongs to the output's structure: banners and progress lines. */
export function isBanner(t: string): boolean {
  return (t.charCodeAt(0) === 86 && BANNER.test(t)) || (t.charCodeAt(0) !== 86 && PROGRESS.test(t))
}

// Shell prompts (`$ `, `# `, `PS C:\>`, `C:\>`, Kali's `──$`/`└─$`/`┌──(…)`) and command lines naming
// Volatility.
const PROMPT = /^(?:[$#>%]\s|PS [^>]*>|[A-Za-z]:\\[^>]*>|[─└┌│╰╭][─\s]*|\S+@\S+:[^$#]*[$#]\s|\(\w+\)\s)/
const COMMAND = /(?:^|[\s/\\])(?:python\d?(?:\.exe)?\s+)?vol(?:atility)?(?:3|_?2\.\d)?(?:\.py|\.exe)?\s+-/i

/** A shell prompt or the Volatility command line echoed into the paste. */
export function isEcho(t: string): boolean {
  return PROMPT.test(t) || COMMAND.test(t)
}

const PLUGIN = /\bwindows\.(\w+)|\s(netscan|connscan|connections|sockets|sockscan|handles|pslist|psscan|pstree)\b/

/** The plugin a command line runs (`windows.netscan.NetScan` → `netscan`, vol2 `... netscan`). */
export function commandPlugin(t: string): string | null {
  const m = PLUGIN.exec(t)
  return m ? (m[1] ?? m[2])!.toLowerCase() : null
}

/** `------------------ ------ ----`: the rule Volatility 2 prints under most headers. */
export function isRule(t: string): boolean {
  return t.charCodeAt(0) === 45 && /^-+(?:\s+-+)*$/.test(t)
}

const NAME = /^[A-Za-z_][\w ()./-]*$/

/** True when every cell reads as a column name (a header line, not a data row). */
export function isHeaderCells(cells: readonly string[]): boolean {
  if (cells.length < 2) return false
  for (const c of cells) {
    const t = c.trim()
    if (!NAME.test(t) || t === 'N/A' || t === 'True' || t === 'False') return false
  }
  return true
}

/**
 * Detection shared by the Volatility parsers: 0.95 for this plugin's header in any rendering,
 * 0.9 for JSON rows with its keys, 0.2 for Volatility output of another plugin, else 0.
 */
export function detectTable(
  sample: string,
  matches: (columns: readonly string[]) => boolean,
  vol2Headers: readonly RegExp[],
): number {
  let banner = false
  let jsonish = false
  for (const raw of sample.split('\n', 4000)) {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    const t = text.trim()
    if (t === '') continue
    let cells: string[] | null = null
    if (text.includes('\t')) {
      cells = text.split('\t').map((c) => c.trim())
      while (cells.length > 1 && cells.at(-1) === '') cells.pop()
    } else if (t.startsWith('TreeDepth,')) {
      cells = (splitCsv(t) ?? []).slice(1)
    } else if (text.includes(' | ') && /^\s*\|/.test(text)) {
      cells = text.split(' | ').slice(1).map((c) => c.trim())
    }
    if (cells && isHeaderCells(cells) && matches(cells)) return 0.95
    for (const h of vol2Headers) if (h.test(text)) return 0.95
    banner ||= isBanner(t)
    jsonish ||= t === '[' || t === '{' || t.startsWith('{"') || t.startsWith('[{')
  }
  if (jsonish && matches(sampleJsonKeys(sample))) return 0.9
  return banner ? 0.2 : 0
}
