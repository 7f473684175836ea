// Each test file's temporary files go under one folder of its own, removed when its tests are done: the
// helpers and the code under test name their folders through os.tmpdir(), which reads TMPDIR each call,
// and the CLI processes the tests start inherit it. Without this every run of the suite left a few
// hundred folders behind.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll} from 'vitest'

const outer = tmpdir()
const root = mkdtempSync(join(outer, 'portleak-vitest-'))
process.env.TMPDIR = root

afterAll(() => {
  process.env.TMPDIR = outer
  rmSync(root, {recursive: true, force: true})
})
