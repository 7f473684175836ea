import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {accountedLines, parseText, splitLines, type Collected} from '../../src/formats/shared/collect.js'
import {netshDynamicPortParser as parser, validRange} from '../../src/formats/netsh/dynamicport.js'
import type {PortRangeRecord} from '../../src/formats/types.js'

const fixture = (name: string) => readFileSync(new URL(`../../corpus/netsh-dynamicport/${name}`, import.meta.url), 'utf8')
const realDir = new URL('../../../shared/corpus/real/', import.meta.url)

function parse(text: string) {
  const c = parseText(parser, text)
  const ranges = c.records.filter((r): r is Extract<typeof r, {kind: 'portRange'}> => r.kind === 'portRange')
  return {c, ranges, total: splitLines(text).lines.length}
}

const brief = (r: PortRangeRecord) => [r.line, r.proto, r.family, r.start, r.count]
const skips = (c: Collected) => c.skipped.map((s) => [s.line, s.reason])

describe('netsh-dynamicport', () => {
  it('reads the four blocks of a script that echoed its commands, taking the family from each command', () => {
    const {c, ranges, total} = parse(fixture('all-four-echoed-en.txt'))
    expect(ranges.map(brief)).toEqual([
      [3, 'TCP', 'ipv4', 49152, 16384],
      [10, 'UDP', 'ipv4', 49152, 16384],
      [17, 'TCP', 'ipv6', 10000, 55536],
      [24, 'UDP', 'ipv6', 49152, 16384],
    ])
    expect(skips(c)).toEqual([
      [1, 'echo'],
      [8, 'echo'],
      [15, 'echo'],
      [22, 'echo'],
      [29, 'echo'],
    ])
    expect(c.snapshots).toEqual([])
    expect(accountedLines(c)).toBe(total)
  })

  it('reads French output with collapsed padding and no trailing newline', () => {
    const {c, ranges, total} = parse(fixture('fr-collapsed-no-newline.txt'))
    expect(ranges.map(brief)).toEqual([
      [2, 'TCP', null, 49152, 16384],
      [8, 'UDP', null, 1025, 3976],
    ])
    expect(c.skipped).toEqual([])
    expect(accountedLines(c)).toBe(total)
  })

  it('reads unknown languages by shape and skips impossible ranges and a block cut at the end', () => {
    const {c, ranges, total} = parse(fixture('unknown-language-invalid.txt'))
    expect(ranges.map(brief)).toEqual([
      [2, 'TCP', null, 50000, 15536],
      [7, 'UDP', null, 49152, 16384],
      [12, 'TCP', null, 1000, 16384], // below what `set dynamicport` allows, yet what the OS prints: read, with a note
    ])
    expect(c.notes.rangeOutsideSetLimits).toMatch(/1000–17383 \(line 12\) is outside/)
    expect(skips(c)).toEqual([
      [17, 'malformed'], // 60000 + 16384 - 1 is past 65535
      [22, 'junk'],
      [24, 'elision'],
      [26, 'truncated'],
    ])
    expect(accountedLines(c)).toBe(total)
  })

  it('marks a count cut by the end of the input as truncated', () => {
    const text = 'Protocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port : 49152\r\nNumber of Ports : 16'
    const {c, ranges, total} = parse(text)
    expect(ranges).toEqual([])
    expect(skips(c)).toEqual([[1, 'truncated']])
    expect(accountedLines(c)).toBe(total)
  })

  it('takes the protocol of an echoed command when the title is missing', () => {
    const text = 'PS C:\\> netsh int ipv6 show dynamicport udp\nStart Port : 50000\nNumber of Ports : 1000\nStart Port : 50000\nNumber of Ports : 1000\n'
    const {c, ranges, total} = parse(text)
    expect(ranges.map(brief)).toEqual([[2, 'UDP', 'ipv6', 50000, 1000]])
    expect(skips(c)).toEqual([
      [1, 'echo'],
      [4, 'malformed'], // no title and no command: the protocol is unknown
    ])
    expect(accountedLines(c)).toBe(total)
  })

  it('reads output behind a prefix every line repeats, as build logs write it', () => {
    const text = [
      '    vhd: ',
      '    vhd: Protocol tcp Dynamic Port Range',
      '    vhd: ---------------------------------',
      '    vhd: Start Port      : 49152',
      '    vhd: Number of Ports : 16384',
      '',
    ].join('\r\n')
    const {c, ranges} = parse(text)
    expect(ranges.map(brief)).toEqual([[2, 'TCP', null, 49152, 16384]])
    expect(parser.detect(text)).toBeGreaterThanOrEqual(0.5)
    expect(c.notes.rangeOutsideSetLimits).toBeUndefined()
  })

  it('reads a range starting at 1024, as an installer leaves it, with a note that set dynamicport would refuse it', () => {
    const text = 'Protocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 1024\r\nNumber of Ports : 64512\r\n'
    const {c, ranges} = parse(text)
    expect(ranges.map(brief)).toEqual([[1, 'TCP', null, 1024, 64512]])
    expect(c.notes.rangeOutsideSetLimits).toMatch(/^TCP 1024–65535 \(line 1\) is outside/)
  })

  it('validates ranges the way netsh does', () => {
    expect([validRange(49152, 16384), validRange(1025, 3976), validRange(1025, 64511)]).toEqual([true, true, true])
    expect([validRange(1024, 1000), validRange(50000, 254), validRange(65000, 1000)]).toEqual([false, false, false])
  })

  it('is confident on its fixtures and shapes, and low on netstat, PowerShell tables and handle listings', () => {
    const dir = new URL('../../corpus/netsh-dynamicport/', import.meta.url)
    for (const name of readdirSync(dir)) expect(parser.detect(fixture(name)), name).toBeGreaterThanOrEqual(0.8)
    const shape = 'Protokoll udp Dynamischer Portbereich\r\n----------\r\nStartport : 49152\r\nAnzahl Ports : 16384\r\n'
    expect(parser.detect(shape)).toBeGreaterThanOrEqual(0.8)
    const others = [
      '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n' +
        '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1712\r\n' +
        '  UDP    0.0.0.0:500            *:*                                    3120\r\n',
      'LocalAddress  LocalPort RemoteAddress RemotePort State  AppliedSetting OwningProcess\n' +
        '------------  --------- ------------- ---------- -----  -------------- -------------\n' +
        '0.0.0.0       135       0.0.0.0       0          Listen                1012\n',
      'Handle v5.0\r\n\r\n------------------------------------------------------------------------------\r\n' +
        'System pid: 4 \\<unable to open process>\r\n    4: Process       System(4)\r\n   44: File  (RW-)   \\Device\\Afd\r\n',
      'Volatility 3 Framework 2.7.0\n\nOffset\tProto\tLocalAddr\tLocalPort\n0x1\tTCPv4\t0.0.0.0\t445\n',
    ]
    for (const text of others) expect(parser.detect(text)).toBeLessThan(0.5)
    expect(parser.detect('')).toBe(0)
  })
})

describe.skipIf(!existsSync(realDir))('netsh-dynamicport on the real sample', () => {
  it('reads the English sample without a trailing newline', () => {
    const text = readFileSync(new URL('netsh/dynamicport-en.txt', realDir), 'utf8')
    const {c, ranges, total} = parse(text)
    expect(ranges.map(brief)).toEqual([[2, 'TCP', null, 49152, 16384]])
    expect(c.skipped).toEqual([])
    expect(accountedLines(c)).toBe(total)
    expect(parser.detect(text)).toBeGreaterThanOrEqual(0.8)
  })

  it('scores the other real samples low', () => {
    const expectations = JSON.parse(readFileSync(new URL('expect.json', realDir), 'utf8')) as Record<string, {format: string}>
    for (const [path, e] of Object.entries(expectations)) {
      if (e.format === 'netsh-dynamicport') continue
      expect([path, parser.detect(readFileSync(new URL(path, realDir), 'latin1')) < 0.5]).toEqual([path, true])
    }
  })
})
