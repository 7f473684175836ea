import {
  bannerVersion,
  isHexCode,
  parseCsvRow,
  parseHandleLine,
  parseProcessHeader,
  parseSearchLine,
  parseSummaryRow,
  parseTotal,
} from './lines.js'

const MAX_LINES = 600
// First words of netstat, Get-NetTCPConnection, Volatility, kd and Get-Process / tasklist lines; debugger prompts.
const FOREIGN = /^(?:TCP|UDP|Proto|LocalAddress|Offset|Volatility|PROCESS |Handles +NPM|Image Name)\b|kd>|\d:\d{3}>/

/**
 * Confidence that `sample` is handle.exe output: the banner, a `Handle type summary:` title or the v5 CSV
 * header settle it; otherwise the share of lines that are handle lines with a known object type, name-search
 * lines, CSV rows or block headers. Netstat, PowerShell tables, Volatility and debugger output score low:
 * none of their rows is `<hex>: <object type>` or `… pid: N …`.
 */
export function detectHandleExe(sample: string): number {
  if (typeof sample !== 'string' || sample.length === 0) return 0
  let banner = false
  let title = false
  let csvHeader = false
  let evidence = 0
  let rows = 0
  let lines = 0
  let foreign = 0
  let start = sample.charCodeAt(0) === 0xfeff ? 1 : 0
  while (start < sample.length && lines < MAX_LINES) {
    let end = sample.indexOf('\n', start)
    if (end < 0) end = sample.length
    const text = sample.slice(start, end).replace(/\r+$/, '')
    start = end + 1
    const trimmed = text.trim()
    if (trimmed === '') continue
    lines++
    if (bannerVersion(trimmed) !== null) banner = true
    else if (trimmed.startsWith('Handle type summary')) title = true
    else if (trimmed.startsWith('Process,PID,User,Handle,Type')) csvHeader = true
    else if (parseTotal(trimmed) !== null) evidence++
    else if (FOREIGN.test(trimmed)) foreign++
    else if (isHandleEvidence(text)) evidence++
    else if (parseSummaryRow(text)) rows++
  }
  if (lines === 0) return 0
  if (csvHeader || title) return banner ? 0.97 : 0.95
  if (banner) return 0.93
  // Summary rows alone look like any `key : n` list; they count only next to other handle.exe evidence.
  const hits = evidence + (evidence > 0 ? rows : 0)
  const ratio = hits / lines
  if (foreign > hits) return Math.min(0.2, ratio)
  if (hits >= 3 && ratio >= 0.5) return Math.min(0.92, 0.82 + ratio * 0.1)
  if (hits >= 1 && ratio >= 0.5) return 0.6
  return Math.min(0.4, ratio * 0.5)
}

function isHandleEvidence(text: string): boolean {
  const c = text.charCodeAt(0)
  if (c === 32 || isHexCode(c)) {
    const h = parseHandleLine(text)
    if (h) return h.knownType
  }
  if (text.includes(' pid: ')) return parseSearchLine(text) !== null || parseProcessHeader(text) !== null
  if (text.includes(',0x')) return parseCsvRow(text) !== null
  return false
}
