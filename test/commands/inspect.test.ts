import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {Ajv2020} from 'ajv/dist/2020.js'
import {describe, expect, it} from 'vitest'

import Inspect from '../../src/commands/inspect.js'
import type {InspectDocument} from '../../src/pipeline.js'
import {tempFiles} from '../helpers/run.js'
import {zipBuffer} from '../helpers/zip.js'
import {restoreProcessAfterEach} from '../helpers/commands.js'

const config = await Config.load(import.meta.url)
const LEAK = 'corpus/netstat/loop-en-us-anobq-bound-leak.txt'
const JUNK = 'corpus/netstat/loop-junk-truncated.txt'
const schema = JSON.parse(readFileSync(new URL('../../docs/schema/inspect-1.schema.json', import.meta.url), 'utf8'))
const validInspect = new Ajv2020({allErrors: true, strict: false}).compile(schema)

type Failure = Error & {code?: string; oclif?: {exit?: number}; suggestions?: string[]}

/** Runs the command in-process; `exit` is the status the binary would end with (oclif's handler or process.exitCode). */
async function inspect(argv: string[]) {
  process.exitCode = undefined
  const out = await captureOutput<InspectDocument | undefined>(() => Inspect.run(argv, config))
  const error = out.error as Failure | undefined
  const exit = error ? (error.oclif?.exit ?? 1) : Number(process.exitCode ?? 0)
  process.exitCode = undefined
  return {...out, error, exit}
}

const missingPath = () => join(tmpdir(), `portleak-missing-${randomBytes(4).toString('hex')}.txt`)
const INPUT_FIELDS = [
  'path', 'format', 'encoding', 'bytes', 'sha256', 'lines', 'snapshots', 'truncatedSnapshots', 'timeRange', 'dateOrder',
  'dateOrderSource', 'records', 'byProto', 'byState', 'byKind', 'skipped', 'skippedByReason', 'skippedExamples', 'notes', 'error',
]

restoreProcessAfterEach()

describe('inspect --json', () => {
  it('prints exactly one portleak/inspect@1 document with the documented fields', async () => {
    const {stdout, stderr, result, exit} = await inspect([LEAK, '--json'])
    expect(exit).toBe(0)
    const doc = JSON.parse(stdout)
    expect(doc).toEqual(JSON.parse(JSON.stringify(result)))
    expect(doc.schema).toBe('portleak/inspect@1')
    expect(validInspect(doc), JSON.stringify(validInspect.errors?.slice(0, 3))).toBe(true)
    expect(doc.inputs).toHaveLength(1)
    const [s] = doc.inputs
    expect(Object.keys(s).sort()).toEqual([...INPUT_FIELDS].sort())
    expect(s).toMatchObject({
      path: LEAK,
      format: 'netstat',
      encoding: 'utf-8',
      bytes: readFileSync(LEAK).length,
      snapshots: 40,
      timeRange: {start: '2023-03-10T08:55:00.000'},
      dateOrder: 'mdy',
      byProto: {TCP: expect.any(Number), UDP: expect.any(Number)},
      byState: {BOUND: expect.any(Number), LISTENING: expect.any(Number)},
      skipped: 0,
      notes: {view: 'netstat -anobq'},
      error: null,
    })
    expect(s.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(stderr).toBe('')
  })

  it('reports skipped lines by reason with examples', async () => {
    const {stdout} = await inspect([JUNK, '--json'])
    const [s] = JSON.parse(stdout).inputs
    expect(s).toMatchObject({skipped: 5, skippedByReason: {ping: 4, truncated: 1}, truncatedSnapshots: 1})
    expect(s.skippedExamples[0]).toEqual({line: 186, reason: 'ping', text: 'Pinging 1.1.1.1 with 32 bytes of data:'})
  })

  it('prints an error object on stdout and exits 2 for a missing file', async () => {
    const missing = missingPath()
    const {stdout, exit} = await inspect([missing, '--json'])
    const doc = JSON.parse(stdout)
    expect(doc).toEqual({
      error: expect.objectContaining({code: 'ENOENT', message: `${missing}: no such file or directory`, suggestions: ['Check the path.']}),
    })
    expect(exit).toBe(2)
  })
})

describe('inspect', () => {
  it('names the format, encoding, snapshots and time range in human output', async () => {
    const {stdout, exit} = await inspect([LEAK])
    expect(exit).toBe(0)
    expect(stdout).toContain(`${LEAK}\n  format netstat, encoding utf-8, 1.4 MB, 29,025 lines, netstat -anobq\n`)
    expect(stdout).toContain('  snapshots 40: 2023-03-10T08:55:00.000 → ')
    expect(stdout).toContain('  skipped 0 lines')
    expect(stdout).not.toMatch(/^\s*\{/)
  })

  it('names every skipped line reason and quotes examples with their line numbers', async () => {
    const {stdout} = await inspect([JUNK])
    expect(stdout).toContain('  skipped 5 lines: ping 4, truncated 1\n')
    expect(stdout).toContain('    line 186 ping: "Pinging 1.1.1.1 with 32 bytes of data:"')
    expect(stdout).toContain('    line 1015 truncated: "  TCP    10.0.0.5:49404         10.0.0.20:445          TI"')
    expect(stdout).toContain('snapshots 8, 1 truncated')
  })

  it('shows --date-order and --tz in the printed times', async () => {
    const {stdout} = await inspect([LEAK, '--date-order', 'dmy', '--tz', '+01:00'])
    expect(stdout).toContain('snapshots 40: 2023-10-03T08:55:00.000+01:00 → 2023-10-03T09:34:13.410+01:00, date order dmy (flag)')
    const json = await inspect([LEAK, '--date-order', 'dmy', '--tz', '+01:00', '--json'])
    expect(JSON.parse(json.stdout).inputs[0]).toMatchObject({
      dateOrder: 'dmy',
      dateOrderSource: 'flag',
      timeRange: {start: '2023-10-03T08:55:00.000+01:00', end: '2023-10-03T09:34:13.410+01:00'},
    })
  })

  it('resolves an IANA --tz at each time (CET in March)', async () => {
    const {stdout} = await inspect([LEAK, '--tz', 'Europe/Berlin', '--json'])
    expect(JSON.parse(stdout).inputs[0].timeRange.start).toBe('2023-03-10T08:55:00.000+01:00')
  })

  it('fails with exit 2 and a one-line message naming a missing file, without a stack trace', async () => {
    const missing = missingPath()
    const {error, stdout, exit} = await inspect([missing])
    expect(exit).toBe(2)
    expect(error?.message).toBe(`${missing}: no such file or directory`)
    expect(error?.code).toBe('ENOENT')
    expect(error?.suggestions).toEqual(['Check the path.'])
    expect(stdout).toBe('')
  })

  it('fails with exit 1 when no input is in a supported format', async () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64)])
    const [shot, empty] = tempFiles({'shot.png': png, 'z-empty.txt': ''})
    const {error, exit} = await inspect([shot!, empty!])
    expect(exit).toBe(1)
    expect(error?.message).toBe(`${shot}: binary data, not a supported text format: pass the text output of netstat, handle, wevtutil or Volatility`)
    expect(error?.message).not.toContain('\n')
  })

  it('succeeds when one input is readable, listing the others as not read', async () => {
    const [notes, loop] = tempFiles({'a-notes.txt': 'Customer says it happens every night.\r\n', 'b.txt': readFileSync(JUNK)})
    const {stdout, exit} = await inspect([notes!, loop!])
    expect(exit).toBe(0)
    expect(stdout).toContain(`${notes}\n  not read: not a recognised format (starts with "Customer says it happens every night.")`)
    expect(stdout).toContain(`${loop}\n  format netstat`)
  })

  it('lists archive entries as archive!entry', async () => {
    const zip = await zipBuffer([{name: 'logs/netstat.txt', data: readFileSync(JUNK)}, {name: 'logs/readme.md', data: '# upload\n'}])
    const [file] = tempFiles({'upload.zip': zip})
    const {stdout, exit} = await inspect([file!])
    expect(exit).toBe(0)
    expect(stdout).toContain(`${file}!logs/netstat.txt\n  format netstat, encoding utf-8, 74.4 kB, 1,015 lines`)
    expect(stdout).toContain(`${file}!logs/readme.md\n  not read: not a recognised format (starts with "# upload")`)
  })

  it('warns on stderr about an input read only in part', async () => {
    const gz = gzipSync(readFileSync(LEAK))
    const [cut] = tempFiles({'netstat.txt.gz': gz.subarray(0, Math.floor(gz.length / 2))})
    const {stdout, stderr, exit} = await inspect([cut!])
    expect(exit).toBe(0)
    expect(stderr).toContain(`${cut}: `)
    expect(stderr).toMatch(/results are partial/)
    expect(stdout).toMatch(/warning: .*results are partial/)
  })

  it('rejects an unknown --format, --encoding and --date-order with exit 2', async () => {
    const format = await inspect([LEAK, '--format', 'syslog'])
    expect([format.exit, format.error?.message]).toEqual([2, "unknown format 'syslog'"])
    const encoding = await inspect([LEAK, '--encoding', 'klingon-1'])
    expect([encoding.exit, encoding.error?.message]).toEqual([2, "unknown encoding 'klingon-1'"])
    const order = await inspect([LEAK, '--date-order', 'myd'])
    expect(order.exit).toBe(2)
    expect(order.error?.message).toMatch(/myd/)
    const tz = await inspect([LEAK, '--tz', 'Mars/Olympus'])
    expect([tz.exit, tz.error?.message]).toEqual([2, "unknown time zone 'Mars/Olympus'"])
  })

  it('reads a forced --encoding and --format', async () => {
    const {stdout} = await inspect(['corpus/netstat/loop-de-cp850.txt', '--encoding', 'cp850', '--format', 'netstat', '--json'])
    expect(JSON.parse(stdout).inputs[0]).toMatchObject({format: 'netstat', encoding: 'cp850', byState: {LISTENING: expect.any(Number)}})
  })

  it('leaves no SIGINT listener behind once it has finished', async () => {
    const before = process.listeners('SIGINT').length
    await inspect([JUNK])
    expect(process.listeners('SIGINT').length).toBe(before)
  })
})
