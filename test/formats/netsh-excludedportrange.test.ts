import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {accountedLines, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {netshExcludedPortRangeParser as parser} from '../../src/formats/netsh/excludedportrange.js'
import {detectFormat} from '../../src/formats/registry.js'
import type {PortRangeRecord} from '../../src/formats/types.js'

const fixture = (name: string) => readFileSync(new URL(`../../corpus/netsh-excludedportrange/${name}`, import.meta.url), 'utf8')

function parse(text: string) {
  const c = parseText(parser, text)
  const ranges = c.records.filter((r): r is Extract<typeof r, {kind: 'portRange'}> => r.kind === 'portRange')
  return {c, ranges, total: splitLines(text).lines.length}
}

const brief = (r: PortRangeRecord) => [r.line, r.proto, r.family, r.start, r.count, r.excluded, r.administered]

describe('netsh-excludedportrange', () => {
  it('reads English output with an echoed command, administered blocks marked *', () => {
    const {c, ranges, total} = parse(fixture('en-administered.txt'))
    expect(ranges.map(brief)).toEqual([
      [7, 'TCP', 'ipv4', 5357, 1, true, false],
      [8, 'TCP', 'ipv4', 50000, 1000, true, true],
      [9, 'TCP', 'ipv4', 52000, 500, true, false],
    ])
    expect(c.skipped.map((s) => s.reason)).toEqual(['echo'])
    expect(accountedLines(c)).toBe(total)
  })

  it('reads German output by its shape', () => {
    const {c, ranges, total} = parse(fixture('de-administered.txt'))
    expect(ranges.map(brief)).toEqual([
      [5, 'TCP', null, 1080, 1, true, false],
      [6, 'TCP', null, 50000, 1000, true, true],
      [7, 'TCP', null, 61000, 1000, true, false],
    ])
    expect(c.skipped).toEqual([])
    expect(accountedLines(c)).toBe(total)
  })

  it('is detected as its own format, not as the dynamic range', () => {
    for (const name of ['en-administered.txt', 'de-administered.txt']) expect(detectFormat(fixture(name))?.parser.id).toBe('netsh-excludedportrange')
    const dynamic = 'Protocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n'
    expect(detectFormat(dynamic)?.parser.id).toBe('netsh-dynamicport')
    expect(parser.detect('Proto  Local Address          Foreign Address        State\r\n  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING\r\n')).toBe(0)
  })

  it('reads an empty list (no exclusions) without records or skips', () => {
    const text = 'Protocol udp Port Exclusion Ranges\n\nStart Port    End Port\n----------    --------\n\n* - Administered port exclusions.\n'
    const {c, ranges} = parse(text)
    expect(ranges).toEqual([])
    expect(c.skipped).toEqual([])
  })
})
