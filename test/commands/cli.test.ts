import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {beforeAll, describe, expect, it} from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const LEAK = 'corpus/netstat/loop-en-us-anobq-bound-leak.txt'
const MISSING = join(tmpdir(), 'portleak-cli-test-no-such-file.txt')

/** Runs the built binary the way a user's shell would (no TTY, no CI progress). */
function portleak(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, ['bin/run.js', ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    env: {...process.env, NODE_ENV: 'production', FORCE_COLOR: '0', NO_COLOR: '1'},
    timeout: 60_000,
  })
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}

describe('portleak binary', () => {
  beforeAll(() => {
    // Builds dist/ as `npm install` does; type errors in files being edited elsewhere still emit JS.
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
    spawnSync(process.execPath, [tsc, '-p', '.'], {cwd: ROOT, encoding: 'utf8', timeout: 170_000})
    expect(existsSync(join(ROOT, 'dist/commands/inspect.js'))).toBe(true)
  }, 180_000)

  it('prints help listing the commands', () => {
    const {status, stdout} = portleak(['--help'])
    expect(status).toBe(0)
    expect(stdout).toMatch(/USAGE/)
    expect(stdout).toMatch(/\binspect\b/)
    expect(stdout).toMatch(/\banalyze\b/)
  })

  it('reads stdin with -', () => {
    const {status, stdout} = portleak(['inspect', '-', '--json'], readFileSync(join(ROOT, 'corpus/netstat/loop-junk-truncated.txt')))
    expect(status).toBe(0)
    expect(JSON.parse(stdout).inputs[0]).toMatchObject({path: '<stdin>', format: 'netstat', skippedByReason: {ping: 4, truncated: 1}})
  })

  it('prints a one-line error naming a missing file on stderr with exit 2, no stack trace', () => {
    const {status, stdout, stderr} = portleak(['inspect', MISSING])
    expect(status).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain(`Error: ${MISSING}: no such file or directory`)
    expect(stderr).not.toMatch(/\n\s+at /)
  })

  it('prints a JSON error object on stdout for a missing file under --json, with exit 2', () => {
    const {status, stdout} = portleak(['inspect', '--json', MISSING])
    expect(JSON.parse(stdout)).toEqual({
      error: expect.objectContaining({code: 'ENOENT', message: `${MISSING}: no such file or directory`}),
    })
    expect(status).toBe(2)
  })

  it('exits 3 for analyze --fail-on high --json and prints only the analysis document', () => {
    const {status, stdout} = portleak(['analyze', LEAK, '--json', '--fail-on', 'high'])
    expect(JSON.parse(stdout).schema).toBe('portleak/analysis@1')
    expect(status).toBe(3)
  })
})
