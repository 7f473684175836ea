import {fc, test} from '@fast-check/vitest'
import {describe, expect} from 'vitest'

import {accountedLines, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {getNetTcpConnectionParser} from '../../src/formats/get-nettcpconnection/index.js'
import {netshDynamicPortParser} from '../../src/formats/netsh/dynamicport.js'
import type {Parser} from '../../src/formats/types.js'

const parsers: readonly Parser[] = [getNetTcpConnectionParser, netshDynamicPortParser]

// Lines of every view both parsers read, plus the noise around them, to build inputs that reach deep states.
const FRAGMENTS = [
  '',
  '   ',
  'PS C:\\> Get-NetTCPConnection',
  'PS C:\\> Get-NetUDPEndpoint | Format-List',
  'C:\\>netsh int ipv6 show dynamicport udp',
  'Friday, March 10, 2023 2:05:12 PM',
  '10.03.2023 14:05:12,34 ',
  '2023-03-10T14:05:12.1234567+01:00',
  'LocalAddress                        LocalPort RemoteAddress                       RemotePort State       AppliedSetting OwningProcess',
  '------------                        --------- -------------                       ---------- -----       -------------- -------------',
  '0.0.0.0                             53343     0.0.0.0                             0          Bound                      18732',
  '127.0.0.1                           53343     127.0.0.1                           5432       Established Internet       18732',
  '::                                  30040     ::                                  0          Listen                     ',
  'fe80::1%12 445 fe80::2%12 50000 TimeWait 0',
  'LocalAddress   LocalPort',
  'LocalAddress   : ::',
  'LocalPort      : 5985',
  'State          : Listen',
  'RemotePort     : 0',
  'OwningProcess  : 4',
  'CreationTime   : 1/14/2026 7:17:53 AM',
  '               continued value',
  '#TYPE Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetTCPConnection',
  '"LocalAddress","LocalPort","RemoteAddress","RemotePort","State","OwningProcess"',
  '"0.0.0.0","135","0.0.0.0","0","2","1012"',
  '"10.0.0.1","50000","10.0.0.2","443","Established","77',
  'line"',
  '[',
  ']',
  '{',
  '},',
  '    "LocalPort":  5985,',
  '    "State":  11,',
  '    "Nested":  {"a": "}"}',
  '[{"LocalAddress":"::","LocalPort":1,"State":2,"OwningProcess":4},{"LocalPort":',
  '{"LocalAddress":"0.0.0.0","LocalPort":135}',
  'Count Name               ProcessName        Group',
  '----- ----               -----------        -----',
  '   12 Bound, 10684       chrome             {MSFT_NetTCPConnection (InstanceID = "0.0.0.0??58430??0.0.0.0??0"), ...',
  '    3 TimeWait, 0                           {MSFT_NetTCPConnection...',
  'Protocol tcp Dynamic Port Range',
  'Plage de ports dynamique du protocole udp',
  '---------------------------------',
  'Start Port      : 49152',
  'Number of Ports : 16384',
  'Port de démarrage : 1025',
  'Nombre de ports : 3976',
  '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1712',
  '...',
  '[snip]',
  'WARNING: 1 columns do not fit into the display and were removed.',
]

const linesArb = fc.array(
  fc.oneof({weight: 4, arbitrary: fc.constantFrom(...FRAGMENTS)}, {weight: 1, arbitrary: fc.string({maxLength: 40})}),
  {maxLength: 60},
)
const textArb = fc.tuple(linesArb, fc.constantFrom('\n', '\r\n'), fc.boolean()).map(([lines, nl, final]) => {
  const text = lines.join(nl)
  return final && text !== '' ? text + nl : text
})
const noisyArb = fc.string({
  unit: fc.constantFrom('a', 'T', 'P', ' ', '\n', '\r', '"', ',', ';', ':', '{', '}', '[', ']', '-', '1', '5', '.', '\\', '>', '…'),
  maxLength: 400,
})

/** Every line is exactly one of: a record line, structure, a skipped line. */
function checkAccounting(parser: Parser, text: string): void {
  const c = parseText(parser, text)
  const total = splitLines(text).lines.length
  const recordLines = new Set(c.records.map((r) => r.line))
  const skipped = c.skipped.map((s) => s.line)
  expect(new Set(skipped).size).toBe(skipped.length)
  expect(skipped.filter((l) => recordLines.has(l))).toEqual([])
  expect([...recordLines, ...skipped].every((l) => Number.isInteger(l) && l >= 1 && l <= total)).toBe(true)
  expect(accountedLines(c)).toBe(total)
}

describe('get-nettcpconnection and netsh-dynamicport properties', () => {
  test.prop([textArb], {numRuns: 300})('account for every line of mixed realistic input', (text) => {
    for (const parser of parsers) checkAccounting(parser, text)
  })

  test.prop([noisyArb], {numRuns: 300})('never throw and account for every line of arbitrary text', (text) => {
    for (const parser of parsers) checkAccounting(parser, text)
  })

  test.prop([fc.oneof(fc.string({maxLength: 2000}), textArb, noisyArb)], {numRuns: 300})(
    'detect is total and within 0..1',
    (text) => {
      for (const parser of parsers) {
        const score = parser.detect(text)
        expect(score).toBeGreaterThanOrEqual(0)
        expect(score).toBeLessThanOrEqual(1)
      }
    },
  )
})
