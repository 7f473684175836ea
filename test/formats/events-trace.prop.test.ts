import {readdirSync, readFileSync} from 'node:fs'
import {fc, test} from '@fast-check/vitest'
import Papa from 'papaparse'
import {describe, expect} from 'vitest'

import {accountedLines, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {netshTraceParser} from '../../src/formats/netsh/trace.js'
import {tcpipEventsParser} from '../../src/formats/events/index.js'
import type {Parser} from '../../src/formats/types.js'

/** Every line of the fixtures of a format: the pieces random inputs are built from. */
function fixtureLines(id: string): string[] {
  const dir = new URL(`../../corpus/${id}/`, import.meta.url)
  return readdirSync(dir).flatMap((f) => splitLines(readFileSync(new URL(f, dir), 'utf8')).lines)
}

const eventLines = fixtureLines('tcpip-events')
const traceLines = fixtureLines('netsh-trace')
const oddLines = [
  ...['', '   ', '"', '""', '...', '[snip]', 'PS C:\\> dir', '<Event>', '</Event>', 'Event[3]:', 'Description:'],
  ...['\t\t', ',,,,,', 'Event Xml:', 'Log Name: x', 'Id : 5', 'TimeCreated : 1/1/2023 1:00:00 PM'],
]

const cut = (pool: string[]) =>
  fc.tuple(fc.constantFrom(...pool), fc.nat()).map(([l, n]) => l.slice(0, n % (l.length + 1)))

const line = (pool: string[]) =>
  fc.oneof(
    {weight: 6, arbitrary: fc.constantFrom(...pool)},
    {weight: 2, arbitrary: fc.constantFrom(...oddLines)},
    {weight: 1, arbitrary: fc.string({maxLength: 40})},
    // A fixture line cut anywhere, as a truncated export would leave it.
    {weight: 2, arbitrary: cut(pool)},
  )

const document = (pool: string[]) =>
  fc.record({
    lines: fc.array(line(pool), {maxLength: 60}),
    eol: fc.constantFrom('\n', '\r\n'),
    final: fc.boolean(),
    dateOrder: fc.constantFrom(undefined, 'dmy' as const, 'mdy' as const),
  })

type Doc = {lines: string[]; eol: string; final: boolean; dateOrder?: 'dmy' | 'mdy'}

function checkAccounting(parser: Parser, doc: Doc) {
  const text = doc.lines.join(doc.eol) + (doc.final && doc.lines.length > 0 ? doc.eol : '')
  const total = splitLines(text).lines.length
  const c = parseText(parser, text, doc.dateOrder ? {dateOrder: doc.dateOrder} : {})
  expect(accountedLines(c)).toBe(total)
  const skipped = new Set(c.skipped.map((s) => s.line))
  expect(skipped.size).toBe(c.skipped.length)
  for (const r of c.records) {
    expect(r.line).toBeGreaterThanOrEqual(1)
    expect(r.line).toBeLessThanOrEqual(total)
    expect(skipped.has(r.line)).toBe(false)
  }
}

describe('tcpip-events properties', () => {
  test.prop([document(eventLines)])('accounts for every line exactly once and never throws', (doc) => {
    checkAccounting(tcpipEventsParser, doc)
  })

  const unit = fc.constantFrom('a', ' ', ',', '"', '\n', 'é', '\t')
  const messages = fc.array(fc.string({unit}), {minLength: 1, maxLength: 8})

  test.prop([messages])(
    'round-trips messages written by a CSV writer',
    (messages) => {
      const time = (i: number) => `3/14/2023 9:${String(10 + i).padStart(2, '0')}:00 AM`
      const data = messages.map((m, i) => ['Warning', time(i), 'Tcpip', '4231', 'None', m])
      const csv = 'Level,Date and Time,Source,Event ID,Task Category\r\n' + Papa.unparse(data, {newline: '\r\n'})
      const c = parseText(tcpipEventsParser, csv)
      expect(c.records.map((r) => (r.kind === 'event' ? r.message : null))).toEqual(messages.map((m) => m.trim()))
      expect(accountedLines(c)).toBe(splitLines(csv).lines.length)
    },
  )

  const samples = fc.oneof(fc.string(), fc.array(line(eventLines)).map((l) => l.join('\r\n')))

  test.prop([samples])('detect is total and within 0..1', (s) => {
    const p = tcpipEventsParser.detect(s)
    expect(p).toBeGreaterThanOrEqual(0)
    expect(p).toBeLessThanOrEqual(1)
  })
})

describe('netsh-trace properties', () => {
  const docs = document([...traceLines, ...eventLines.slice(0, 20)])

  test.prop([docs])('accounts for every line exactly once and never throws', (doc) => {
    checkAccounting(netshTraceParser, doc)
  })

  const samples = fc.oneof(fc.string(), fc.array(line(traceLines)).map((l) => l.join('\n')))

  test.prop([samples])('detect is total and within 0..1', (s) => {
    const p = netshTraceParser.detect(s)
    expect(p).toBeGreaterThanOrEqual(0)
    expect(p).toBeLessThanOrEqual(1)
  })
})
