import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {describe, expect, it} from 'vitest'

import Report from '../../src/commands/report.js'
import {restoreProcessAfterEach} from '../helpers/commands.js'

const config = await Config.load(import.meta.url)
const LOOP = fileURLToPath(new URL('../../corpus/netstat/loop-junk-truncated.txt', import.meta.url))

restoreProcessAfterEach()

describe('report --as and the deprecated --format md|html', () => {
  it('writes the same report for --format html as for --as html, with a deprecation note on stderr', async () => {
    const as = await captureOutput(() => Report.run([LOOP, '-o', '-', '--as', 'html'], config))
    const old = await captureOutput(() => Report.run([LOOP, '-o', '-', '--format', 'html'], config))
    expect(as.error).toBeUndefined()
    expect(old.error).toBeUndefined()
    expect(as.stdout).toMatch(/^<!DOCTYPE html>/i)
    expect(old.stdout).toBe(as.stdout)
    expect(as.stderr).not.toMatch(/deprecated/)
    // One line, in oclif's layout, however long (oclif's own printer wraps at 74 columns).
    expect(old.stderr).toMatch(/^ ›   Warning: --format html is deprecated .*use --as html \(--format names input formats\)$/m)
  })

  it('still reads --format as an input format id when it is not md or html, without a note', async () => {
    const out = await captureOutput(() => Report.run([LOOP, '-o', '-', '--format', 'netstat'], config))
    expect(out.error).toBeUndefined()
    expect(out.stdout).toMatch(/^# /)
    expect(out.stderr).not.toMatch(/deprecated/)
  })
})
