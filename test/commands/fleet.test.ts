import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {Ajv2020} from 'ajv/dist/2020.js'
import {describe, expect, it} from 'vitest'

import Analyze from '../../src/commands/analyze.js'
import Export from '../../src/commands/export.js'
import Report from '../../src/commands/report.js'
import {restoreProcessAfterEach} from '../helpers/commands.js'
import {loopText, tempFiles} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'

const config = await Config.load(import.meta.url)
const schema = (name: string) => JSON.parse(readFileSync(new URL(`../../docs/schema/${name}`, import.meta.url), 'utf8'))
const ajv = new Ajv2020({allErrors: true, strict: false})
ajv.addSchema(schema('analysis-1.schema.json'))
const validFleet = ajv.compile(schema('fleet-1.schema.json'))

/** A folder with two machines' loops: SRV-WEB01 leaks BOUND ports, SRV-SQL02 is healthy. */
function twoMachines(): string {
  const dir = dirname(tempFiles({a: ''})[0]!)
  for (const [name, text] of [
    ['SRV-WEB01/netstat.txt', loopText(SCENARIOS.boundLeak)],
    ['SRV-SQL02/netstat.txt', loopText(SCENARIOS.healthy)],
  ] as const) {
    mkdirSync(join(dir, dirname(name)), {recursive: true})
    writeFileSync(join(dir, name), text)
  }
  return dir
}

restoreProcessAfterEach()

describe('commands on a two-machine upload', () => {
  const dir = twoMachines()

  it('analyze --json prints one portleak/fleet@1 document holding one analysis@1 per machine', async () => {
    const out = await captureOutput(() => Analyze.run([dir, '--json'], config))
    expect(out.error).toBeUndefined()
    const doc = JSON.parse(out.stdout)
    expect(validFleet(doc), JSON.stringify(validFleet.errors?.slice(0, 3))).toBe(true)
    expect(doc.machines.map((m: {machine: string; verdict: string}) => m.machine)).toEqual(['SRV-SQL02', 'SRV-WEB01'])
    expect(doc.analyses[1].findings[0]).toMatchObject({process: 'LeakyAgent.exe'})
    // --host keeps one machine: its analysis@1, as for an upload of one machine.
    const one = await captureOutput(() => Analyze.run([dir, '--json', '--host', 'SRV-WEB01'], config))
    expect(JSON.parse(one.stdout)).toMatchObject({schema: 'portleak/analysis@1', host: 'SRV-WEB01'})
  })

  it('analyze prints the fleet table, then each machine; --fail-on looks at every machine', async () => {
    const out = await captureOutput(() => Analyze.run([dir, '--fail-on', 'high'], config))
    expect(out.stdout).toMatch(/Machine +Verdict +Peak use +Top culprit/)
    expect(out.stdout).toMatch(/== SRV-WEB01 ==\nAT RISK/)
    expect((out.error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit).toBe(3)
  })

  it.each(['md', 'html'] as const)('report writes the fleet table and both machines (%s), redacted on request', async (as) => {
    const file = join(dirname(tempFiles({a: ''})[0]!), `report.${as}`)
    const out = await captureOutput(() => Report.run([dir, '-o', file], config))
    expect(out.error).toBeUndefined()
    const text = readFileSync(file, 'utf8')
    expect(text).toContain('Port exhaustion report: 2 machines')
    expect(text.indexOf('SRV-SQL02')).toBeGreaterThan(-1)
    expect(text).toContain('LeakyAgent.exe')
    const redacted = join(dirname(file), `redacted.${as}`)
    await captureOutput(() => Report.run([dir, '-o', redacted, '--redact'], config))
    const r = readFileSync(redacted, 'utf8')
    expect(r).toContain('machine-2')
    expect(r).not.toContain('SRV-WEB01')
  })

  it('export writes machines.csv and each machine\'s tables in a folder of its own', async () => {
    const outDir = join(dirname(tempFiles({a: ''})[0]!), 'tables')
    const out = await captureOutput(() => Export.run([dir, '--to', 'csv', '-o', outDir], config))
    expect(out.error).toBeUndefined()
    const machines = readFileSync(join(outDir, 'machines.csv'), 'utf8')
    expect(machines.split('\r\n')[0]).toBe('\ufeffmachine,timeline,verdict,peak_utilization,top_culprit,span_start,span_end,inputs,told_apart_by')
    expect(machines).toContain('SRV-WEB01')
    for (const sub of ['01-SRV-SQL02', '02-SRV-WEB01']) {
      for (const t of ['snapshots', 'process_states', 'findings']) expect(existsSync(join(outDir, sub, `${t}.csv`)), `${sub}/${t}`).toBe(true)
    }
    expect(readFileSync(join(outDir, '02-SRV-WEB01', 'findings.csv'), 'utf8')).toContain('LeakyAgent.exe')
    expect(readFileSync(join(outDir, '01-SRV-SQL02', 'findings.csv'), 'utf8')).not.toContain('LeakyAgent.exe')
  })
})
