import {describe, expect, it} from 'vitest'

import type {Analysis, ProcessSeries} from '../../src/model/types.js'
import {deriveChart} from '../../src/tui/chart-model.js'
import {deriveDetail} from '../../src/tui/detail-model.js'
import {layoutFor} from '../../src/tui/layout.js'
import {deriveTable} from '../../src/tui/table-model.js'
import {buildViewModel, procByKey} from '../../src/tui/view-model.js'
import {type Action, initialState, reduce, type ViewState} from '../../src/tui/view-state.js'
import {makeFixtureAnalysis} from '../fixtures/analysis-fixture.js'

/** The fixture stretched to `n` snapshots, plus short- and long-lived processes up to `total`. */
function bigCase(n: number, total: number): Analysis {
  const a = makeFixtureAnalysis({snapshots: n})
  const extra: ProcessSeries[] = []
  for (let k = a.timeline.processes.length; k < total; k++) {
    const first = (k * 37) % Math.floor(n / 2)
    const last = k % 3 === 0 ? n - 1 : Math.min(n - 1, first + 500 + ((k * 101) % n))
    const est = new Int32Array(n)
    const tw = new Int32Array(n)
    for (let i = first; i <= last; i++) {
      est[i] = 5 + ((i * k) % 17)
      tw[i] = (i + k) % 9
    }
    const pid = 10_000 + k * 4
    extra.push({
      key: `${pid}|worker${k}.exe`, pid, name: `worker${k}.exe`, first, last,
      byState: {ESTABLISHED: est, TIME_WAIT: tw}, timeWaitAttributed: tw, udp: new Int32Array(n), ports: est, ephemeral: est,
    })
  }
  return {...a, timeline: {...a.timeline, processes: [...a.timeline.processes, ...extra]}}
}

describe('timeline view on a large case', () => {
  it('moves the cursor (state update, table, chart, details) in well under 50 ms on 10,000 snapshots × 200 processes', () => {
    const vm = buildViewModel(bigCase(10_000, 200))
    expect(vm.procs).toHaveLength(200)
    const size = {columns: 160, rows: 50}
    let s: ViewState = reduce(vm, initialState(vm, size, 5000), {type: 'open'})
    const frame = (st: ViewState) => {
      const layout = layoutFor(st.size, st.detailOpen)
      const q = {cursor: st.cursor, sort: st.sort, filter: st.filter, flaggedOnly: st.flaggedOnly}
      deriveTable(vm, q, st.selected, st.tableTop, layout.bodyRows - 1, layout.tableWidth)
      deriveChart(vm, st, layout)
      deriveDetail(vm, procByKey(vm, st.selected)!, st.cursor, layout.detailWidth)
    }
    // first frame fills the per-level columns and the visible sparklines, once
    frame(s)
    const moves: Action[] = [
      {type: 'move', by: 1}, {type: 'move', by: -1}, {type: 'page', dir: 1}, {type: 'move', by: 1}, {type: 'page', dir: -1},
    ]
    const times = moves.map((a) => {
      const t0 = performance.now()
      s = reduce(vm, s, a)
      frame(s)
      return performance.now() - t0
    })
    times.sort((a, b) => a - b)
    expect(times[2]).toBeLessThan(50)
  })
})
