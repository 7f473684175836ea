import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {accountedLines, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {filetimeToWallTime, netshTraceParser} from '../../src/formats/netsh/trace.js'
import {eventSymptom} from '../../src/formats/events/index.js'
import {formatWallTime} from '../../src/formats/shared/timestamps.js'
import type {EventRecord} from '../../src/formats/types.js'

const fixture = (name: string) => readFileSync(new URL(`../../corpus/netsh-trace/${name}`, import.meta.url), 'utf8')

function parse(text: string) {
  const c = parseText(netshTraceParser, text)
  const events = c.records.filter((r): r is Extract<typeof r, {kind: 'event'}> => r.kind === 'event')
  return {c, events, total: splitLines(text).lines.length}
}

const brief = (e: EventRecord) => [e.line, e.id, e.pid, e.time === null ? null : formatWallTime(e.time)]

describe('netsh-trace', () => {
  it('emits the AFD failures of a netsh trace convert dump and counts the other events as structure', () => {
    const {c, events, total} = parse(fixture('netsh-convert-afd.txt'))
    expect(events.map(brief)).toEqual([
      [4, 521, 3948, '2023-03-10T14:05:12.340'],
      [7, 521, 6944, '2023-03-10T14:05:13.012'],
      [9, 521, 6944, '2023-03-10T14:05:13.500'],
    ])
    expect(new Set(events.map((e) => e.source))).toEqual(new Set(['Microsoft-Windows-Winsock-AFD']))
    expect(new Set(events.map(eventSymptom))).toEqual(new Set(['afd-too-many-addresses']))
    expect(events[0]!.message).toMatch(/^bind: 0 \(0x0\): Process 0xFFFFB58B2D3C5080, .*Status 0xC0000209$/)
    // socket, TCPIP (another provider), close with `Seq 521 (0x209)`, packet capture, the cut-off last bind.
    expect(c.structureLines).toBe(1 + 5)
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([
      [1, 'echo'],
      [10, 'junk'],
    ])
    expect(c.notes.view).toBe('txt')
    expect(accountedLines(c)).toBe(total)
  })

  it('reads head lines with indented fields, taking the pid from a Process ID field', () => {
    const {c, events, total} = parse(fixture('netsh-convert-blocks.txt'))
    expect(events.map(brief)).toEqual([
      [1, 521, 6944, '2023-03-10T14:05:13.100'],
      [8, 521, 3948, '2023-03-13T09:00:00.000'],
      [12, 521, 3948, '2023-03-13T09:00:01.000'],
    ])
    expect(events[0]!.message).toContain('Address: 10.20.30.40:443')
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[11, 'elision']])
    expect(c.notes.dateOrder).toBe('mdy (evidence)')
    expect(accountedLines(c)).toBe(total)
  })

  it('reads tracerpt CSV: FILETIME clock, hex PID, status among the user data', () => {
    const {c, events, total} = parse(fixture('tracerpt-afd.csv'))
    expect(events.map(brief)).toEqual([
      [4, 521, 3948, '2023-03-10T14:05:12.340'],
      [7, 521, 6944, '2023-03-10T14:05:13.500'],
    ])
    expect(events[0]!.level).toBe('Information')
    expect(events[0]!.message).toBe(
      'Microsoft-Windows-Winsock-AFD/Info (event 1027): 1, 1022, 0xFFFFB58B2D3C5080, 0xFFFFB58B31F7A010, 0.0.0.0:0, 7010, 0xC0000209',
    )
    // header, EventTrace header event, create, close (521 as a plain number), TCPIP, successful bind
    expect(c.structureLines).toBe(6)
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[9, 'malformed']])
    expect(c.notes.view).toBe('csv')
    expect(accountedLines(c)).toBe(total)
  })

  it('reads a tracerpt row whose quoted user data runs over two lines', () => {
    const [header, , , create] = fixture('tracerpt-afd.csv').split('\r\n')
    const split = create!.replace('"0.0.0.0:0"', '"0.0.0.0:0\r\nsecond line"')
    const {c, events, total} = parse([header, split, ''].join('\r\n'))
    expect(events.map((e) => [e.line, e.pid])).toEqual([[2, 3948]])
    expect(events[0]!.message).toContain('0.0.0.0:0\nsecond line, 7010, 0xC0000209')
    expect(accountedLines(c)).toBe(total)
  })

  it('marks a tracerpt row cut at the end of the input as truncated', () => {
    const text = fixture('tracerpt-afd.csv').trimEnd()
    const {c} = parse(text)
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[9, 'truncated']])
  })

  it('accepts the status as written by each renderer, and only in a status or error field', () => {
    const line = (msg: string) => `[0]0F6C.1A2C::2023-03-10 14:05:12.3400000 [Microsoft-Windows-Winsock-AFD]${msg}`
    const hits = (msg: string) => parse(line(msg)).events.length
    expect(hits('bind: Status 0x209')).toBe(1)
    expect(hits('bind: Status: 0x00000209')).toBe(1)
    expect(hits('bind: status=0xc0000209')).toBe(1)
    expect(hits('bind: Status STATUS_TOO_MANY_ADDRESSES')).toBe(1)
    expect(hits('connect completed: Error 521 (0x209)')).toBe(1)
    expect(hits('bind: Seq 521 (0x209), Status Success (0x0)')).toBe(0)
    expect(hits('bind: Address 0.0.0.0:521, Status 0x0')).toBe(0)
    expect(parse(line('bind: Status 0x209').replace('Winsock-AFD', 'TCPIP')).events).toEqual([])
  })

  it('converts FILETIME ticks and refuses raw (non-wall-clock) timestamps', () => {
    expect(formatWallTime(filetimeToWallTime('133229307123400000')!)).toBe('2023-03-10T14:05:12.340')
    expect(filetimeToWallTime('4395123456789')).toBeNull()
    expect(filetimeToWallTime('0x1D9535C')).toBeNull()
  })
})

describe('netsh-trace detect', () => {
  it('is confident on every layout it reads', () => {
    for (const f of readdirSync(new URL('../../corpus/netsh-trace/', import.meta.url))) {
      expect(netshTraceParser.detect(fixture(f)), f).toBeGreaterThanOrEqual(0.8)
    }
  })

  it('scores event exports and other captures low', () => {
    for (const f of readdirSync(new URL('../../corpus/tcpip-events/', import.meta.url))) {
      const text = readFileSync(new URL(`../../corpus/tcpip-events/${f}`, import.meta.url), 'utf8')
      expect(netshTraceParser.detect(text), f).toBeLessThan(0.5)
    }
    const netstat =
      '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n' +
      '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1016\r\n'
    const csv = 'Name,PID,Clock,Data\r\nx,0x10,133229307123400000,1\r\n'
    const vol = '0x7e25c8\tTCPv4\t0.0.0.0\t135\t0.0.0.0\t0\tLISTENING\t4231\tsvchost.exe\t2023-03-10 14:05:12 UTC\r\n'
    for (const s of [netstat, csv, vol, '[snip]\r\n', '[0] item\r\n']) {
      expect(netshTraceParser.detect(s)).toBeLessThan(0.5)
    }
  })

  const real = new URL('../../../shared/corpus/real/', import.meta.url)
  describe.skipIf(!existsSync(real))('on the real samples (none is a trace)', () => {
    it('scores every one low', () => {
      for (const dir of readdirSync(real, {withFileTypes: true}).filter((d) => d.isDirectory())) {
        for (const f of readdirSync(new URL(`${dir.name}/`, real))) {
          const text = readFileSync(new URL(`${dir.name}/${f}`, real), 'utf8').slice(0, 65536)
          expect(netshTraceParser.detect(text), `${dir.name}/${f}`).toBeLessThan(0.5)
        }
      }
    })
  })
})
