import {readFileSync} from 'node:fs'
import {Readable} from 'node:stream'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {PortleakError} from '../../src/errors.js'
import {inspectInputs, runAnalysis} from '../../src/pipeline.js'
import {HEADER, ONE_LINE, inspectPieces, netstat, row, tempTree} from './helpers.js'

const BAD = fileURLToPath(new URL('../../corpus/bad/', import.meta.url))
const bad = (name: string) => readFileSync(`${BAD}${name}`)

describe('a file of NUL bytes', () => {
  it('is named as binary data, not a supported text format, in one line', async () => {
    const dir = tempTree({'netstat.txt': Buffer.alloc(256 * 1024)})
    const [s] = (await inspectInputs([dir], {})).inputs
    expect(s).toMatchObject({format: null, records: 0, error: expect.stringMatching(/^binary data, not a supported text format: pass the text output of /)})
  })

  it('fails the analysis with a format error naming the file', async () => {
    const dir = tempTree({'netstat.txt': Buffer.alloc(4096)})
    const error = await runAnalysis([dir], {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PortleakError)
    expect(error).toMatchObject({code: 'EFORMAT', message: expect.stringMatching(/netstat\.txt: binary data/)})
    expect((error as Error).message).toMatch(ONE_LINE)
  })

  it('counts a NUL block left by a crash as one skipped line and keeps the rows before it', async () => {
    const s = await inspectPieces([bad('netstat-nul-tail.txt')])
    const clean = await inspectPieces([bad('netstat-nul-tail.txt').subarray(0, -4096)])
    expect(s).toMatchObject({format: 'netstat', error: null, records: clean.records, snapshots: clean.snapshots})
    expect(s.lines).toBe(clean.lines + 1)
    expect(s.skipped).toBe(clean.skipped + 1)
    // `binary` is the better reason (see the hardening report); `junk` is what the parser says today.
    expect(['binary', 'junk']).toContain(s.skippedExamples.at(-1)!.reason)
    expect(s.skippedExamples.at(-1)!.line).toBe(s.lines)
  })

  it('keeps reading rows that follow a NUL block', async () => {
    const bytes = Buffer.concat([Buffer.from(netstat(2)), Buffer.alloc(5000), Buffer.from(`\r\n${row(50010)}`)])
    const s = await inspectPieces([bytes])
    expect(s).toMatchObject({format: 'netstat', records: 3, skipped: 1, error: null})
  })
})

describe('invalid UTF-8', () => {
  const lines = (b: Buffer) => b.toString('latin1').split('\n').length

  it('reads a UTF-8 file with bytes that are not UTF-8 through a code page, every line and row kept', async () => {
    const bytes = bad('netstat-invalid-utf8.txt')
    const s = await inspectPieces([bytes])
    expect(s).toMatchObject({format: 'netstat', encoding: 'cp850', records: 5, skipped: 0, lines: lines(bytes) - 1, error: null})
    const a = await runAnalysis([`${BAD}netstat-invalid-utf8.txt`], {})
    const names = a.document.processes.map((p) => p.name)
    expect(names).toContain('cafÚ.exe')
  })

  it('decodes bad bytes after the sniffed head as U+FFFD and still reads the row they are in', async () => {
    const head = Buffer.from(`Tue 03/14/2023 10:00:00.00 \r\n${netstat(900)}`)
    expect(head.length).toBeGreaterThan(64 * 1024)
    const tail = Buffer.concat([
      Buffer.from(`  TCP    10.0.0.5:51000         10.0.0.9:443           ESTABLISHED     4400\r\n [caf`),
      Buffer.from([0xe9, 0xff, 0xc3]),
      Buffer.from(`.exe]\r\n${row(51001)}`),
    ])
    // The first piece is exactly the 64 KiB sample: the sniffer sees ASCII only.
    const bytes = Buffer.concat([head, tail])
    const pieces = () => [bytes.subarray(0, 64 * 1024), bytes.subarray(64 * 1024)]
    const s = await inspectPieces(pieces())
    expect(s).toMatchObject({format: 'netstat', encoding: 'utf-8', records: 902, skipped: 0, error: null})
    const a = await runAnalysis(['-'], {stdin: () => Readable.from(pieces())})
    expect(a.document.processes.map((p) => p.name)).toContain('caf\uFFFD\uFFFD\uFFFD.exe')
  })

  // Regression (was a bug in src/input/ingest.ts parseInput → sniffEncoding(head)): the head holds every chunk read up
  // to 64 KiB, so a file read in 256 KiB chunks is sniffed on 256 KiB and stdin in 64 KiB chunks on 64 KiB.
  it('sniffs the same encoding however the bytes arrive', async () => {
    const head = Buffer.from(netstat(900))
    const owner = Buffer.from(`${row(51000, 'ESTABLISHED', 4400)} [caf\xe9.exe]\r\n`, 'latin1')
    const bytes = Buffer.concat([head, owner])
    const whole = await inspectPieces([bytes])
    const cut = await inspectPieces([bytes.subarray(0, 64 * 1024), bytes.subarray(64 * 1024)])
    expect(cut.encoding).toBe(whole.encoding)
  })
})

describe('malformed rows', () => {
  const broken = '  TCP    10.0.0.5:50100         10.0.0.9:443           ESTABLISHED     43x2'

  it('counts every malformed row as skipped and keeps the rows around them', async () => {
    const s = await inspectPieces([Buffer.from(`${netstat(3)}${`${broken}\r\n`.repeat(50)}${row(50200)}`)])
    expect(s).toMatchObject({format: 'netstat', records: 4, skipped: 50, skippedByReason: {malformed: 50}, error: null})
  })

  // Regression (was a known bug, found by `npm run fuzz`, seed 777 case 3470): on the byte path a malformed
  // row's example was decoded from the start of the chunk, so it quoted earlier lines and depended on chunking.
  it('quotes a malformed row by itself, whatever the chunking', async () => {
    const bytes = Buffer.from(`${netstat(3)}${broken}\r\n${row(50200)}`)
    for (const pieces of [[bytes], [bytes.subarray(0, 200), bytes.subarray(200)]]) {
      const s = await inspectPieces(pieces)
      expect(s.skippedExamples).toEqual([{line: 8, reason: 'malformed', text: broken}])
    }
  })
})

describe('rows before the first stamp', () => {
  // Regression: `npm run fuzz` seed 3 case 133 crashed the aggregator (TypeError in ephemeralByAddress)
  // when the first row of a snapshot had the local address of the last row of the one before.
  it('analyzes a header-less row, a stamp and another row without an internal error', async () => {
    const text = `${row(50004)}14/03/2023  8:02:00.00 \r\n${row(50002, 'ESTABLISHED', 2200)}`
    const a = await runAnalysis(['-'], {stdin: () => Readable.from([Buffer.from(text)])})
    expect(a.document.inputs[0]).toMatchObject({format: 'netstat', records: 2, error: null})
  })
})

describe('files that end in the middle of something', () => {
  it('flags a loop that ends mid-row: the cut row skipped as truncated, the snapshot marked', async () => {
    const s = await inspectPieces([bad('netstat-ends-mid-row.txt')])
    expect(s).toMatchObject({format: 'netstat', snapshots: 3, truncatedSnapshots: 1, skippedByReason: {truncated: 1}, error: null})
    expect(s.skippedExamples[0]).toMatchObject({line: s.lines, reason: 'truncated'})
  })

  it('keeps the last row of a file that ends between CR and LF', async () => {
    const bytes = bad('netstat-ends-mid-crlf.txt')
    expect(bytes.at(-1)).toBe(13)
    const whole = await inspectPieces([Buffer.concat([bytes, Buffer.from('\n')])])
    const s = await inspectPieces([bytes])
    expect(s).toMatchObject({format: 'netstat', records: whole.records, lines: whole.lines, skipped: 0, error: null})
  })

  it('reads a UTF-16LE file cut after half a code unit up to its last whole character', async () => {
    const bytes = bad('netstat-utf16le-odd-length.txt')
    expect(bytes.length % 2).toBe(1)
    const whole = await inspectPieces([Buffer.concat([bytes, Buffer.from([0])])])
    for (const cut of [1, bytes.length - 1, bytes.length - 2, Math.floor(bytes.length / 2) | 1]) {
      const s = await inspectPieces([bytes.subarray(0, cut), bytes.subarray(cut)])
      expect(s).toMatchObject({format: 'netstat', encoding: 'utf-16le', records: whole.records, lines: whole.lines, error: null})
    }
  })

  it('reads a UTF-16LE row cut inside its PID without crashing and keeps the rows before it', async () => {
    const stamp = (m: number) => `Tue 03/14/2023 10:0${m}:00.00 \r\n`
    const text = `\ufeff${stamp(0)}${netstat(3)}${stamp(1)}${netstat(3)}${row(51000).slice(0, -4)}`
    const bytes = Buffer.from(text, 'utf16le')
    const s = await inspectPieces([bytes.subarray(0, -1)])
    expect(s).toMatchObject({format: 'netstat', snapshots: 2, truncatedSnapshots: 1, error: null})
    expect(s.records).toBeGreaterThanOrEqual(6)
  })

  // Regression (was a known bug): truncation was only considered with more than one snapshot, so a
  // one-snapshot capture cut inside the PID of its last row gave a row with a wrong PID, unflagged.
  it('flags a one-snapshot capture cut inside its last PID', async () => {
    const s = await inspectPieces([Buffer.from(netstat(2) + row(51000, 'ESTABLISHED', 4312).slice(0, -4))])
    expect(s.truncatedSnapshots + (s.skippedByReason.truncated ?? 0)).toBeGreaterThan(0)
  })
})

describe('mixed encodings in one file (two loops appending to one log)', () => {
  // Offsets where the second encoding starts: the first NUL byte is the high byte of the first UTF-16 unit.
  const ansiThenUtf16 = bad('netstat-ansi-then-utf16le.txt')
  const split1 = ansiThenUtf16.indexOf(0) - 1
  const utf16ThenAnsi = bad('netstat-utf16le-then-ansi.txt')
  const split2 = utf16ThenAnsi.lastIndexOf(0) + 1

  it('reads the ANSI loop and counts every line of the appended UTF-16LE loop', async () => {
    const ansi = await inspectPieces([ansiThenUtf16.subarray(0, split1)])
    const utf16 = await inspectPieces([ansiThenUtf16.subarray(split1)])
    expect(ansi).toMatchObject({format: 'netstat', encoding: 'cp850', error: null})
    expect(utf16).toMatchObject({format: 'netstat', encoding: 'utf-16le', error: null})
    const s = await inspectPieces([ansiThenUtf16])
    expect(s).toMatchObject({format: 'netstat', encoding: 'cp850', error: null})
    // Decoded as cp850, the high byte of the UTF-16 part's last LF is one more (NUL) line.
    expect(s.lines).toBeGreaterThanOrEqual(ansi.lines + utf16.lines)
    expect(s.records).toBeGreaterThanOrEqual(ansi.records)
    expect(s.byState.CLOSE_WAIT).toBeGreaterThanOrEqual(ansi.byState.CLOSE_WAIT!)
  })

  it('reads the UTF-16LE loop and the appended ANSI loop, and notes where the encoding changes', async () => {
    const utf16 = await inspectPieces([utf16ThenAnsi.subarray(0, split2)])
    const s = await inspectPieces([utf16ThenAnsi])
    expect(s).toMatchObject({format: 'netstat', encoding: 'utf-16le', error: null})
    expect(s.records).toBeGreaterThan(utf16.records)
    expect(s.notes.encodingSwitches).toMatch(/^cp850 at byte \d+$/)
  })

  // Regression (was: one encoding per input, so the UTF-16LE part was skipped as junk).
  it('reads the rows of a UTF-16LE loop appended to an ANSI log', async () => {
    const ansi = await inspectPieces([ansiThenUtf16.subarray(0, split1)])
    const utf16 = await inspectPieces([ansiThenUtf16.subarray(split1)])
    const s = await inspectPieces([ansiThenUtf16])
    expect({records: s.records, snapshots: s.snapshots}).toEqual({
      records: ansi.records + utf16.records,
      snapshots: ansi.snapshots + utf16.snapshots,
    })
  })

  // Regression (was: decoded as UTF-16LE, the ANSI part collapsed into one line).
  it('counts every line of an ANSI loop appended to a UTF-16LE log', async () => {
    const utf16 = await inspectPieces([utf16ThenAnsi.subarray(0, split2)])
    const ansi = await inspectPieces([utf16ThenAnsi.subarray(split2)])
    const s = await inspectPieces([utf16ThenAnsi])
    expect(s.lines).toBe(utf16.lines + ansi.lines)
  })

  it('never throws on a header in one encoding and rows in another', async () => {
    const bytes = Buffer.concat([Buffer.from(HEADER), Buffer.from(netstat(20), 'utf16le'), Buffer.from(row(50100))])
    const s = await inspectPieces([bytes])
    expect(s.error).toBeNull()
    expect(s.lines).toBeGreaterThan(0)
  })
})
