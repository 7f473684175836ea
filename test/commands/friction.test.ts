import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {beforeAll, describe, expect, it} from 'vitest'

import Analyze from '../../src/commands/analyze.js'
import Export from '../../src/commands/export.js'
import Inspect from '../../src/commands/inspect.js'
import {closestCommand, editDistance} from '../../src/hooks/not-found.js'
import {restoreProcessAfterEach} from '../helpers/commands.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const LEAK = 'corpus/netstat/loop-en-us-anobq-bound-leak.txt'

type Failure = Error & {oclif?: {exit?: number}; suggestions?: string[]}

let config: Config
beforeAll(async () => {
  config = await Config.load({root: ROOT})
})

restoreProcessAfterEach()

/** Runs a command line in-process as the binary routes it (hooks included); returns the error, if any. */
async function run(argv: string[]) {
  const out = await captureOutput(() => config.runCommand(argv[0]!, argv.slice(1)))
  return out.error as Failure | undefined
}

describe('a mistyped command', () => {
  it('names the command meant, with the arguments typed, and exits 2 (no terminal: no prompt)', async () => {
    // oclif joins the word and the arguments into one id when topics are separated by spaces
    const error = await run([`analyse:${LEAK}`, '--json'])
    expect(error?.message).toBe("'analyse' is not a portleak command")
    expect(error?.oclif?.exit).toBe(2)
    expect(error?.suggestions?.[0]).toBe(`Did you mean \`portleak analyze ${LEAK} --json\`?`)
    expect((await run(['reprot']))?.suggestions?.[0]).toBe('Did you mean `portleak report`?')
  })

  it('lists the commands when no command is close', async () => {
    const error = await run(['xyzzy:file.txt'])
    expect(error?.message).toBe("'xyzzy' is not a portleak command")
    expect(error?.suggestions?.join(' ')).toMatch(/analyze, .*inspect, .*timeline/)
    expect(error?.suggestions?.join(' ')).not.toMatch(/Did you mean/)
  })

  it('picks the nearest command by edit distance, prefixes included, and nothing far off', () => {
    const ids = ['analyze', 'export', 'formats', 'inspect', 'report', 'timeline']
    expect(editDistance('analyse', 'analyze')).toBe(1)
    expect(editDistance('', 'abc')).toBe(3)
    expect(closestCommand('analyse', ids)).toBe('analyze')
    expect(closestCommand('ANALYZE', ids)).toBe('analyze')
    expect(closestCommand('insepct', ids)).toBe('inspect')
    expect(closestCommand('time', ids)).toBe('timeline')
    expect(closestCommand('xyzzy', ids)).toBeNull()
  })
})

describe('export without --to', () => {
  it('says which flag is missing, its values, and the command to type', async () => {
    const out = await captureOutput(() => Export.run([LEAK, '-o', 'out'], config))
    const error = out.error as Failure | undefined
    expect(error?.message).toBe('export needs a table format: --to csv or --to jsonl')
    expect(error?.oclif?.exit).toBe(2)
    expect(error?.suggestions?.[0]).toContain(`portleak export ${LEAK} --to csv -o out`)
  })
})

describe('shell completion', () => {
  it('is there: `portleak autocomplete` (oclif plugin-autocomplete) is a command', () => {
    expect(config.commands.map((c) => c.id)).toContain('autocomplete')
  })
})

describe('inputs are listed in the order given', () => {
  const A = 'corpus/netstat/loop-de-cp850.txt'
  const B = 'corpus/netstat/loop-en-us-anobq-bound-leak.txt'
  const C = 'corpus/tcpip-events/eventviewer-system-en-us.csv'

  it('inspect lists them as named, a directory\'s contents sorted within it', async () => {
    const out = await captureOutput(() => Inspect.run([C, B, 'corpus/netsh-dynamicport', A, '--json'], config))
    const paths: string[] = JSON.parse(out.stdout).inputs.map((i: {path: string}) => i.path)
    const dir = paths.filter((p) => p.startsWith('corpus/netsh-dynamicport/'))
    expect(dir.length).toBeGreaterThan(1)
    expect(paths).toEqual([C, B, ...[...dir].sort(), A])
  })

  it('analyze keeps its document byte-identical in any order (its inputs in path order)', async () => {
    const run = async (args: string[]) => (await captureOutput(() => Analyze.run([...args, '--json'], config))).stdout
    const forward = await run([B, C])
    expect(await run([C, B])).toBe(forward)
    expect(JSON.parse(forward).inputs.map((i: {path: string}) => i.path)).toEqual([B, C])
  })
})
