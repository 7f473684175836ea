import {spawn} from 'node:child_process'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Runs `scripts/fuzz.mjs` against src/ (through tsx, so a stale or half-built dist/ does not matter). */
function fuzz(args: string[]): Promise<{status: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/fuzz.mjs', '--src', ...args], {cwd: ROOT, env: {...process.env, NO_COLOR: '1'}})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (status) => resolve({status, stdout, stderr}))
  })
}

describe('npm run fuzz', () => {
  it('runs for the given seconds (at least --min-cases), prints its seed and a summary, and saves every failure with a repro', async () => {
    // --min-cases keeps the count, and so the kinds of case run, the same on a loaded machine.
    const {status, stdout, stderr} = await fuzz(['--seconds', '3', '--min-cases', '40', '--seed', '20231014'])
    expect(stderr).toBe('')
    expect(stdout).toMatch(/^fuzz: seed 20231014, 3 s, \d+ parsers, \d+ corpus files \(replay: --seed 20231014\)\n/)
    const summary = /fuzz: seed 20231014, (\d+) cases in [\d.]+ s \((\d+) parser, (\d+) input, (\d+) binary\), (\d+) failures?/.exec(stdout)
    expect(summary).not.toBeNull()
    const [, cases, parserCases, inputCases, binaryCases, failed] = summary!.map(Number)
    expect(cases).toBeGreaterThanOrEqual(40)
    expect(parserCases! + inputCases! + binaryCases!).toBe(cases)
    expect(binaryCases).toBeGreaterThan(0)
    expect(parserCases).toBeGreaterThan(0)
    expect(inputCases).toBeGreaterThan(0)
    // Failures are bugs in src/ for the lead, not in the script: each must be reproducible from its line.
    expect(status).toBe(failed ? 1 : 0)
    const repro = /^FAIL case (\d+) .*\n {2}repro: (node scripts\/fuzz\.mjs --seed 20231014 --case \d+ --src) {3}input: (\S+)$/gm
    const fails = [...stdout.matchAll(repro)]
    expect(fails).toHaveLength(failed!)
    for (const [, , , input] of fails) {
      expect(existsSync(input!)).toBe(true)
      expect(readFileSync(input!.replace(/\.(txt|bin)$/, '.md'), 'utf8')).toMatch(/repro: node scripts\/fuzz\.mjs/)
    }
    const saved = /saved under (\S+)/.exec(stdout)?.[1]
    if (saved) rmSync(saved, {recursive: true, force: true})
  }, 40_000)

  it('replays one case of a seed in the foreground', async () => {
    const {status, stdout} = await fuzz(['--seed', '20231014', '--case', '3'])
    expect(stdout).toMatch(/^fuzz: seed 20231014 case 3: (parser [a-z-]+ on \d+ lines|input layer on \d+ bytes|binary reader [a-z-]+ on \d+ bytes) from \S+/)
    expect(stdout).toMatch(/\n(ok|FAIL .+)\n/)
    expect(status).toBe(stdout.includes('\nok\n') ? 0 : 1)
  }, 20_000)

  it('rejects an unknown argument with exit code 2 and the usage', async () => {
    const {status, stderr} = await fuzz(['--minutes', '3'])
    expect(status).toBe(2)
    expect(stderr).toMatch(/unknown argument --minutes\nusage: node scripts\/fuzz\.mjs/)
  }, 20_000)
})
