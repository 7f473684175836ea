import {readFileSync} from 'node:fs'

import {Ajv2020} from 'ajv/dist/2020.js'
import {describe, expect, it} from 'vitest'

import {fleetDocument, inspectInputs, runAnalysis, runFleet} from '../src/pipeline.js'
import {SCENARIOS} from './helpers/scenarios.js'
import {analyzeScenario} from './helpers/run.js'

const schema = (name: string) => JSON.parse(readFileSync(new URL(`../docs/schema/${name}`, import.meta.url), 'utf8'))
const ajv = new Ajv2020({allErrors: true, strict: false})
const validInspect = ajv.compile(schema('inspect-1.schema.json'))
const validAnalysis = ajv.compile(schema('analysis-1.schema.json'))
const validFleet = ajv.compile(schema('fleet-1.schema.json'))
// Through JSON as the CLI prints it (typed arrays and undefined disappear there).
const asJson = (v: unknown) => JSON.parse(JSON.stringify(v))

describe('documented JSON schemas', () => {
  it('validate inspect output of every committed corpus folder', async () => {
    const doc = asJson(await inspectInputs(['corpus'], {}))
    expect(doc.inputs.length).toBeGreaterThan(50)
    expect(validInspect(doc), JSON.stringify(validInspect.errors?.slice(0, 3))).toBe(true)
  })

  it('validate analyze output of a leak, with --tz', async () => {
    const {document} = await analyzeScenario(SCENARIOS.boundLeak, {tz: '+01:00'})
    const doc = asJson(document)
    expect(doc.findings.length).toBeGreaterThan(0)
    expect(validAnalysis(doc), JSON.stringify(validAnalysis.errors?.slice(0, 3))).toBe(true)
  })

  it('validate analyze output of every committed evidence format together', async () => {
    const inputs = ['corpus/handle-exe', 'corpus/volatility-netscan', 'corpus/tcpip-events', 'corpus/netsh-dynamicport']
    await expect(runAnalysis(inputs, {})).rejects.toThrow(/come from 3 machines or timelines \(APP02, WEB01\.contoso\.local, \(unnamed\)\)/)
    const doc = asJson((await runAnalysis(inputs, {host: 'app02'})).document)
    expect(doc.inputs.some((i: {path: string}) => i.path.includes('wevtutil-qe-xml'))).toBe(true)
    expect(validAnalysis(doc), JSON.stringify(validAnalysis.errors?.slice(0, 3))).toBe(true)
    // Without --host: one analysis per machine, in one portleak/fleet@1 document.
    const fleet = asJson(fleetDocument(await runFleet(inputs, {})))
    expect(fleet.analyses).toHaveLength(3)
    expect(validFleet(fleet), JSON.stringify(validFleet.errors?.slice(0, 3))).toBe(true)
  })
})
