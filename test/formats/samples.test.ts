import {describe, expect, it} from 'vitest'

import {detectFormat, formats, noiseEnd} from '../../src/formats/registry.js'
import {readSample} from '../helpers/format-samples.js'

const detect = (text: string) => detectFormat(text.slice(noiseEnd(text), noiseEnd(text) + 64 * 1024))?.parser.id ?? null

// One test for every registered format, from what the module declares (lnav checks its formats' `sample`
// lines the same way): detection picks the format on each sample, parsing yields only declared record kinds
// and all of them over the samples, and every line is accounted for.
describe.each(formats.map((f) => [f.id, f] as const))('format %s', (_id, format) => {
  it('describes itself', () => {
    expect(format.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
    expect(format.title.length).toBeGreaterThan(3)
    expect(format.version).toMatch(/^\d+\.\d+(\.\d+)?$/)
    expect(format.description.length).toBeGreaterThan(10)
    expect(format.commands.length).toBeGreaterThan(0)
    expect(format.samples.length).toBeGreaterThan(0)
    expect(new Set(format.samples.map((s) => s.name)).size).toBe(format.samples.length)
  })

  it.each(format.samples.map((s) => [s.name, s] as const))('reads its sample: %s', async (_name, sample) => {
    const r = await readSample(format, sample, detect)
    expect(r.detected).toBe(format.id)
    expect(format.records).toEqual(expect.arrayContaining(r.kinds))
    if (format.records.length > 0) expect(r.records).toBeGreaterThan(0)
    expect(r.accounted).toBe(r.lines)
  })

  it('yields every record kind it declares over its samples', async () => {
    const seen = new Set<string>()
    for (const s of format.samples) for (const k of (await readSample(format, s, detect)).kinds) seen.add(k)
    expect([...seen].sort()).toEqual([...format.records].sort())
  })
})

describe('the registry', () => {
  it('holds each id once', () => {
    const ids = formats.map((f) => f.id)
    expect(new Set(ids).size).toBe(ids.length)
  })
})
