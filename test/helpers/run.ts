import {spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect, inject} from 'vitest'

import {runAnalysis, type PipelineOptions} from '../../src/pipeline.js'
import {generateLoop, type LoopScenario} from '../../src/synth/loop.js'

/** Writes files into a fresh temporary folder and returns their paths. */
export function tempFiles(files: Record<string, string | Buffer>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'portleak-test-'))
  return Object.entries(files).map(([name, content]) => {
    const path = join(dir, name)
    writeFileSync(path, content)
    return path
  })
}

export const loopText = (s: LoopScenario) => [...generateLoop(s)].join('')

/** Generates a scenario's loop into a temp file and analyzes it through the real pipeline. */
export async function analyzeScenario(s: LoopScenario, o: PipelineOptions = {}) {
  return runAnalysis(tempFiles({'netstat.txt': loopText(s)}), o)
}

const ROOT_DIR = new URL('../../', import.meta.url).pathname

/**
 * `bin/run.js` of the CLI that test/global-setup.ts built from the current sources for this run (in a
 * temporary folder: never the repository's dist/, so no test runs stale code). Run it with the repository as cwd.
 */
export const cliBin = (): string => join(inject('cliRoot'), 'bin/run.js')

/**
 * Runs the built CLI with the worker-thread split threshold lowered, so a small loop is read by worker
 * threads (`split`) or by one thread (`single`); returns stdout and fails the test on a non-zero exit.
 */
export function cliThreads(args: string[], threads: 'split' | 'single'): string {
  const env = {...process.env, PORTLEAK_PARALLEL_MIN: '1000', PORTLEAK_THREADS: threads === 'single' ? '1' : ''}
  const r = spawnSync('node', [cliBin(), ...args], {cwd: ROOT_DIR, env, encoding: 'utf8', timeout: 240_000})
  expect(r.status, r.stderr).toBe(0)
  return r.stdout
}
