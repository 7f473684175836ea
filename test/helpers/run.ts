import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

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
