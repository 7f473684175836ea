import {spawnSync} from 'node:child_process'
import {statSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const LOOP = 'corpus/netstat/loop-en-us-anobq-bound-leak.txt'

/** Runs `scripts/stages.mjs` (what `npm run bench -- --stages` runs per stage) against src/ through tsx. */
const stages = (...args: string[]) => spawnSync(process.execPath, ['scripts/stages.mjs', ...args, '--src'], {cwd: ROOT, encoding: 'utf8'})

describe('bench --stages: one stage of a worker, in process', () => {
  it.each(['split', 'parse', 'summary', 'case'])('%s: times each run on the file’s first megabytes', (stage) => {
    const res = stages(stage, LOOP, '1', '3')
    expect(res.stderr).toBe('')
    expect(res.status).toBe(0)
    const out = JSON.parse(res.stdout) as {stage: string; bytes: number; ms: number[]}
    expect(out.stage).toBe(stage)
    expect(out.bytes).toBe(Math.min(statSync(`${ROOT}/${LOOP}`).size, 1e6))
    expect(out.ms).toHaveLength(3)
    for (const ms of out.ms) expect(ms).toBeGreaterThanOrEqual(0)
  }, 60_000)

  it('refuses a stage it does not know', () => {
    const res = stages('render', LOOP, '1', '1')
    expect(res.status).toBe(2)
    expect(res.stderr).toMatch(/unknown stage render/)
  }, 60_000)
})
