import {Readable} from 'node:stream'

import {fc, test} from '@fast-check/vitest'
import iconv from 'iconv-lite'
import {describe, expect} from 'vitest'

import {ingest} from '../../src/input/ingest.js'
import type {InputSummary} from '../../src/model/types.js'
import {accountedLines, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {netstatParser} from '../../src/formats/netstat/index.js'
import {inspectInputs} from '../../src/pipeline.js'
import {type LoopScenario, stampLine} from '../../src/synth/loop.js'
import {loopText} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'

const RUNS = {numRuns: 50}

/** Parses and checks the accounting contract; returns what was collected. */
function parseAccounted(text: string) {
  const c = parseText(netstatParser, text)
  expect(accountedLines(c)).toBe(splitLines(text).lines.length)
  return c
}

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'))
const ipv6 = fc.constantFrom('[::]', '[::1]', '[fe80::f5d1:8bf7:c410:e325%64]', '[2001:db8::17]')
const port = fc.oneof(fc.nat(65535).map(String), fc.constantFrom('0', '*', 'https'))
const endpoint = fc.tuple(fc.oneof(ipv4, ipv6, fc.constant('0.0.0.0')), port).map(([a, p]) => `${a}:${p}`)
const state = fc.constantFrom(
  'LISTENING', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'BOUND', 'SYN_SENT', 'FIN_WAIT_2', 'LAST_ACK',
  'ABHÖREN', 'HERGESTELLT', 'WARTEND', 'ÉCOUTE', 'IN ASCOLTO', 'ESCUCHANDO', 'BOGUS_STATE',
)
const pad = (s: string, w: number) => (s.length >= w ? `${s}  ` : s.padEnd(w))
const tcpRow = fc.tuple(endpoint, endpoint, state, fc.option(fc.nat(99_999), {nil: undefined}))
  .map(([l, r, s, pid]) => `  ${pad('TCP', 7)}${pad(l, 23)}${pad(r, 23)}${pad(s, 16)}${pid ?? ''}`.trimEnd())
const udpRow = fc.tuple(endpoint, fc.option(fc.nat(99_999), {nil: undefined}))
  .map(([l, pid]) => `  ${pad('UDP', 7)}${pad(l, 23)}${pad('*:*', 23)}${''.padEnd(16)}${pid ?? ''}`.trimEnd())
const cutRow = fc.tuple(tcpRow, fc.nat(80)).map(([r, n]) => r.slice(0, n))
const stamp = fc.oneof(
  fc.tuple(fc.date({min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true}),
    fc.constantFrom('en-US', 'en-GB', 'de', 'iso') as fc.Arbitrary<LoopScenario['dateStyle']>)
    .map(([d, style]) => stampLine(d, style)),
  fc.constantFrom('Friday, March 10, 2023 8:55:00 AM', '10.03.2023 08:55:00', '2023/3/9 오후 10:31:36', '99/99/9999 99:99:99.99'),
)
const structure = fc.constantFrom(
  '', '   ', 'Active Connections', 'Aktive Verbindungen', 'アクティブな接続',
  '  Proto  Local Address          Foreign Address        State           PID',
  '  Proto  Lokale Adresse         Remoteadresse          Status           PID',
  '  Protocole  Adresse locale         Adresse distante       État',
  ' [svchost.exe]', '  RpcSs', ' Can not obtain ownership information', ' [System]', '=====',
)
const junk = fc.constantFrom(
  'C:\\>netstat -ano', 'PS C:\\Users\\admin> Get-Date', '...', '[snip]', '…', '... output truncated ...',
  'Pinging 1.1.1.1 with 32 bytes of data:', 'Request timed out.', 'Ping statistics for 1.1.1.1:',
  'ECHO is off.', 'The system cannot find the path specified.', 'TCP', 'UDP ', 'TCP    :', 'TCP    a b c d e f g h i j',
  '\u0000\u0001\u0002', '\uFEFFActive Connections', 'x'.repeat(300),
)
const anyLine = fc.oneof(
  {arbitrary: tcpRow, weight: 6},
  {arbitrary: udpRow, weight: 2},
  {arbitrary: cutRow, weight: 1},
  {arbitrary: stamp, weight: 2},
  {arbitrary: structure, weight: 3},
  {arbitrary: junk, weight: 2},
  {arbitrary: fc.string({unit: 'binary', maxLength: 60}), weight: 1},
)
const document = fc.tuple(fc.array(anyLine, {maxLength: 80}), fc.constantFrom('\n', '\r\n', '\r\r\n'), fc.boolean())
  .map(([lines, nl, trailing]) => lines.join(nl) + (trailing && lines.length > 0 ? nl : ''))

describe('netstat parser (properties)', () => {
  test.prop([fc.string()], RUNS)('never throws on arbitrary text and accounts for every line', (text) => {
    parseAccounted(text)
  })

  test.prop([fc.string({unit: 'binary', maxLength: 400})], RUNS)('never throws on arbitrary Unicode, controls included', (text) => {
    parseAccounted(text)
  })

  test.prop([document], RUNS)('accounts for every line of documents mixing rows, stamps, owners and junk', (text) => {
    const c = parseAccounted(text)
    const lines = splitLines(text).lines
    for (const r of c.records) {
      expect(r.kind).toBe('connection')
      expect(lines[r.line - 1]).toMatch(/^[ \t]*(TCP|UDP)[ \t]/)
    }
    for (const s of c.skipped) expect(s.line).toBeGreaterThanOrEqual(1)
    expect(new Set(c.skipped.map((s) => s.line)).size).toBe(c.skipped.length)
  })

  test.prop([document, document], RUNS)('gives every snapshot a time or null, one per snapshot', (a, b) => {
    const c = parseAccounted(`${a}\r\n${b}`)
    for (const s of c.snapshots) expect(s.time === null || Number.isFinite(s.time)).toBe(true)
    const rows = c.records.length
    if (rows > 0) expect(c.snapshots.length).toBeGreaterThan(0)
  })
})

/** Bytes cut at `cuts` (any order, duplicates give empty chunks), as a stream delivering exactly those chunks. */
function piecesOf(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...cuts].map((c) => c % (bytes.length + 1)).sort((a, b) => a - b)
  const out: Buffer[] = []
  let start = 0
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(start, c))
    start = c
  }
  return out
}

async function inspectPieces(pieces: readonly Buffer[]): Promise<InputSummary> {
  const doc = await inspectInputs(['-'], {stdin: () => Readable.from(pieces)})
  expect(doc.inputs).toHaveLength(1)
  return doc.inputs[0]!
}

const withBom = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])

// Each input is bigger than the 64 KiB detection head, so cuts land in the streamed body too.
const INPUTS: readonly [string, string, () => Buffer][] = [
  ['en-US -anobq loop, CRLF, UTF-8', 'utf-8', () => Buffer.from(loopText({...SCENARIOS.boundLeak, snapshots: 8}), 'utf8')],
  [
    'German loop, LF, UTF-8 (ABHÖREN is two bytes)',
    'utf-8',
    () => Buffer.from(loopText({...SCENARIOS.germanLoop, snapshots: 30, newline: '\n'}), 'utf8'),
  ],
  ['German loop, CRLF, cp850', 'cp850', () => iconv.encode(loopText({...SCENARIOS.germanLoop, snapshots: 30}), 'cp850')],
  ['en-US loop, CRLF, UTF-16LE with BOM', 'utf-16le', () => withBom(loopText({...SCENARIOS.healthy, dateStyle: 'en-US'}))],
]

describe('input layer + netstat parser: chunk boundaries', () => {
  for (const [name, encoding, make] of INPUTS) {
    const bytes = make()
    let whole: Promise<InputSummary> | undefined
    const single = () => (whole ??= inspectPieces([bytes]))

    test.prop([fc.array(fc.nat({max: bytes.length}), {maxLength: 24})], RUNS)(
      `gives the same summary however the bytes are cut: ${name}`,
      async (cuts) => {
        const expected = await single()
        expect(bytes.length).toBeGreaterThan(64 * 1024)
        expect(expected).toMatchObject({format: 'netstat', encoding, error: null})
        expect(expected.byState.LISTENING).toBeGreaterThan(0)
        expect(expected.records).toBeGreaterThan(0)
        const got = await inspectPieces(piecesOf(bytes, cuts))
        expect({
          records: got.records,
          byState: got.byState,
          byProto: got.byProto,
          snapshots: got.snapshots,
          timeRange: got.timeRange,
          skipped: got.skipped,
        }).toEqual({
          records: expected.records,
          byState: expected.byState,
          byProto: expected.byProto,
          snapshots: expected.snapshots,
          timeRange: expected.timeRange,
          skipped: expected.skipped,
        })
        expect(got).toEqual(expected)
      },
    )
  }

  // Over-long lines: whether a line is skipped as too-long must not depend on where the chunks end.
  const longLines = (() => {
    const lines = loopText({...SCENARIOS.boundLeak, snapshots: 8}).split('\r\n')
    for (const [at, n] of [[40, 900], [400, 1001], [800, 2500], [1200, 6000]] as const) lines.splice(at, 0, `junk ${'x'.repeat(n - 5)}`)
    return Buffer.from(lines.join('\r\n'), 'utf8')
  })()
  const withCap = async (pieces: readonly Buffer[]) =>
    (await ingest(['-'], {maxLineLength: 1000, stdin: () => Readable.from(pieces)}, () => null))[0]!
  let wholeCapped: Promise<InputSummary> | undefined

  test.prop([fc.array(fc.nat({max: longLines.length}), {maxLength: 24})], RUNS)(
    'skips the same over-long lines however the bytes are cut',
    async (cuts) => {
      const expected = await (wholeCapped ??= withCap([longLines]))
      expect(await withCap(piecesOf(longLines, cuts))).toEqual(expected)
      expect(expected.skippedByReason['too-long']).toBe(3)
    },
  )
})
