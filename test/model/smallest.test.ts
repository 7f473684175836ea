import {fc, test} from '@fast-check/vitest'
import {describe, expect} from 'vitest'

import {smallest} from '../../src/model/timeline.js'

describe('the k smallest keys (the series budget tie-break)', () => {
  test.prop([fc.uniqueArray(fc.string({maxLength: 8}), {maxLength: 300}), fc.nat({max: 320})])('are the first k of the keys sorted, in order', (keys, k) => {
    const items = Int32Array.from(keys, (_, i) => i)
    const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    expect(smallest(items, k, (i) => keys[i]!)).toEqual(sorted.slice(0, k))
  })

  test.prop([fc.uniqueArray(fc.nat({max: 5_000_000}), {minLength: 1, maxLength: 2000}), fc.integer({min: 1, max: 50})])('order PID keys as text, as the series keys do', (pids, k) => {
    const key = (pid: number) => `${pid}|svc.exe`
    const got = smallest(Int32Array.from(pids), k, key)
    expect(got).toEqual(pids.map(key).sort().slice(0, k))
  })
})
