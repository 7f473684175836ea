import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {Ajv2020} from 'ajv/dist/2020.js'
import {describe, expect, it} from 'vitest'

import Analyze from '../../src/commands/analyze.js'
import type {AnalysisDocument} from '../../src/model/types.js'
import {loopText, tempFiles} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'
import {restoreProcessAfterEach} from '../helpers/commands.js'

const config = await Config.load(import.meta.url)
const LEAK = 'corpus/netstat/loop-en-us-anobq-bound-leak.txt'
const schema = JSON.parse(readFileSync(new URL('../../docs/schema/analysis-1.schema.json', import.meta.url), 'utf8'))
const validAnalysis = new Ajv2020({allErrors: true, strict: false}).compile(schema)
const DOCUMENT_FIELDS = [
  'schema', 'host', 'inputs', 'snapshots', 'timeRange', 'dynamicRange', 'verdict', 'processes', 'findings', 'attribution',
  'sampling', 'events', 'nextSteps', 'spans',
]

type Failure = Error & {code?: string; oclif?: {exit?: number}; suggestions?: string[]}

/** Runs the command in-process; `exit` is the status the binary would end with (oclif's handler or process.exitCode). */
async function analyze(argv: string[]) {
  process.exitCode = undefined
  const out = await captureOutput<AnalysisDocument | undefined>(() => Analyze.run(argv, config))
  const error = out.error as Failure | undefined
  const exit = error ? (error.oclif?.exit ?? 1) : Number(process.exitCode ?? 0)
  process.exitCode = undefined
  return {...out, error, exit}
}

restoreProcessAfterEach()

describe('analyze --json', () => {
  it('prints exactly one portleak/analysis@1 document with the documented fields', async () => {
    const {stdout, result, exit} = await analyze([LEAK, '--json'])
    expect(exit).toBe(0)
    const doc = JSON.parse(stdout)
    expect(doc).toEqual(JSON.parse(JSON.stringify(result)))
    expect(Object.keys(doc).sort()).toEqual([...DOCUMENT_FIELDS].sort())
    expect(validAnalysis(doc), JSON.stringify(validAnalysis.errors?.slice(0, 3))).toBe(true)
    expect(doc).toMatchObject({
      schema: 'portleak/analysis@1',
      snapshots: 40,
      timeRange: {start: '2023-03-10T08:55:00.000', end: '2023-03-10T09:34:13.410'},
      dynamicRange: {tcp: {start: 49152, count: 16384, source: 'default'}},
      verdict: {status: 'at-risk'},
    })
    expect(doc.inputs).toEqual([expect.objectContaining({path: LEAK, format: 'netstat', encoding: 'utf-8', error: null})])
    expect(doc.findings[0]).toMatchObject({
      kind: 'monotonic-growth',
      severity: 'critical',
      process: 'LeakyAgent.exe',
      pid: 4312,
      state: 'BOUND',
    })
    expect(doc.findings[0].evidence[0]).toMatchObject({path: LEAK, line: expect.any(Number)})
  })

  it('exits 3 under --fail-on high and still prints the document as the only JSON on stdout', async () => {
    const {stdout, exit} = await analyze([LEAK, '--json', '--fail-on', 'high'])
    const doc = JSON.parse(stdout)
    expect(doc.schema).toBe('portleak/analysis@1')
    expect(doc.findings[0]).toMatchObject({severity: 'critical', process: 'LeakyAgent.exe'})
    expect(exit).toBe(3)
  })

  it('prints an error object and exits 2 for a bad --dynamic-range', async () => {
    const {stdout, exit} = await analyze([LEAK, '--json', '--dynamic-range', '70000-80000'])
    const message = "--dynamic-range '70000-80000' is out of range: ports are 1–65535, and 70000 is above 65535"
    expect(JSON.parse(stdout)).toEqual({error: expect.objectContaining({code: 'EUSAGE', message})})
    expect(exit).toBe(2)
  })
})

describe('analyze', () => {
  it('prints the verdict, the culprit and its evidence', async () => {
    const {stdout, exit} = await analyze([LEAK])
    expect(exit).toBe(0)
    expect(stdout).toMatch(/^AT RISK: /)
    expect(stdout).toMatch(/critical LeakyAgent\.exe\s+4312\s+BOUND/)
    expect(stdout).toContain(`evidence: ${LEAK}:`)
  })

  it('exits 3 under --fail-on high with a one-line message, after printing the report', async () => {
    const {stdout, error, exit} = await analyze([LEAK, '--fail-on', 'high'])
    expect(exit).toBe(3)
    expect(error?.message).toBe("a finding at or above 'high' exists (--fail-on)")
    expect(stdout).toMatch(/^AT RISK: /)
  })

  it('exits 0 under --fail-on when no finding reaches the threshold', async () => {
    const [healthy] = tempFiles({'netstat.txt': loopText(SCENARIOS.healthy)})
    const {exit, error} = await analyze([healthy!, '--fail-on', 'medium'])
    expect(error).toBeUndefined()
    expect(exit).toBe(0)
  })

  it('shows --date-order and --tz in the times it prints', async () => {
    const {stdout} = await analyze([LEAK, '--json', '--date-order', 'dmy', '--tz', '+01:00'])
    const doc = JSON.parse(stdout)
    expect(doc.timeRange).toEqual({start: '2023-10-03T08:55:00.000+01:00', end: '2023-10-03T09:34:13.410+01:00'})
    expect(doc.inputs[0]).toMatchObject({dateOrder: 'dmy', dateOrderSource: 'flag'})
    expect(doc.findings[0].growthStart).toBe('2023-10-03T08:55:00.000+01:00')
    const human = await analyze([LEAK, '--tz', '+01:00'])
    expect(human.stdout).toContain('2023-03-10T08:55:00.000+01:00 → 2023-03-10T09:34:13.410+01:00')
  })

  it('uses --dynamic-range as the flag range', async () => {
    const plain = JSON.parse((await analyze([LEAK, '--json'])).stdout)
    const {stdout, exit} = await analyze([LEAK, '--json', '--dynamic-range', '10000-65535'])
    expect(exit).toBe(0)
    const doc = JSON.parse(stdout)
    expect(doc.dynamicRange.tcp).toMatchObject({start: 10000, count: 55536, source: 'flag'})
    expect(doc.verdict.peakUtilization).toBeLessThan(plain.verdict.peakUtilization)
    expect((await analyze([LEAK, '--dynamic-range', '10000+55536'])).stdout).toContain('dynamic range 10000–65535 (55536 ports, flag)')
  })

  it('rejects a bad --dynamic-range with exit 2, saying what is wrong and what to type', async () => {
    const cases: [string, RegExp][] = [
      ['70000-80000', /is out of range: ports are 1–65535, and 70000 is above 65535$/],
      ['49152-99999', /is out of range: ports are 1–65535, and 99999 is above 65535$/],
      ['60000+10000', /is out of range: ports are 1–65535, and 69999 is above 65535$/],
      ['1000-65535', /starts at 1000; Windows starts the dynamic range at 1025 or above$/],
      ['50000-50100', /holds 101 ports; Windows needs at least 255$/],
      ['65535-49152', /ends before it starts \(49152 < 65535\)$/],
      ['ports', /is not START-END \(e\.g\. 49152-65535\)$/],
      ['49152', /is not START-END \(e\.g\. 49152-65535\)$/],
    ]
    for (const [bad, message] of cases) {
      const {error, exit} = await analyze([LEAK, '--dynamic-range', bad])
      expect(exit, bad).toBe(2)
      expect(error?.message, bad).toMatch(new RegExp(`^--dynamic-range '${bad.replace('+', '\\+')}' `))
      expect(error?.message, bad).toMatch(message)
      expect((error as {suggestions?: string[]} | undefined)?.suggestions?.join(' '), bad).toMatch(/--dynamic-range \d+-\d+/)
    }
  })

  it('fails with exit 2 and a one-line message naming a missing file', async () => {
    const missing = join(tmpdir(), `portleak-missing-${randomBytes(4).toString('hex')}.txt`)
    const {error, exit, stdout} = await analyze([missing])
    expect(exit).toBe(2)
    expect(error?.message).toBe(`${missing}: no such file or directory`)
    expect(stdout).toBe('')
  })

  it('fails with exit 1 when no input is in a supported format', async () => {
    const [notes] = tempFiles({'notes.txt': 'Customer says it happens every night.\r\n'})
    const {error, exit} = await analyze([notes!])
    expect(exit).toBe(1)
    expect(error?.code).toBe('EFORMAT')
    expect(error?.message).toBe(
      `${notes}: not a recognised format (starts with "Customer says it happens every night."); pass --format if you know what it is`,
    )
  })

  it('rejects an unknown --fail-on level with exit 2', async () => {
    const {exit} = await analyze([LEAK, '--fail-on', 'low'])
    expect(exit).toBe(2)
  })
})
