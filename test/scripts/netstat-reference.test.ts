import {spawnSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {loopText, tempFiles} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'

const ROOT_DIR = new URL('../../', import.meta.url).pathname
const bin = join(mkdtempSync(join(tmpdir(), 'portleak-ref-')), 'netstat-reference')
const built = spawnSync('cc', ['-O2', '-o', bin, join(ROOT_DIR, 'bench/netstat-reference.c')], {encoding: 'utf8'})
const hasCc = !built.error && built.status === 0

describe('bench/netstat-reference.c: the C yardstick of bench --stages', () => {
  it.skipIf(!hasCc)(`reads every row and snapshot of a loop, as portleak counts them${hasCc ? '' : ' (skipped: no C compiler)'}`, () => {
    const text = loopText({...SCENARIOS.boundLeak, snapshots: 12})
    const [file] = tempFiles({'loop.txt': text})
    const out = JSON.parse(spawnSync(bin, [file!], {encoding: 'utf8'}).stdout)
    const rows = text.split('\n').filter((l) => /^\s*(TCP|UDP)\s/.test(l)).length
    expect(out.bytes).toBe(Buffer.byteLength(text))
    expect(out.rows).toBe(rows)
    // One snapshot per stamp line, and the one the end closes (empty before the first stamp).
    expect(out.snapshots).toBe(12 + 1)
    // The MEGABYTES argument reads only the file's start.
    expect(JSON.parse(spawnSync(bin, [file!, '0.01'], {encoding: 'utf8'}).stdout).bytes).toBe(10_000)
  })
})
