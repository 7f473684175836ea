import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {accountedLines, parseText, splitLines} from '../../src/formats/shared/collect.js'
import type {Parser} from '../../src/formats/types.js'
import {volatilityHandlesParser} from '../../src/formats/volatility/handles.js'
import {volatilityNetscanParser} from '../../src/formats/volatility/netscan.js'
import {volatilityPslistParser} from '../../src/formats/volatility/pslist.js'
import {windbgHandleParser} from '../../src/formats/windbg/handle.js'
import {windbgProcessParser} from '../../src/formats/windbg/process.js'

const parsers: readonly Parser[] = [
  windbgProcessParser,
  windbgHandleParser,
  volatilityNetscanParser,
  volatilityHandlesParser,
  volatilityPslistParser,
]
const corpusDir = fileURLToPath(new URL('../../corpus/', import.meta.url))
const realDir = fileURLToPath(new URL('../../../shared/corpus/real/', import.meta.url))

const files = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => statSync(`${dir}/${f}`).isFile()).map((f) => `${dir}/${f}`) : []
const read = (path: string) => readFileSync(path, 'utf8')

/** Our fixtures, per format id. */
const fixtures = parsers.flatMap((p) => files(`${corpusDir}${p.id}`).map((path) => ({id: p.id, text: read(path)})))
const pool = [...new Set(fixtures.flatMap((f) => splitLines(f.text).lines))]

const accounted = (p: Parser, text: string) => {
  const c = parseText(p, text)
  return {c, ok: accountedLines(c) === splitLines(text).lines.length}
}

describe('dump parsers', () => {
  test.prop([fc.string({unit: 'binary', maxLength: 400})])('detect is total and stays within 0..1', (s) => {
    for (const p of parsers) {
      const score = p.detect(s)
      expect(score).toBeGreaterThanOrEqual(0)
      expect(score).toBeLessThanOrEqual(1)
    }
  })

  // Lines of every dump format mixed with each other, cut short and with arbitrary text in between.
  const line = fc.oneof(
    {weight: 4, arbitrary: fc.constantFrom(...pool)},
    {weight: 2, arbitrary: fc.tuple(fc.constantFrom(...pool), fc.nat()).map(([l, n]) => l.slice(0, n % (l.length + 1)))},
    {weight: 1, arbitrary: fc.string({unit: 'binary', maxLength: 60})},
    {weight: 1, arbitrary: fc.constantFrom('', '[', ']', '{', '}', '},', '  "__children": [', '"', '\t', '0: kd> ', 'PROCESS 0')},
  )
  test.prop([fc.array(line, {maxLength: 40}), fc.constantFrom('\n', '\r\n'), fc.boolean()])(
    'never throw and account for every line of mixed input',
    (lines, nl, trailing) => {
      const text = lines.join(nl) + (trailing && lines.length > 0 ? nl : '')
      for (const p of parsers) expect(accounted(p, text).ok).toBe(true)
    },
  )

  test.prop([fc.constantFrom(...fixtures), fc.nat()])('a fixture cut anywhere is still fully accounted for', (f, n) => {
    const parser = parsers.find((p) => p.id === f.id)!
    const cut = f.text.slice(0, n % (f.text.length + 1))
    const {c, ok} = accounted(parser, cut)
    expect(ok).toBe(true)
    expect(c.records.length).toBeLessThanOrEqual(parseText(parser, f.text).records.length)
  })

  it('account for every line of every fixture and never start snapshots', () => {
    for (const f of fixtures) {
      for (const p of parsers) {
        const {c, ok} = accounted(p, f.text)
        expect(ok, `${p.id} on a ${f.id} fixture`).toBe(true)
        expect(c.snapshots).toEqual([])
      }
    }
  })

  it('score their own fixtures high and every other format low', () => {
    // corpus/bad holds hostile inputs of any format by design (a netscan CSV among them): not a format's fixtures.
    const formats = readdirSync(corpusDir).filter((d) => d !== 'bad' && statSync(`${corpusDir}${d}`).isDirectory())
    expect(formats).toEqual(expect.arrayContaining(parsers.map((p) => p.id)))
    for (const format of formats) {
      for (const path of files(`${corpusDir}${format}`)) {
        const sample = read(path).slice(0, 65536)
        for (const p of parsers) {
          const score = p.detect(sample)
          if (p.id === format) expect(score, `${p.id} on ${path}`).toBeGreaterThanOrEqual(0.8)
          else expect(score, `${p.id} on ${path}`).toBeLessThan(0.5)
        }
      }
    }
  })

  describe.skipIf(!existsSync(realDir))('on the real samples', () => {
    it('score each sample high only for its own format', () => {
      const expected: Record<string, {format: string}> = JSON.parse(read(`${realDir}expect.json`))
      for (const [file, {format}] of Object.entries(expected)) {
        if (!existsSync(`${realDir}${file}`)) continue
        const sample = read(`${realDir}${file}`).slice(0, 65536)
        for (const p of parsers) {
          const score = p.detect(sample)
          if (p.id === format) expect(score, `${p.id} on ${file}`).toBeGreaterThanOrEqual(0.8)
          else expect(score, `${p.id} on ${file}`).toBeLessThan(0.5)
        }
      }
    })
  })
})
