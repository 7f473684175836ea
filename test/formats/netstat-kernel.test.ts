import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {sniffEncoding} from '../../src/input/encoding.js'
import {ByteLineSplitter, lineDecoder} from '../../src/input/lines.js'
import {Utf8Normalizer} from '../../src/input/normalize.js'
import {K_FALLBACK, K_OK, K_REJECT, KERNEL_WASM, NetstatKernel} from '../../src/formats/netstat/kernel.js'
import {AddressTable} from '../../src/model/address-table.js'
import {type Collected, CollectingSink} from '../../src/formats/shared/collect.js'
import {netstatParser} from '../../src/formats/netstat/index.js'
import {NetstatRowReader} from '../../src/formats/netstat/row.js'
import {newConnection} from '../../src/formats/shared/records.js'
import {fleetDocument, inspectInputs, runFleet} from '../../src/pipeline.js'
import type {ConnectionRecord, LineParser} from '../../src/formats/types.js'

const ROOT = new URL('../../', import.meta.url).pathname
const REAL = join(ROOT, '../shared/corpus/real/netstat')
const decode = lineDecoder('utf-8')

/** Runs `make` with the kernel switched on or off (PORTLEAK_KERNEL, read when a reader is made). */
function withKernel<T>(on: boolean, make: () => T): T {
  const was = process.env.PORTLEAK_KERNEL
  process.env.PORTLEAK_KERNEL = on ? 'wasm' : 'js'
  try {
    return make()
  } finally {
    if (was === undefined) delete process.env.PORTLEAK_KERNEL
    else process.env.PORTLEAK_KERNEL = was
  }
}

/** The netstat parser's whole output on UTF-8 bytes fed in chunks of `chunk` bytes, through the byte path. */
function parseBytes(bytes: Buffer, chunk: number, kernel: boolean, ids: boolean): Collected {
  const sink = new CollectingSink()
  const table = ids ? new AddressTable() : undefined
  const lp = withKernel(kernel, () => netstatParser.create(sink, {path: 'x', decodeBytes: decode, addressIds: table}))
  const splitter = new ByteLineSplitter(lp as LineParser & {lineBytes: NonNullable<LineParser['lineBytes']>}, sink, 64 * 1024, decode)
  for (let o = 0; o < bytes.length; o += chunk) splitter.push(bytes.subarray(o, Math.min(bytes.length, o + chunk)))
  splitter.end()
  // The record copies hold each table's own ids; what they name is compared.
  for (const r of sink.result.records) if (r.kind === 'connection') Object.assign(r, {localAddrId: undefined, remoteAddrId: undefined, memoEntry: undefined, memoAux: undefined})
  return sink.result
}

/** A file's bytes as the input layer hands them to parsers (UTF-8, BOM dropped). */
function utf8Of(path: string): Buffer {
  const raw = readFileSync(path)
  const sniffed = sniffEncoding(raw.subarray(0, 4096))
  const n = new Utf8Normalizer(sniffed.encoding)
  return Buffer.concat([n.push(raw.subarray(sniffed.bomLength)), n.end()])
}

const octet = fc.oneof(fc.nat(255).map(String), fc.constantFrom('010', '256', '999', '00'))
const ipv4 = fc.oneof(
  fc.tuple(octet, octet, octet, octet).map((p) => p.join('.')),
  fc.constantFrom('0.0.0.0', '127.0.0.1', '1.2.3', '1.2.3.4.5', '255.255.255.255', '1000.1.1.1', '1.2.3.4444', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4a', '100.100.100.1000'),
)
const ipv6 = fc.constantFrom('[::]', '[::1]', '[fe80::f5d1:8bf7:c410:e325%64]', '[2001:db8::17]', '[fe80::asda:4124%11]', '[zz::1]', '[]', 'fe80::1')
const host = fc.constantFrom('DESKTOP-1', 'localhost', 'server.example.com', '12345', 'ÄÖÜ-host')
const port = fc.oneof(
  fc.nat(70_000).map(String),
  fc.constantFrom('0', '*', 'https', '', '1234567890', '-1', '080', '0000080', '1234567', '12345678', '123456789', '12a4', '4443\u00e9', '65536'),
)
const endpoint = fc.oneof(
  {arbitrary: fc.tuple(fc.oneof(ipv4, ipv6, host), port).map(([a, p]) => `${a}:${p}`), weight: 12},
  {arbitrary: fc.constantFrom('*:*', '*', ':80', 'x', '[::1]80', '1.2.3.4'), weight: 1},
)
const state = fc.constantFrom(
  'LISTENING', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'BOUND', 'SYN_SENT', 'SYN_RECEIVED', 'FIN_WAIT_1', 'LAST_ACK', 'CLOSED', 'DELETE_TCB',
  'listening', 'Established', 'TIMEWAIT', 'ABHÖREN', 'ABHREN', 'ABH™REN', 'ABHxREN', 'abhXren', 'ABHXYZREN', 'HERGESTELLT', 'WARTEND',
  'ÉCOUTE', 'ÉTABLI', 'IN ASCOLTO', 'ATTESA  TEMPO', 'SYN\tGESENDET', 'ÚLTIMO_ACK', 'ultimo_ack', 'ESCUCHANDO', 'BOGUS_STATE', 'TIME_WAIT\u0001',
)
// Long blank runs put rows past 64 and 128 bytes (the kernel splits shorter lines by masks of 64 bytes).
const gap = fc.constantFrom(' ', '  ', '    ', '\t', ' \t ', '        ', ' '.repeat(27), ' '.repeat(45))
const pid = fc.oneof(fc.nat(99_999).map(String), fc.constantFrom('', '0', '4', '1234567890', '12a'))
const tcpRow = fc.tuple(fc.constantFrom('', '  ', '\t'), endpoint, endpoint, state, pid, gap, gap, fc.option(fc.constantFrom('extra', 'x y z'), {nil: undefined}))
  .map(([lead, l, r, s, p, g1, g2, more]) => `${lead}TCP${g1}${l}${g2}${r}${g1}${s}${g2}${p}${more ? ` ${more}` : ''}`.trimEnd())
const udpRow = fc.tuple(endpoint, fc.constantFrom('*:*', '[::]:*'), pid, gap)
  .map(([l, r, p, g]) => `  UDP${g}${l}${g}${r}${g}${p}`.trimEnd())
const other = fc.constantFrom(
  '', 'Active Connections', '  Proto  Local Address          Foreign Address        State           PID', ' [svchost.exe]', '  RpcSs',
  ' Can not obtain ownership information', 'Tue 03/10/2023 14:05:12.34', '10.03.2023 14:06:12,00', 'TCP', 'UDP ', 'junk line here',
)
const line = fc.oneof({arbitrary: tcpRow, weight: 8}, {arbitrary: udpRow, weight: 2}, {arbitrary: other, weight: 2})
/** A document whose rows often repeat the row before's addresses (the kernel's last-address cache). */
const document = fc.tuple(fc.array(line, {maxLength: 60}), fc.nat(20), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([lines, dup, nl, trailing]) => {
    const all = lines.flatMap((l, i) => (i % (dup + 1) === 0 ? [l, l] : [l]))
    return all.join(nl) + (trailing ? nl : '')
  })

describe('netstat row kernel', () => {
  it('is built by npm install (dist/kernel/netstat.wasm) and loads', () => {
    expect(existsSync(KERNEL_WASM), 'run npm run build:kernel').toBe(true)
    expect(withKernel(true, () => NetstatKernel.create())).not.toBeNull()
    expect(withKernel(false, () => NetstatKernel.create())).toBeNull()
  })

  it('reads a row from staged bytes, rejects a cut one and leaves a word it cannot read to JavaScript', () => {
    const k = withKernel(true, () => NetstatKernel.create())!
    // A state word with other characters (UTF-8) is read when the table has it as written or in capitals
    // (`ABHÖREN`, `Établi`); JavaScript's toUpperCase is left the others (`écoute`).
    const rows = [
      '  TCP    10.0.0.5:49152         93.184.216.34:443      ESTABLISHED     4242',
      '  TCP    10.0.0.5:49152',
      '  TCP    0.0.0.0:135  0.0.0.0:0  écoute  4',
      '  TCP    0.0.0.0:135  0.0.0.0:0  ABHÖREN  4',
      '  TCP    10.0.0.5:49153  10.0.0.9:445  Établi  4',
    ]
    const buf = Buffer.from(rows.join('\n'))
    k.stage(buf)
    let at = 0
    const answers = rows.map((r) => {
      const from = buf.indexOf('TCP', at)
      at += Buffer.byteLength(r) + 1
      return k.parseRow(from, at - 1)
    })
    expect(answers).toEqual([K_OK, K_REJECT, K_FALLBACK, K_OK, K_OK])
    const whole = Buffer.from([rows[0], rows[2], rows[3], rows[4]].join('\r\n') + '\r\n')
    const read = parseBytes(whole, 1 << 20, true, false)
    expect(read).toEqual(parseBytes(whole, 1 << 20, false, false))
    expect(read.records.map((r) => (r as ConnectionRecord).state)).toEqual(['ESTABLISHED', 'LISTENING', 'LISTENING', 'ESTABLISHED'])
    // Offsets past its memory trap inside the kernel: the row is left to JavaScript, nothing is thrown.
    expect(k.parseRow(2 ** 30, 2 ** 30 + 40)).toBe(K_FALLBACK)
    k.stage(buf)
    expect(k.parseRow(buf.indexOf('TCP'), Buffer.byteLength(rows[0]!))).toBe(K_OK)
  })

  it('reads an address that begins like the one before it as itself (the kernel keeps the last one read)', () => {
    // Each address is the one before it cut short or grown by a digit: equal in their first bytes.
    const quads = ['10.0.0.15', '10.0.0.1', '10.0.0.10', '10.0.0.1', '1.2.3.45', '1.2.3.4', '1.2.3.44', '1.2.3.4', '192.168.100.20', '192.168.100.2']
    const text = quads.map((q, i) => `  TCP    ${q}:${49152 + i}   ${quads[quads.length - 1 - i]}:443   ESTABLISHED   ${100 + i}`).join('\r\n') + '\r\n'
    for (const ids of [false, true]) {
      const bytes = Buffer.from(text)
      const got = parseBytes(bytes, 1 << 20, true, ids)
      expect(got).toEqual(parseBytes(bytes, 1 << 20, false, ids))
      const rows = got.records.filter((r) => r.kind === 'connection')
      expect(rows.map((r) => (r as ConnectionRecord).localAddr)).toEqual(quads)
      expect(rows.map((r) => (r as ConnectionRecord).remoteAddr)).toEqual([...quads].reverse())
    }
  })

  test.prop([fc.array(fc.tuple(fc.oneof(tcpRow, udpRow), fc.boolean()), {maxLength: 40}), fc.boolean()], {numRuns: 200})(
    'reads every row exactly as the JavaScript reader does (addresses, ids, states, PIDs, rejects)',
    (rows, ids) => {
      const table = [new AddressTable(), new AddressTable()]
      const readers = [false, true].map((on, i) => withKernel(on, () => new NetstatRowReader(decode, ids ? table[i] : undefined)))
      for (const [row, renumber] of rows) {
        const buf = Buffer.from(row)
        const start = buf.indexOf(row.trimStart().slice(0, 3))
        const out = readers.map((reader, i) => {
          reader.stage(buf)
          const rec: ConnectionRecord = {...newConnection(), localAddrId: -1, remoteAddrId: -1}
          const ok = reader.read(buf, start, buf.length, decode, rec)
          reader.stage(null)
          // Ids are compared through the values they name; a rejected row's record is left as it is.
          const t = table[i]!
          if (!ok) return {ok}
          return {ok, ...rec, localAddrId: ids ? t.value(rec.localAddrId!) : null, remoteAddrId: ids ? t.value(rec.remoteAddrId!) : null}
        })
        expect(out[1]).toEqual(out[0])
        if (renumber && ids) {
          // A compaction between rows: both readers follow it.
          for (const t of table) t.compact(0)
          for (const r of readers) r.followAddresses()
        }
      }
    },
  )

  test.prop([document, fc.integer({min: 1, max: 200}), fc.boolean()], {numRuns: 100})(
    'gives the parser the same rows, skips, snapshots and notes as the JavaScript reader however the bytes are cut',
    (text, chunk, ids) => {
      const bytes = Buffer.from(text)
      expect(parseBytes(bytes, chunk, true, ids)).toEqual(parseBytes(bytes, chunk, false, ids))
    },
  )

  const files = [
    ...readdirSync(join(ROOT, 'corpus/netstat')).filter((f) => f.endsWith('.txt')).map((f) => join(ROOT, 'corpus/netstat', f)),
    ...(existsSync(REAL) ? readdirSync(REAL).map((f) => join(REAL, f)) : []),
  ]
  it.each(files)('parses %s the same with the kernel and without, in any chunking (shared files skipped when ../shared is absent)', (file) => {
    const bytes = utf8Of(file)
    const js = parseBytes(bytes, 1 << 20, false, true)
    expect(js.records.length).toBeGreaterThan(0)
    for (const chunk of [1 << 20, 4096, 97]) expect(parseBytes(bytes, chunk, true, true)).toEqual(js)
  })

  it.each(files)('gives byte-identical inspect and analyze JSON for %s with the kernel and without', async (file) => {
    const json = async (on: boolean) => {
      const was = process.env.PORTLEAK_KERNEL
      process.env.PORTLEAK_KERNEL = on ? 'wasm' : 'js'
      try {
        const fleet = await runFleet([file], {})
        return JSON.stringify([await inspectInputs([file], {}), fleetDocument(fleet) ?? fleet.machines[0]!.analysis.document])
      } finally {
        if (was === undefined) delete process.env.PORTLEAK_KERNEL
        else process.env.PORTLEAK_KERNEL = was
      }
    }
    const js = await json(false)
    expect(js).toMatch(/"records":[1-9]/)
    expect(await json(true)).toBe(js)
  })
})
