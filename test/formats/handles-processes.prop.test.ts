import {readdirSync, readFileSync} from 'node:fs'

import {fc, test} from '@fast-check/vitest'
import {describe, expect} from 'vitest'

import {accountedLines, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {handleExeParser} from '../../src/formats/handle-exe/index.js'
import {processListParser} from '../../src/formats/process-list/index.js'

const fixtures = ['handle-exe', 'process-list'].flatMap((format) => {
  const dir = new URL(`../../corpus/${format}/`, import.meta.url)
  return readdirSync(dir).map((f) => readFileSync(new URL(f, dir), 'utf8'))
})

// Real-looking lines of both formats and their neighbours, to be shuffled into inputs no tool ever wrote.
const pool = [
  ...new Set(fixtures.flatMap((t) => splitLines(t).lines)),
  '',
  '...',
  '[snip]',
  '------------------------------------------------------------------------------',
  '========================= ======== ================ =========== ============',
  'Handle type summary:',
  'Total handles: 12',
  '  File            : 9',
  '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1108',
  'LocalAddress                        LocalPort RemoteAddress RemotePort State OwningProcess',
  'Id      : 4312',
  '"x","1"',
  'Process,PID,User,Handle',
  'a pid: 1 type: ',
  ' pid: 7',
]

const noisy = fc.string({unit: fc.constantFrom(' ', ':', ',', '-', '=', '"', '0', '7', 'A', 'x', '\t', '\\', '(', ')', 'p', 'i', 'd'), maxLength: 30})
const line = fc.oneof({weight: 6, arbitrary: fc.constantFrom(...pool)}, {weight: 1, arbitrary: noisy}, {weight: 1, arbitrary: fc.string({maxLength: 20})})
const input = fc
  .tuple(fc.array(line, {maxLength: 40}), fc.constantFrom('\r\n', '\n'), fc.boolean())
  .map(([lines, eol, terminated]) => lines.join(eol) + (terminated && lines.length > 0 ? eol : ''))

describe.each([handleExeParser, processListParser])('$id', (parser) => {
  test.prop([input])('accounts for every line exactly once and never throws', (text) => {
    const c = parseText(parser, text)
    expect(accountedLines(c)).toBe(splitLines(text).lines.length)
    const recordLines = new Set(c.records.map((r) => r.line))
    expect(c.skipped.every((s) => !recordLines.has(s.line))).toBe(true)
  })

  test.prop([fc.constantFrom(...fixtures), fc.double({min: 0, max: 1, noNaN: true})])(
    'accounts for every line of a fixture cut at any point',
    (text, at) => {
      const cut = text.slice(0, Math.floor(text.length * at))
      const c = parseText(parser, cut)
      expect(accountedLines(c)).toBe(splitLines(cut).lines.length)
      expect(c.snapshots.every((s, i) => i === 0 || s.line > c.snapshots[i - 1]!.line)).toBe(true)
    },
  )

  test.prop([fc.oneof(fc.string(), fc.string({unit: 'grapheme'}), input)])('detect is total and within 0..1', (sample) => {
    const score = parser.detect(sample)
    expect(score).toBeGreaterThanOrEqual(0)
    expect(score).toBeLessThanOrEqual(1)
  })
})
