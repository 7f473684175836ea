import {spawn, spawnSync} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {cliBin, loopText} from '../helpers/run.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const LEAK = 'corpus/netstat/loop-en-us-anobq-bound-leak.txt'
const MISSING = join(tmpdir(), 'portleak-cli-test-no-such-file.txt')

const ENV = {...process.env, NODE_ENV: 'production', FORCE_COLOR: '0', NO_COLOR: '1'}

/** Runs the built binary the way a user's shell would (no TTY, no CI progress); `stdout` may name a file to write to. */
function portleak(args: string[], input?: string | Buffer, stdoutTo?: string) {
  const fd = stdoutTo ? openSync(stdoutTo, 'w') : null
  try {
    const r = spawnSync(process.execPath, [cliBin(), ...args], {
      cwd: ROOT,
      input,
      encoding: 'utf8',
      env: ENV,
      timeout: 60_000,
      ...(fd !== null ? {stdio: ['pipe', fd, 'pipe']} : {}),
    })
    return {status: r.status, stdout: r.stdout ?? '', stderr: r.stderr}
  } finally {
    if (fd !== null) closeSync(fd)
  }
}

describe('portleak binary', () => {
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

  it('names a missing file on one line however long its path (no wrap at 80 columns)', () => {
    const long = join(tmpdir(), 'case-20261206-contoso-web-tier-outbound-failures', 'upload', 'server01-netstat-loop-every-minute.txt')
    const {status, stderr} = portleak(['analyze', long])
    expect(status).toBe(2)
    expect(stderr.split('\n')).toEqual([` ›   Error: ${long}: no such file or directory`, ' ›   Code: ENOENT', ' ›   Try this: Check the path.', ''])
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

/** A 30-snapshot `netstat -anobq` loop of one process leaking BOUND ports (2 MB: the spool flushes past 1 MB). */
const leakLoop = () =>
  loopText({
    seed: 1,
    snapshots: 30,
    interval: 60,
    start: new Date(Date.UTC(2023, 2, 10, 8, 0, 0)),
    dateStyle: 'iso',
    owners: true,
    bound: true,
    processes: [{pid: 4312, name: 'leaky.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: 3000}}],
  })

/**
 * Starts `export --connections` reading the loop from a stdin that stays open (as a collection still
 * running would), waits until rows are spooled, sends the signals, and reports what was left behind.
 */
async function interruptedExport(signals: NodeJS.Signals[], againWhileWriting = false) {
  const tmp = mkdtempSync(join(tmpdir(), 'portleak-cli-signals-'))
  const out = join(tmp, 'out')
  const spools = join(tmp, 'tmp')
  mkdirSync(spools)
  const child = spawn(process.execPath, [cliBin(), 'export', '-', '--to', 'csv', '-o', out, '--connections'], {
    cwd: ROOT,
    env: {...ENV, TMPDIR: spools},
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()))
  const exit = new Promise<number | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? -1 : null))))
  child.stdin.on('error', () => undefined) // EPIPE once the child is gone: expected here
  child.stdin.write(leakLoop())
  const spooled = () =>
    readdirSync(spools).some((d) => {
      const f = join(spools, d, 'connections.jsonl')
      return existsSync(f) && statSync(f).size > 0
    })
  for (let waited = 0; !spooled() && waited < 30_000; waited += 100) await new Promise((r) => setTimeout(r, 100))
  expect(spooled(), 'rows spooled before the signal').toBe(true)
  for (const s of signals) child.kill(s)
  if (againWhileWriting) {
    // Signals sent back to back arrive as one: the second goes once a table is being written.
    const writing = () => existsSync(out) && readdirSync(out).some((f) => f.endsWith('.tmp'))
    for (let waited = 0; !writing() && waited < 50_000; waited += 5) await new Promise((r) => setTimeout(r, 5))
    child.kill('SIGTERM')
  }
  const status = await Promise.race([exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))])
  if (status === 'hung') child.kill('SIGKILL')
  child.stdin.destroy()
  const files = existsSync(out) ? readdirSync(out) : []
  return {status, stderr, files, out, spoolsLeft: readdirSync(spools)}
}

describe('portleak binary: output failures and signals', () => {
  it.skipIf(!existsSync('/dev/full'))('a full disk on stdout is one line on stderr and exit 1, never a stack trace (skips without /dev/full)', () => {
    for (const args of [['analyze', LEAK], ['analyze', LEAK, '--json'], ['report', LEAK, '-o', '-'], ['inspect', LEAK, '--json']]) {
      const {status, stderr} = portleak(args, undefined, '/dev/full')
      expect(status, args.join(' ')).toBe(1)
      expect(stderr.trim().split('\n'), args.join(' ')).toEqual([expect.stringMatching(/cannot write to standard output: ENOSPC/)])
      expect(stderr).not.toMatch(/\n\s+at /)
    }
  })

  it('-o naming a directory is a clear usage error, not "add --force"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portleak-cli-dir-'))
    for (const force of [[], ['--force']]) {
      const {status, stderr} = portleak(['report', LEAK, '-o', dir, ...force])
      expect(status).toBe(2)
      expect(stderr).toContain(`${dir} is a directory, not a file`)
      expect(stderr).not.toMatch(/add --force|EISDIR/)
    }
  })

  it('export -o - is a clear usage error and creates nothing named -', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'portleak-cli-dash-'))
    const r = spawnSync(process.execPath, [cliBin(), 'export', join(ROOT, LEAK), '--to', 'csv', '-o', '-'], {cwd, encoding: 'utf8', env: ENV})
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/export writes one file per table/)
    expect(readdirSync(cwd)).toEqual([])
  })

  it('SIGTERM keeps what was read: complete tables, no spool left', async () => {
    const r = await interruptedExport(['SIGTERM'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/interrupted \(SIGTERM\): finishing with partial results/)
    expect(r.files.sort()).toEqual(['connections.csv', 'events.csv', 'findings.csv', 'handles.csv', 'process_states.csv', 'snapshots.csv', 'wide.csv'])
    expect(readFileSync(join(r.out, 'connections.csv'), 'utf8').split('\r\n').length).toBeGreaterThan(100)
    expect(r.spoolsLeft).toEqual([])
  }, 120_000)

  it('a second signal while writing quits at once with no partial file and no spool left', async () => {
    const r = await interruptedExport(['SIGTERM'], true)
    expect(r.status).toBe(143)
    expect(r.files.filter((f) => f.endsWith('.tmp'))).toEqual([])
    // complete files only: a header and, for the tables a loop fills, rows (no events or handle counts in a loop)
    for (const f of r.files) expect(readFileSync(join(r.out, f), 'utf8').split('\r\n').length, f).toBeGreaterThan(/^(events|handles)\./.test(f) ? 1 : 2)
    expect(r.spoolsLeft).toEqual([])
  }, 120_000)
})
