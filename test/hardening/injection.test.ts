import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {afterEach, describe, expect, it} from 'vitest'

import Analyze from '../../src/commands/analyze.js'
import Export from '../../src/commands/export.js'
import Inspect from '../../src/commands/inspect.js'
import Report from '../../src/commands/report.js'
import {runAnalysis} from '../../src/pipeline.js'
import {inert, inertDeep, inertJson} from '../../src/report/escape.js'
import {exportTables, toCsv, toJsonl} from '../../src/report/export.js'
import {renderHtml} from '../../src/report/html.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {loopText} from '../helpers/run.js'
import {tempTree} from './helpers.js'

const config = await Config.load(import.meta.url)

/** What must never leave the process raw: C0 but tab/LF, DEL, C1, bidi controls, U+2028/2029. */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
/** Window title (OSC 0), clipboard write (OSC 52), clear screen, an 8-bit CSI, a bidi override, a line separator. */
const NASTY = '\u001b]0;owned\u0007\u001b]52;c;ZWNobyBoaQ==\u0007\u001b[2J\u009b31m\u202eexe.lave\u2028x'
const FAKE = 'HEALTHY: no port exhaustion and no leaking process found'

/** A clear BOUND leak (verdict not healthy), so any HEALTHY line in the output is forged. */
const leak = () =>
  loopText({
    seed: 3,
    snapshots: 20,
    interval: 60,
    start: new Date(Date.UTC(2023, 2, 10, 8, 0, 0)),
    dateStyle: 'iso',
    owners: true,
    bound: true,
    processes: [
      {pid: 4312, name: `agent${NASTY}.exe`, behaviour: {kind: 'leak', state: 'BOUND', perHour: 9000}},
      {pid: 5000, name: `evil\n${FAKE}`, behaviour: {kind: 'leak', state: 'CLOSE_WAIT', perHour: 600}},
    ],
  })

/** A Volatility 3 netscan CSV whose quoted Owner holds a line break and a fake verdict. */
const netscan = [
  'Volatility 3 Framework 2.11.0',
  'TreeDepth,Offset,Proto,LocalAddr,LocalPort,ForeignAddr,ForeignPort,State,PID,Owner,Created',
  `0,0xc40f8e2ac830,TCPv4,0.0.0.0,8443,0.0.0.0,0,LISTENING,4312,"java.exe\n${FAKE}",N/A`,
  `0,0xc40f8e2ac831,TCPv4,10.0.0.5,50000,10.0.0.9,443,ESTABLISHED,4313,"x${NASTY}",N/A`,
  '',
].join('\r\n')

function hostileFolder(): string {
  return tempTree({
    'loop.txt': leak(),
    'netscan.csv': netscan,
    [`netstat${NASTY}.txt\n${FAKE}`]: leak(),
    'unknown.txt': `${NASTY} not a capture\r\nsecond line\r\n`,
  })
}

type Failure = Error & {oclif?: {exit?: number}}

async function run(cmd: typeof Analyze | typeof Inspect | typeof Report | typeof Export, argv: string[]) {
  process.exitCode = undefined
  const out = await captureOutput(() => cmd.run(argv, config))
  process.exitCode = undefined
  return {...out, error: out.error as Failure | undefined}
}

const lines = (text: string) => text.split('\n')
/** CSV records end in CRLF (RFC 4180): that CR is the format's, not a value's. */
const records = (csv: string) => csv.replace(/\r\n/g, '\n')

afterEach(() => {
  for (const s of ['SIGINT', 'SIGTERM'] as const) for (const l of process.listeners(s)) process.off(s, l)
})

describe('inert output: no input string drives the terminal or forges a line', () => {
  it('shows control, C1, bidi and line-break characters as visible escapes', () => {
    expect(inert('a\u001b[2Jb\u009bc\u202ed\ne\rf\tg\u2028h\u007f')).toBe('a\\x1b[2Jb\\x9bc\\u202ed\\ne\\rf\\tg\\u2028h\\x7f')
    expect(inert('C:\\Users\\x y.txt é')).toBe('C:\\Users\\x y.txt é')
    const json = inertJson(JSON.stringify({s: NASTY}))
    expect(json).not.toMatch(RAW)
    expect(JSON.parse(json)).toEqual({s: NASTY})
    const typed = new Int32Array([1])
    const deep = inertDeep({a: [`x${NASTY}`], t: typed, n: 1})
    expect(deep.a[0]).not.toMatch(RAW)
    expect(deep.t).toBe(typed)
  })

  it('analyze and inspect print no raw escape and no forged verdict line', async () => {
    const dir = hostileFolder()
    const analyze = await run(Analyze, [dir])
    expect(analyze.error).toBeUndefined()
    const inspect = await run(Inspect, [dir])
    expect(inspect.error).toBeUndefined()
    for (const text of [analyze.stdout, analyze.stderr, inspect.stdout, inspect.stderr]) {
      expect(text).not.toMatch(RAW)
      expect(lines(text).filter((l) => /^\s*HEALTHY/.test(l))).toEqual([])
    }
    expect(analyze.stdout).toMatch(/^(EXHAUSTED|AT RISK)/)
    // The escapes are shown, not dropped: a reader sees what was there.
    expect(inspect.stdout).toContain('\\x1b]0;owned\\x07')
    expect(inspect.stdout).toContain('\\u202e')
  })

  it('JSON output stays JSON with the same values and no raw C1 or bidi character', async () => {
    const dir = hostileFolder()
    const {stdout, result} = await run(Analyze, [dir, '--json'])
    expect(stdout).not.toMatch(RAW)
    expect(JSON.parse(stdout)).toEqual(JSON.parse(JSON.stringify(result)))
    expect(stdout).toContain('\\u202e')
  })

  it('the "not a recognised format" error shows the first line inert, in every command', async () => {
    const file = join(tempTree({'x.txt': `${NASTY}\r\nmore\r\n`}), 'x.txt')
    const out = tempTree({})
    const runs = [
      await run(Analyze, [file]),
      await run(Inspect, [file]),
      await run(Report, [file, '-o', join(out, 'r.md')]),
      await run(Export, [file, '--to', 'csv', '-o', join(out, 't')]),
    ]
    for (const r of runs) {
      expect(r.error?.message).toMatch(/not a recognised format/)
      expect(r.error!.message).not.toMatch(RAW)
      expect(r.error!.message).not.toContain('\n')
      expect(r.stderr).not.toMatch(RAW)
    }
  })

  it('HTML, markdown, CSV and JSON Lines files carry no raw escape', async () => {
    const dir = hostileFolder()
    const analysis = await runAnalysis([dir], {})
    const html = renderHtml(analysis, {})
    const md = renderMarkdown(analysis, {})
    const tables = exportTables(analysis)
    for (const text of [html, md, ...Object.values(tables).flatMap((t) => [records(toCsv(t)), toJsonl(t)])]) expect(text).not.toMatch(RAW)
    expect(html).toContain('\\x1b]0;owned')
    // A value never starts a line of its own in the markdown or the CSV.
    for (const text of [md, toCsv(tables.findings)]) expect(lines(text).filter((l) => l.startsWith('HEALTHY'))).toEqual([])
  })

  it('report and export write files without raw escapes through the commands', async () => {
    const dir = hostileFolder()
    const out = tempTree({})
    expect((await run(Report, [dir, '-o', join(out, 'r.html')])).error).toBeUndefined()
    expect((await run(Export, [dir, '--to', 'csv', '-o', join(out, 'csv')])).error).toBeUndefined()
    const files = [join(out, 'r.html'), ...readdirSync(join(out, 'csv')).map((f) => join(out, 'csv', f))]
    expect(files.length).toBeGreaterThan(3)
    for (const f of files) expect(records(readFileSync(f, 'utf8')), f).not.toMatch(RAW)
  })
})
