import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {describe, expect, it} from 'vitest'

import Analyze from '../../src/commands/analyze.js'
import Formats from '../../src/commands/formats.js'
import {formatIds} from '../../src/formats/registry.js'

const config = await Config.load(import.meta.url)

describe('portleak formats', () => {
  it('lists every registered format id with what it reads', async () => {
    const out = await captureOutput(() => Formats.run([], config))
    expect(out.error).toBeUndefined()
    const lines = out.stdout.trimEnd().split('\n')
    expect(lines.map((l) => l.split(/\s+/, 1)[0])).toEqual(formatIds())
    expect(out.stdout).toMatch(/^netstat\s+netstat -an/m)
  })

  it('prints only JSON with --json', async () => {
    const out = await captureOutput(() => Formats.run(['--json'], config))
    const doc = JSON.parse(out.stdout) as {formats: {id: string; description: string}[]}
    expect(doc.formats.map((f) => f.id)).toEqual(formatIds())
    expect(doc.formats.every((f) => f.description.length > 10)).toBe(true)
  })

  it('is the command the unknown-format error suggests', async () => {
    const out = await captureOutput(() => Analyze.run(['--format', 'foo', 'x.txt'], config))
    const error = out.error as Error & {suggestions?: string[]}
    expect(error.message).toMatch(/unknown format 'foo'/)
    expect(error.suggestions?.join(' ')).toMatch(/portleak formats/)
    expect(config.findCommand('formats')).toBeDefined()
  })
})
