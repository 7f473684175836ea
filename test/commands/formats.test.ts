import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {describe, expect, it} from 'vitest'

import Analyze from '../../src/commands/analyze.js'
import Formats, {type FormatEntry} from '../../src/commands/formats.js'
import Report from '../../src/commands/report.js'
import {formatIds, formats} from '../../src/formats/registry.js'
import {restoreProcessAfterEach} from '../helpers/commands.js'

const config = await Config.load(import.meta.url)
restoreProcessAfterEach()

describe('portleak formats', () => {
  it('lists every registered format: id and title, what it reads, example commands', async () => {
    const out = await captureOutput(() => Formats.run([], config))
    expect(out.error).toBeUndefined()
    const heads = out.stdout.split('\n').filter((l) => /^\S/.test(l))
    expect(heads.map((l) => l.split(/\s+/, 1)[0])).toEqual(formatIds())
    expect(out.stdout).toMatch(/^netstat\s+netstat table or loop\n\s+reads: netstat -an\/-ano/m)
    expect(out.stdout).toMatch(/^\s+\$ Get-NetTCPConnection \| Export-Csv /m)
  })

  it('prints only JSON with --json, from the format modules', async () => {
    const out = await captureOutput(() => Formats.run(['--json'], config))
    const doc = JSON.parse(out.stdout) as {formats: FormatEntry[]}
    expect(doc.formats.map((f) => f.id)).toEqual(formatIds())
    for (const [i, f] of doc.formats.entries()) {
      expect(f).toMatchObject({id: formats[i]!.id, title: formats[i]!.title, version: formats[i]!.version, records: [...formats[i]!.records]})
      expect(f.description.length).toBeGreaterThan(10)
      expect(f.commands.length).toBeGreaterThan(0)
    }
    expect(doc.formats.find((f) => f.id === 'evtx')?.binary).toBe(true)
  })

  it('is the command the unknown-format error suggests', async () => {
    const out = await captureOutput(() => Analyze.run(['--format', 'foo', 'x.txt'], config))
    const error = out.error as Error & {suggestions?: string[]; oclif?: {exit?: number}}
    expect(error.message).toMatch(/unknown format 'foo'/)
    expect(error.message).not.toMatch(/netstat/)
    expect(error.suggestions?.join(' ')).toMatch(/portleak formats/)
    expect(error.oclif?.exit).toBe(2)
    expect(config.findCommand('formats')).toBeDefined()
  })

  it('offers the registry ids as --format options, and report md|html besides', () => {
    expect(Analyze.flags.format.options).toEqual(formatIds())
    expect(Report.flags.format.options).toEqual([...formatIds(), 'md', 'html'])
  })
})
