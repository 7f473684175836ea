import {createHash, randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {Readable} from 'node:stream'
import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {ingest, type IngestOptions} from '../../src/input/ingest.js'
import type {InputSummary} from '../../src/model/types.js'
import {inspectInputs} from '../../src/pipeline.js'
import {tempFiles} from '../helpers/run.js'
import {zipBuffer} from '../helpers/zip.js'

const HEADER = '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n'
const row = (port: number, state = 'ESTABLISHED', pid = 4312) =>
  `  TCP    10.0.0.5:${port}         10.0.0.9:443           ${state.padEnd(16)}${pid}\r\n`
/** A one-snapshot `netstat -ano` capture with `rows` rows. */
const netstat = (rows: number, first = 49700) => HEADER + Array.from({length: rows}, (_, i) => row(first + i)).join('')

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')
const read = (args: string[], o: IngestOptions = {}) => ingest(args, o, () => null)
const byPath = (inputs: readonly InputSummary[], suffix: string) => {
  const s = inputs.find((i) => i.path.endsWith(suffix))
  if (!s) throw new Error(`no input ending in ${suffix}: ${inputs.map((i) => i.path).join(', ')}`)
  return s
}

/** Writes a tree of files (names may contain `/`) into a fresh temp folder; returns the folder. */
function tempTree(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'portleak-ingest-'))
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name)
    mkdirSync(dirname(path), {recursive: true})
    writeFileSync(path, content)
  }
  return dir
}

describe('ingest: sources', () => {
  it('walks a directory recursively and lists its entries sorted by name, a folder\'s contents in its place', async () => {
    const dir = tempTree({
      'b/netstat-2.txt': netstat(2),
      'a.txt': netstat(1),
      'b/c/deep.txt': netstat(3),
      'b-x.txt': netstat(4),
    })
    const inputs = await read([dir])
    const paths = inputs.map((i) => i.path.slice(dir.length + 1))
    expect(paths).toEqual(['a.txt', 'b/c/deep.txt', 'b/netstat-2.txt', 'b-x.txt'].map((p) => join(p)))
    expect(inputs.map((i) => i.records)).toEqual([1, 3, 2, 4])
    expect(inputs.every((i) => i.format === 'netstat' && i.error === null)).toBe(true)
  })

  it('gives the same summaries whatever order the inputs are named in, listed in that order', async () => {
    const [a, b] = tempFiles({'one.txt': netstat(1), 'two.txt': netstat(2)})
    const forward = await read([a!, b!])
    expect(forward.map((i) => i.path)).toEqual([a, b])
    expect(await read([b!, a!])).toEqual([forward[1], forward[0]])
  })

  it('reads stdin from the stdin option as <stdin>', async () => {
    const text = netstat(5)
    const inputs = await read(['-'], {stdin: () => Readable.from([Buffer.from(text.slice(0, 100)), Buffer.from(text.slice(100))])})
    expect(inputs).toHaveLength(1)
    expect(inputs[0]).toMatchObject({path: '<stdin>', format: 'netstat', records: 5, bytes: text.length, sha256: sha256(text), error: null})
  })

  it('rejects a path that does not exist with a usage error naming it', async () => {
    const missing = join(tmpdir(), `portleak-missing-${randomBytes(4).toString('hex')}.txt`)
    await expect(inspectInputs([missing], {})).rejects.toMatchObject({code: 'ENOENT', message: `${missing}: no such file or directory`})
  })
})

describe('ingest: byte counts and hashes', () => {
  it('reports the SHA-256 and size of each file as read', async () => {
    const text = netstat(7)
    const [file] = tempFiles({'netstat.txt': text})
    const [s] = (await inspectInputs([file!], {})).inputs
    expect(s).toMatchObject({bytes: Buffer.byteLength(text), sha256: sha256(text), records: 7, byState: {ESTABLISHED: 7}, byProto: {TCP: 7}})
  })

  it('hashes the raw bytes, BOM and UTF-16 included', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(netstat(3), 'utf16le')])
    const [file] = tempFiles({'netstat.txt': bytes})
    const [s] = (await inspectInputs([file!], {})).inputs
    expect(s).toMatchObject({encoding: 'utf-16le', bytes: bytes.length, sha256: sha256(bytes), records: 3})
  })
})

describe('ingest: forced options', () => {
  it('reads a file with a byte order mark the same with a forced encoding', async () => {
    const text = `Fri 03/10/2023  8:55:00.00 \r\n${netstat(2)}`
    const [u8, u16] = tempFiles({
      'u8.txt': `\uFEFF${text}`,
      'u16.txt': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
    })
    const one = async (file: string, encoding?: string) => (await inspectInputs([file], {encoding})).inputs[0]!
    const sniffed = [await one(u8!), await one(u16!)]
    expect([await one(u8!, 'utf-8'), await one(u16!, 'utf-16le')]).toEqual(sniffed)
    expect(sniffed.map((s) => [s.records, s.skipped, s.timeRange?.start])).toEqual([
      [2, 0, '2023-03-10T08:55:00.000'],
      [2, 0, '2023-03-10T08:55:00.000'],
    ])
  })

  it('parses with the forced format even when detection would pick none', async () => {
    const [file] = tempFiles({'rows.txt': row(50001).trim()})
    const [s] = (await inspectInputs([file!], {format: 'netstat'})).inputs
    expect(s).toMatchObject({format: 'netstat', records: 1})
  })
})

describe('ingest: line endings and long lines', () => {
  it('splits mixed CRLF, LF and doubled-CR line ends the same way', async () => {
    const text =
      'Active Connections\n\r\n  Proto  Local Address          Foreign Address        State           PID\n' +
      row(50001).replace('\r\n', '\n') +
      row(50002) +
      row(50003).replace('\r\n', '\r\r\n') +
      row(50004).replace('\r\n', '')
    const [file] = tempFiles({'mixed.txt': text})
    const [s] = (await inspectInputs([file!], {})).inputs
    expect(s).toMatchObject({format: 'netstat', lines: 7, records: 4, skipped: 0})
  })

  // UTF-8 goes through the byte splitter (netstat has a byte fast path), UTF-16 through the text splitter.
  const encode = (text: string, encoding: 'utf-8' | 'utf-16le') =>
    encoding === 'utf-8' ? Buffer.from(text, 'utf8') : Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])

  for (const encoding of ['utf-8', 'utf-16le'] as const) {
    it(`skips a 2 MB single line as too-long and goes on parsing the lines after it (${encoding})`, async () => {
      const text = `${netstat(2)}${'A'.repeat(2 * 1024 * 1024)}\r\n${row(50010)}${row(50011, 'TIME_WAIT', 0)}`
      const [file] = tempFiles({'long.txt': encode(text, encoding)})
      const [s] = await read([file!], {maxLineLength: 4096})
      expect(s).toMatchObject({format: 'netstat', encoding, lines: 9, records: 4, skipped: 1, skippedByReason: {'too-long': 1}})
      expect(s!.byState).toEqual({ESTABLISHED: 3, TIME_WAIT: 1})
      expect(s!.skippedExamples).toHaveLength(1)
      expect(s!.skippedExamples[0]).toMatchObject({line: 7, reason: 'too-long', text: expect.stringMatching(/^A{200}/)})
      expect(s!.skippedExamples[0]!.text.length).toBeLessThanOrEqual(201)
    })

    it(`skips a line over the cap even when it arrives whole in one chunk (${encoding})`, async () => {
      const text = `${netstat(2)}${'B'.repeat(5000)}\r\n${row(50010)}`
      const [file] = tempFiles({'long.txt': encode(text, encoding)})
      const [s] = await read([file!], {maxLineLength: 1000})
      expect(s).toMatchObject({encoding, lines: 8, records: 3, skipped: 1, skippedByReason: {'too-long': 1}})
    })
  }
})

describe('ingest: gzip', () => {
  it('reads gzip by its content, whatever the file is called', async () => {
    const text = netstat(6)
    const gz = gzipSync(Buffer.from(text))
    const files = tempFiles({'netstat.txt.gz': gz, 'netstat-really-gzip.txt': gz, 'plain.txt': text})
    const inputs = await read(files)
    expect(inputs).toHaveLength(3)
    for (const s of inputs) expect(s).toMatchObject({format: 'netstat', records: 6, lines: 10, error: null})
    // The summary describes the decompressed stream.
    expect(byPath(inputs, 'netstat-really-gzip.txt')).toMatchObject({bytes: text.length, sha256: sha256(text)})
  })

  it('reports a truncated gzip with an error and keeps the rows read before the cut', async () => {
    const gz = gzipSync(Buffer.from(netstat(3000)))
    const [file] = tempFiles({'cut.txt.gz': gz.subarray(0, Math.floor(gz.length * 0.6))})
    const [s] = await read([file!])
    expect(s!.format).toBe('netstat')
    expect(s!.records).toBeGreaterThan(0)
    expect(s!.records).toBeLessThan(3000)
    expect(s!.error).toMatch(/partial/)
  })
})

describe('ingest: zip', () => {
  it('reads entries in nested folders, names them archive!entry and reports them in path order', async () => {
    const zip = await zipBuffer([
      {name: 'logs/'},
      {name: 'logs/netstat.txt', data: netstat(4)},
      {name: 'logs/loop/2023-03-10/netstat-2.txt', data: netstat(2)},
      {name: 'logs/stored.txt', data: netstat(1), compress: false},
    ])
    const [file] = tempFiles({'upload.zip': zip})
    const inputs = await read([file!])
    expect(inputs.map((i) => i.path)).toEqual([
      `${file}!logs/loop/2023-03-10/netstat-2.txt`,
      `${file}!logs/netstat.txt`,
      `${file}!logs/stored.txt`,
    ])
    expect(inputs.map((i) => [i.format, i.records, i.error])).toEqual([
      ['netstat', 2, null],
      ['netstat', 4, null],
      ['netstat', 1, null],
    ])
    expect(inputs[1]).toMatchObject({bytes: Buffer.byteLength(netstat(4)), sha256: sha256(netstat(4))})
  })

  it('reads a zip inside a gzip and a zip inside a zip, one level deep', async () => {
    const inner = await zipBuffer([{name: 'netstat.txt', data: netstat(2)}])
    const outer = await zipBuffer([{name: 'inner.zip', data: inner}])
    const files = tempFiles({'outer.zip': outer, 'inner.zip.gz': gzipSync(inner)})
    const inputs = await read(files)
    expect(byPath(inputs, 'outer.zip!inner.zip!netstat.txt')).toMatchObject({format: 'netstat', records: 2})
    expect(byPath(inputs, 'inner.zip.gz!netstat.txt')).toMatchObject({format: 'netstat', records: 2})
  })

  it('uses hostile entry names as display names only and never writes a file', async () => {
    const tag = randomBytes(4).toString('hex')
    const up = `../portleak-evil-${tag}.txt`
    const abs = `/tmp/portleak-abs-${tag}.txt`
    const zip = await zipBuffer([
      {name: up, data: netstat(2)},
      {name: abs, data: netstat(3)},
      {name: `C:/Windows/portleak-${tag}.txt`, data: netstat(1)},
      {name: `esc\u001b[31m-${tag}.txt`, data: netstat(1)},
    ])
    const [file] = tempFiles({'upload.zip': zip})
    const dir = dirname(file!)
    const inputs = await read([file!])
    expect(inputs.map((i) => i.path)).toEqual([
      `${file}!${up}`,
      `${file}!${abs}`,
      `${file}!C:/Windows/portleak-${tag}.txt`,
      `${file}!esc?[31m-${tag}.txt`,
    ])
    expect(inputs.map((i) => i.records)).toEqual([2, 3, 1, 1])
    expect(readdirSync(dir)).toEqual(['upload.zip'])
    expect(existsSync(join(dir, up))).toBe(false)
    expect(existsSync(abs)).toBe(false)
    expect(existsSync(join(process.cwd(), up))).toBe(false)
  })

  it('reports an encrypted entry with an error and reads the entries after it', async () => {
    const zip = await zipBuffer([
      {name: 'secret/netstat.txt', data: netstat(3), encrypted: true},
      {name: 'netstat.txt', data: netstat(2)},
    ])
    const [file] = tempFiles({'upload.zip': zip})
    const inputs = await read([file!])
    expect(byPath(inputs, '!secret/netstat.txt')).toMatchObject({format: null, records: 0, error: expect.stringMatching(/encrypted/)})
    expect(byPath(inputs, '!netstat.txt')).toMatchObject({format: 'netstat', records: 2, error: null})
  })

  it('does not read an entry whose compression ratio looks like a zip bomb', async () => {
    const zip = await zipBuffer([
      {name: 'bomb.txt', data: Buffer.alloc(4 * 1024 * 1024)},
      {name: 'netstat.txt', data: netstat(2)},
    ])
    expect(zip.length).toBeLessThan(16 * 1024)
    const [file] = tempFiles({'upload.zip': zip})
    const inputs = await read([file!])
    expect(byPath(inputs, '!bomb.txt')).toMatchObject({format: null, bytes: 0, error: expect.stringMatching(/zip bomb; not read/)})
    expect(byPath(inputs, '!netstat.txt')).toMatchObject({format: 'netstat', records: 2})
  })

  it('applies the entry-size and entry-count limits it is given', async () => {
    const zip = await zipBuffer([
      {name: 'big.txt', data: netstat(200)},
      {name: 'a.txt', data: netstat(1)},
      {name: 'b.txt', data: netstat(1)},
    ])
    const [file] = tempFiles({'upload.zip': zip})
    const limits = {maxEntryBytes: 4096, maxTotalBytes: 1 << 30, maxRatio: 1000, maxEntries: 2, maxNestedBytes: 1 << 20}
    // Entries are kept in a fixed order (small first, then by name), whatever order the archive stores them in.
    const inputs = await read([file!], {limits})
    expect(byPath(inputs, '!a.txt')).toMatchObject({format: 'netstat', records: 1})
    expect(byPath(inputs, '!b.txt')).toMatchObject({format: 'netstat', records: 1})
    expect(inputs.some((i) => i.path.endsWith('!big.txt'))).toBe(false)
    expect(byPath(inputs, 'upload.zip').error).toMatch(/more than 2 entries/)
    const all = await read([file!], {limits: {...limits, maxEntries: 3}})
    expect(byPath(all, '!big.txt').error).toMatch(/over the 4096-byte limit/)
  })

  it('reports a truncated zip with an error', async () => {
    const zip = await zipBuffer([{name: 'logs/netstat.txt', data: netstat(500)}])
    const [file] = tempFiles({'upload.zip': zip.subarray(0, Math.floor(zip.length / 2))})
    const inputs = await read([file!])
    expect(inputs).toHaveLength(1)
    expect(inputs[0]).toMatchObject({path: file, format: null, error: expect.stringMatching(/not a readable zip archive.*truncated/)})
  })

  it('reports a damaged central directory as a damaged archive', async () => {
    const zip = await zipBuffer([
      {name: 'one.txt', data: netstat(2)},
      {name: 'two.txt', data: netstat(3)},
    ])
    const second = zip.lastIndexOf(Buffer.from('PK\u0001\u0002', 'latin1'))
    zip.write('XX', second, 'latin1')
    const [file] = tempFiles({'upload.zip': zip})
    const inputs = await read([file!])
    expect(byPath(inputs, 'upload.zip')).toMatchObject({format: null, error: expect.stringMatching(/^archive is damaged \(.+\)/)})
    expect(inputs.every((i) => i.format === null || i.records > 0)).toBe(true)
  })
})

describe('ingest: unsupported inputs', () => {
  const PNG = Buffer.concat([
    Buffer.from('89504e470d0a1a0a0000000d4948445200000020000000200806000000737a7af4', 'hex'),
    Buffer.from('0000001849444154789cedc1010d000000c2a0f74f6d0e37a00000000000000000', 'hex'),
    Buffer.alloc(64),
  ])

  it('names an empty file as empty', async () => {
    const [file] = tempFiles({'netstat.txt': ''})
    const [s] = (await inspectInputs([file!], {})).inputs
    expect(s).toMatchObject({format: null, bytes: 0, records: 0, error: expect.stringMatching(/^empty input: /)})
  })

  it('names a binary file as binary and not supported', async () => {
    const [file] = tempFiles({'screenshot.png': PNG})
    const [s] = (await inspectInputs([file!], {})).inputs
    expect(s).toMatchObject({format: null, records: 0, error: expect.stringMatching(/binary data, not a supported text format/)})
  })

  it('tells how to convert an .etl trace', async () => {
    const [file] = tempFiles({'NetTrace.etl': Buffer.concat([Buffer.from([0x00, 0x00, 0x01, 0x00]), randomBytes(2048)])})
    const [s] = (await inspectInputs([file!], {})).inputs
    expect(s!.format).toBeNull()
    expect(s!.error).toMatch(/netsh trace convert input=<file>\.etl/)
  })

  it('quotes the first line of an unknown text and suggests --format', async () => {
    const [file] = tempFiles({'notes.txt': 'Customer says the server stops accepting connections.\r\nReboot fixes it.\r\n'})
    const [s] = (await inspectInputs([file!], {})).inputs
    expect(s!.error).toBe(
      'not a recognised format (starts with "Customer says the server stops accepting connections."); pass --format if you know what it is',
    )
  })

  it('quotes the first line that says something when the text starts with blank lines', async () => {
    // PowerShell tables start with an empty line: `Group-Object OwningProcess` counts (no state) are not read.
    const [pids, blank] = tempFiles({
      'by-pid.txt': '\r\nCount Name\r\n----- ----\r\n16204 10684\r\n  312 4\r\n',
      'blank.txt': '\r\n\r\n   \r\n\t\r\n',
    })
    const [a, b] = (await inspectInputs([pids!, blank!], {})).inputs
    expect(a!.error).toBe('not a recognised format (starts with "Count Name"); pass --format if you know what it is')
    expect(b!.error).toMatch(/^blank lines only: the collection wrote nothing here/)
  })

  it('reads the supported inputs next to the unsupported ones', async () => {
    const files = tempFiles({'a.png': PNG, 'b.txt': netstat(2), 'c.txt': ''})
    const inputs = (await inspectInputs(files, {})).inputs
    expect(inputs.map((i) => i.format)).toEqual([null, 'netstat', null])
  })
})
