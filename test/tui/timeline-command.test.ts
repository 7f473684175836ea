import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'
import {afterAll, describe, expect, it} from 'vitest'

import Timeline from '../../src/commands/timeline.js'
import {cliBin, loopText} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CASE = 'corpus/netstat/loop-en-us-anobq-bound-leak.txt'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('timeline command', () => {
  it('refuses to start without an interactive terminal, with exit code 2 and a suggestion', async () => {
    const config = await Config.load({root: ROOT})
    const saved = {stdin: process.stdin.isTTY, stdout: process.stdout.isTTY}
    Object.defineProperty(process.stdin, 'isTTY', {configurable: true, value: false})
    Object.defineProperty(process.stdout, 'isTTY', {configurable: true, value: true})
    try {
      const error = await Timeline.run([CASE], config).then(
        () => null,
        (e: Error & {oclif?: {exit?: number}; suggestions?: string[]}) => e,
      )
      expect(error?.message).toMatch(/needs an interactive terminal/)
      expect(error?.oclif?.exit).toBe(2)
      expect(error?.suggestions?.join(' ')).toMatch(/portleak analyze .*portleak report/)
    } finally {
      Object.defineProperty(process.stdin, 'isTTY', {configurable: true, value: saved.stdin})
      Object.defineProperty(process.stdout, 'isTTY', {configurable: true, value: saved.stdout})
    }
  })
})

const hasTmux = spawnSync('tmux', ['-V']).status === 0

describe('portleak timeline (built binary)', () => {
  it('exits with code 2 and says why when stdout is a pipe', () => {
    const r = spawnSync('node', [cliBin(), 'timeline', CASE], {cwd: ROOT, encoding: 'utf8', timeout: 60_000})
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/needs an interactive terminal/)
    expect(r.stderr).toMatch(/portleak analyze/)
  })

  describe.skipIf(!hasTmux)('in a pseudo-terminal (tmux)', () => {
    const socket = `portleak-test-${process.pid}`
    const dir = mkdtempSync(join(tmpdir(), 'portleak-tmux-'))
    const exitFile = join(dir, 'exit')
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})
    const screen = () => tmux('capture-pane', '-p', '-t', 'tl').stdout ?? ''
    const until = async (done: () => boolean, ms: number) => {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (done()) return true
      return done()
    }

    afterAll(() => {
      tmux('kill-server')
      rmSync(dir, {recursive: true, force: true})
    })

    it('shows the culprit, filters on keys, and quits with q and exit code 0', async () => {
      const command = `cd '${ROOT}' && node '${cliBin()}' timeline ${CASE}; echo EXIT=$? > '${exitFile}'`
      expect(tmux('new-session', '-d', '-s', 'tl', '-x', '100', '-y', '30', command).status).toBe(0)
      expect(await until(() => screen().includes('LeakyAgent.exe'), 30_000)).toBe(true)
      const first = screen()
      expect(first).toContain('AT RISK')
      expect(first).toContain('svchost.exe')
      tmux('send-keys', '-t', 'tl', 'Home')
      expect(await until(() => screen().includes('#1/40'), 5000)).toBe(true)
      tmux('send-keys', '-t', 'tl', 'Right')
      expect(await until(() => screen().includes('#2/40'), 5000)).toBe(true)
      tmux('send-keys', '-t', 'tl', '/', 'Leaky', 'Enter')
      expect(await until(() => screen().includes('filter "Leaky"'), 5000)).toBe(true)
      const filtered = screen()
      expect(filtered).toMatch(/4312 LeakyAgent\.exe/)
      expect(filtered).not.toContain('svchost.exe')
      tmux('send-keys', '-t', 'tl', 'q')
      const exited = () => existsSync(exitFile) && readFileSync(exitFile, 'utf8').includes('EXIT=')
      expect(await until(exited, 10_000)).toBe(true)
      expect(readFileSync(exitFile, 'utf8').trim()).toBe('EXIT=0')
    })

    it('at 80×24: picks a machine of a two-machine folder, shows a diff and the rows, jumps to a first appearance', async () => {
      const folder = join(dir, 'upload')
      const leak = readFileSync(join(ROOT, CASE))
      for (const m of ['SRV-WEB01', 'SRV-SQL02']) {
        mkdirSync(join(folder, m), {recursive: true})
        writeFileSync(join(folder, m, 'netstat.txt'), m === 'SRV-WEB01' ? leak : loopText(SCENARIOS.healthy))
      }
      const done = join(dir, 'exit2')
      const command = `cd '${ROOT}' && node '${cliBin()}' timeline '${folder}'; echo EXIT=$? > '${done}'`
      expect(tmux('new-session', '-d', '-s', 'fl', '-x', '80', '-y', '24', command).status).toBe(0)
      const pane = () => tmux('capture-pane', '-p', '-t', 'fl').stdout ?? ''
      expect(await until(() => pane().includes('machines or timelines in this upload'), 30_000)).toBe(true)
      expect(pane()).toContain('SRV-SQL02')
      expect(pane()).toContain('SRV-WEB01')
      for (const l of pane().split('\n')) expect(l.length).toBeLessThanOrEqual(80)
      // the fleet table lists the machines by name; pick the leaking one
      const webRow = pane().split('\n').filter((l) => /^[› ] (SRV-SQL02|SRV-WEB01)/.test(l)).findIndex((l) => l.includes('SRV-WEB01'))
      if (webRow > 0) tmux('send-keys', '-t', 'fl', 'Down')
      tmux('send-keys', '-t', 'fl', 'Enter')
      expect(await until(() => pane().includes('LeakyAgent.exe') && /SRV-WEB01 \(\d/.test(pane()), 10_000)).toBe(true)
      tmux('send-keys', '-t', 'fl', 'd')
      expect(await until(() => /diff #39 .* → #40/.test(pane()), 5000)).toBe(true)
      expect(pane()).toMatch(/\d+ gone sockets/)
      tmux('send-keys', '-t', 'fl', 'Escape')
      tmux('send-keys', '-t', 'fl', 'r')
      expect(await until(() => /LeakyAgent\.exe +PID 4312 +at #40/.test(pane()), 5000)).toBe(true)
      // once read again from the file, each row shows as netstat wrote it (its own column spacing)
      expect(await until(() => /netstat\.txt:\d+ +TCP {4}0\.0\.0\.0:\d+ {6,}0\.0\.0\.0:0 {6,}/.test(pane()), 5000)).toBe(true)
      tmux('send-keys', '-t', 'fl', 'Escape')
      tmux('send-keys', '-t', 'fl', 'g')
      expect(await until(() => pane().includes('LeakyAgent.exe (PID 4312) first has rows at #1'), 5000)).toBe(true)
      tmux('send-keys', '-t', 'fl', 'q')
      const exited = () => existsSync(done) && readFileSync(done, 'utf8').includes('EXIT=')
      expect(await until(exited, 10_000)).toBe(true)
      expect(readFileSync(done, 'utf8').trim()).toBe('EXIT=0')
    })
  })
})
