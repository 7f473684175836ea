/** Format detection for Get-NetTCPConnection / Get-NetUDPEndpoint output in any of its views. */

const TABLE_HEADER = /^[ \t]*LocalAddress[ \t]+LocalPort(?:[ \t]|$)/m
const LIST_PORT = /^[ \t]*LocalPort[ \t]*: \d{1,5}[ \t]*$/m
const LIST_ADDRESS = /^[ \t]*LocalAddress[ \t]*: \S/m
const CSV_TYPE = /^#TYPE [^\r\n]*MSFT_Net(?:TCPConnection|UDPEndpoint)/m
const CSV_PORT = /(?:^|[,;])"?LocalPort"?(?:[,;]|$)/m
const CSV_ADDRESS = /(?:^|[,;])"?LocalAddress"?(?:[,;]|$)/m
const JSON_PORT = /"LocalPort"\s*:\s*"?\d/
const JSON_ADDRESS = /"LocalAddress"\s*:/
const GROUP_HEADER = /^[ \t]*Count[ \t]+Name(?:[ \t]+ProcessName)?[ \t]+Group[ \t]*$/m
const STATES =
  'Listen|Established|TimeWait|CloseWait|Bound|Closed|Closing|DeleteTCB|FinWait[12]|LastAck|SynReceived|SynSent'
const GROUP_ROW = new RegExp(`^[ \\t]*\\d+[ \\t]+(?:${STATES}),[ \\t]*\\d+`, 'm')
const COMMAND = /Get-Net(?:TCPConnection|UDPEndpoint)/i

/**
 * Confidence 0..1 that `sample` is Get-NetTCPConnection / Get-NetUDPEndpoint output: ≥0.9 for a table
 * header, Format-List block, Export-Csv header or `#TYPE`, ConvertTo-Json object or Group-Object summary;
 * 0.4 when only the command is named (a prompt line); 0 otherwise.
 */
export function detectGetNetTcpConnection(sample: string): number {
  if (typeof sample !== 'string' || sample.length === 0) return 0
  const s = sample.length > 65536 ? sample.slice(0, 65536) : sample
  if (s.includes('LocalPort')) {
    if (CSV_TYPE.test(s)) return 0.95
    if (TABLE_HEADER.test(s)) return 0.95
    if (LIST_PORT.test(s) && LIST_ADDRESS.test(s)) return 0.95
    if (CSV_PORT.test(s) && CSV_ADDRESS.test(s)) return 0.9
    if (JSON_PORT.test(s) && JSON_ADDRESS.test(s)) return 0.9
  }
  const group = GROUP_HEADER.test(s)
  if (group && (GROUP_ROW.test(s) || s.includes('MSFT_NetTCPConnection'))) return 0.9
  if (COMMAND.test(s)) return 0.4
  return group ? 0.3 : 0
}
