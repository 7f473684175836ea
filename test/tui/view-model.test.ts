import {afterEach, describe, expect, it} from 'vitest'

import type {Analysis, ProcessSeries} from '../../src/model/types.js'
import {cursorColumn, deriveChart, level, levelWidths} from '../../src/tui/chart-model.js'
import {keyAction, NO_KEY, splitKeys} from '../../src/tui/keymap.js'
import {layoutFor} from '../../src/tui/layout.js'
import {deriveTable, matchesFilter, tableOrder} from '../../src/tui/table-model.js'
import {displayWidth, fit} from '../../src/tui/text.js'
import {colorTheme, plainTheme, themeFor} from '../../src/tui/theme.js'
import {formatWall, timeTicks} from '../../src/tui/time-format.js'
import {findingMatches} from '../../src/analysis/finding-process.js'
import {buildViewModel, cursorTime} from '../../src/tui/view-model.js'
import {initialState, reduce} from '../../src/tui/view-state.js'
import {FIXTURE, makeFixtureAnalysis} from '../fixtures/analysis-fixture.js'

const T0 = Date.UTC(2026, 0, 14, 7, 0, 0)
const MIN = 60_000
const SIZE = {columns: 100, rows: 30}
const W = layoutFor(SIZE, false).plotWidth
const pidsOf = (vm: ReturnType<typeof buildViewModel>, order: Int32Array) => Array.from(order, (i) => vm.procs[i]!.series.pid)
const colAt = (vm: ReturnType<typeof buildViewModel>, k: number, t: number) => Math.floor((t - vm.xMin) / level(vm, W, k).w)

describe('buildViewModel', () => {
  const vm = buildViewModel(makeFixtureAnalysis())

  it('flags each process with its worst finding, matching PIDs and image names', () => {
    const flag = (pid: number) => vm.procs.find((p) => p.series.pid === pid)!.flag
    expect(flag(FIXTURE.leaky.pid)).toBe('crit BOUND')
    expect(flag(FIXTURE.w3wp.pids[0])).toBe('high CLOSW')
    expect(flag(FIXTURE.w3wp.pids[1])).toBe('high CLOSW')
    expect(flag(FIXTURE.svchost.pid)).toBe('')
    const leak = vm.analysis.document.findings[0]!
    const reused = {...vm.procs[2]!.series, name: 'notepad.exe'} satisfies ProcessSeries
    expect(findingMatches(leak, vm.procs[2]!.series)).toBe(true)
    expect(findingMatches(leak, reused)).toBe(false)
  })

  it('orders the count columns by the states that hold ports, UDP last', () => {
    expect(vm.countKeys).toEqual(['BOUND', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'LISTENING', 'UDP'])
  })

  it('zooms from the whole case in halves down to one snapshot per column', () => {
    const widths = levelWidths(vm, W)
    expect(widths[0]).toBeCloseTo((314 * MIN + MIN) / W)
    expect(widths.at(-1)).toBe(MIN)
    for (let k = 1; k < widths.length - 1; k++) expect(widths[k]).toBeCloseTo(widths[k - 1]! / 2)
    expect(level(vm, W, 0).total).toBe(W)
  })

  it('draws the 15-minute pause in sampling as a gap, never bridged', () => {
    const k = levelWidths(vm, W).length - 1
    const lv = level(vm, W, k)
    const before = colAt(vm, k, T0 + 200 * MIN)
    const after = colAt(vm, k, T0 + 216 * MIN)
    expect(lv.val[before]).toBeGreaterThan(0)
    expect(lv.val[after]).toBeGreaterThan(0)
    for (let c = before + 1; c < after; c++) expect(lv.val[c]).toBe(-1)
    expect(Array.from(level(vm, W, 0).val).filter((v) => v === -1).length).toBeGreaterThan(0)
  })

  it('shows only sampled values: every column holds one snapshot value or is a gap', () => {
    const seen = new Set(vm.analysis.timeline.ephemeralInUse)
    for (const k of [0, levelWidths(vm, W).length - 1]) {
      for (const v of level(vm, W, k).val) if (v !== -1) expect(seen.has(v)).toBe(true)
    }
  })

  it('treats a snapshot of unknown time as a gap and keeps the cursor with the snapshot before it', () => {
    const vmNull = buildViewModel(makeFixtureAnalysis({nullTimes: [50]}))
    const k = levelWidths(vmNull, W).length - 1
    const lv = level(vmNull, W, k)
    expect(lv.val[colAt(vmNull, k, T0 + 50 * MIN)]).toBe(-1)
    expect(lv.val[colAt(vmNull, k, T0 + 49 * MIN)]).toBeGreaterThan(0)
    expect(cursorTime(vmNull, 50)).toBe('time unknown')
    expect(cursorColumn(vmNull, lv, 50)).toBe(cursorColumn(vmNull, lv, 49))
  })

  it('falls back to snapshot numbers when no snapshot has a time', () => {
    const a = makeFixtureAnalysis({snapshots: 40, gapAfter: null})
    const untimed: Analysis = {...a, timeline: {...a.timeline, times: a.timeline.times.map(() => null)}}
    const vmU = buildViewModel(untimed)
    expect(vmU.timed).toBe(false)
    const chart = deriveChart(vmU, {cursor: 39, zoom: 0, winStart: 0, yScale: 'range'}, layoutFor(SIZE, false))
    expect(chart.labels).toMatch(/#1 .*#\d+/)
    expect(Array.from(level(vmU, W, 0).val)).not.toContain(-1)
  })

  it('labels the time axis with the year when the case spans a new year', () => {
    const a = makeFixtureAnalysis()
    const shift = Date.UTC(2025, 11, 31, 22, 0) - T0
    const vmY = buildViewModel({...a, timeline: {...a.timeline, times: a.timeline.times.map((t) => (t === null ? null : t + shift))}})
    expect(vmY.multiYear).toBe(true)
    const chart = deriveChart(vmY, {cursor: 0, zoom: 0, winStart: 0, yScale: 'range'}, layoutFor(SIZE, false))
    expect(chart.labels).toMatch(/2026-01-01 \d\d:\d\d/)
    expect(vm.multiYear).toBe(false)
  })
})

describe('formatWall', () => {
  const tz = process.env.TZ
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ
    else process.env.TZ = tz
  })

  it('prints the wall clock as written whatever the local time zone, DST gaps included', () => {
    // 02:30 on 2026-03-08 does not exist in New York, nor on 2026-03-29 in Berlin
    for (const zone of ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'UTC']) {
      process.env.TZ = zone
      // the zone really applies (otherwise this test would prove nothing)
      if (zone === 'Asia/Kolkata') expect(new Date(Date.UTC(2026, 0, 1)).getHours()).toBe(5)
      expect(formatWall(Date.UTC(2026, 2, 8, 2, 30, 5), 'yyyy-MM-dd HH:mm:ss')).toBe('2026-03-08 02:30:05')
      expect(formatWall(Date.UTC(2026, 2, 29, 2, 30), 'EEE HH:mm')).toBe('Sun 02:30')
    }
  })

  it('picks round, non-overlapping tick steps aligned to the clock', () => {
    const ticks = timeTicks(Date.UTC(2026, 0, 14, 7, 3), MIN, 90, false)
    expect(ticks.map((t) => t.label)).toEqual(['07:10', '07:20', '07:30', '07:40', '07:50', '08:00', '08:10', '08:20', '08:30'])
    expect(ticks[0]!.col).toBe(7)
  })
})

describe('process table', () => {
  const vm = buildViewModel(makeFixtureAnalysis())
  const q = {cursor: 299, sort: 'severity', filter: '', flaggedOnly: false} as const

  it('orders by severity then ports held, and narrows to flagged processes or a filter', () => {
    expect(pidsOf(vm, tableOrder(vm, q))).toEqual([4312, 6244, 1876, 4])
    expect(pidsOf(vm, tableOrder(vm, {...q, sort: 'ports'}))).toEqual([4312, 6244, 1876, 4])
    expect(pidsOf(vm, tableOrder(vm, {...q, cursor: 0, sort: 'ports'}))).toEqual([1876, 4312, 5120, 4])
    expect(pidsOf(vm, tableOrder(vm, {...q, flaggedOnly: true}))).toEqual([4312, 6244])
    expect(pidsOf(vm, tableOrder(vm, {...q, filter: 'W3WP'}))).toEqual([6244])
    expect(pidsOf(vm, tableOrder(vm, {...q, filter: '18'}))).toEqual([1876])
    expect(matchesFilter(vm.procs[0]!, '')).toBe(true)
  })

  it('derives rows of exactly the table width, marking attributed TIME_WAIT with ~', () => {
    for (const width of [80, 100, 160]) {
      const t = deriveTable(vm, q, vm.procs[2]!.series.key, 0, 10, width)
      expect(displayWidth(t.heading)).toBe(width)
      for (const r of t.rows) expect(displayWidth(r.lead + r.sparkBefore + r.sparkAt + r.sparkAfter + r.flag)).toBe(width)
    }
    const rows = deriveTable(vm, q, vm.procs[2]!.series.key, 0, 10, 100).rows
    expect(rows.find((r) => r.key.startsWith('1876'))!.lead).toMatch(/~\d+/)
    expect(rows[0]!.lead.startsWith('› ')).toBe(true)
  })
})

describe('view state', () => {
  const vm = buildViewModel(makeFixtureAnalysis())

  it('keeps the cursor at the same screen column when zooming in', () => {
    const s = initialState(vm, SIZE, 150)
    const pos = (x: typeof s) => cursorColumn(vm, level(vm, W, x.zoom), x.cursor) - x.winStart
    const z = reduce(vm, s, {type: 'zoom', dir: 1})
    expect(z.zoom).toBe(1)
    expect(pos(z)).toBe(pos(s))
    expect(reduce(vm, z, {type: 'zoom', dir: -1}).winStart).toBe(0)
  })

  it('maps keys to actions, and typing after / to the filter', () => {
    const s = initialState(vm, SIZE)
    expect(keyAction('', {...NO_KEY, rightArrow: true, shift: true}, s)).toEqual({type: 'page', dir: 1})
    expect(keyAction('', {...NO_KEY, pageUp: true}, s)).toEqual({type: 'page', dir: -1})
    expect(keyAction('Z', {...NO_KEY, shift: true}, s)).toEqual({type: 'zoom', dir: -1})
    const typing = reduce(vm, s, {type: 'filterStart'})
    expect(keyAction('q', NO_KEY, typing)).toEqual({type: 'filterType', text: 'q'})
    expect(keyAction('q', NO_KEY, s)).toEqual({type: 'quit'})
    const keys = splitKeys('/svc\r', NO_KEY)
    expect(keys.map(([input]) => input)).toEqual(['/', 's', 'v', 'c', ''])
    expect(keys[4]![1].return).toBe(true)
    const altZ = splitKeys('z', {...NO_KEY, meta: true})
    expect(altZ.map(([input, k]) => [input, k.escape])).toEqual([['', true], ['z', false]])
  })

  it('picks the theme from NO_COLOR, FORCE_COLOR and the terminal', () => {
    const tty = {isTTY: true, hasColors: () => true}
    expect(themeFor({NO_COLOR: '1', FORCE_COLOR: '3'}, tty)).toBe(plainTheme)
    expect(themeFor({FORCE_COLOR: '0'}, tty)).toBe(plainTheme)
    expect(themeFor({}, tty)).toBe(colorTheme)
    expect(themeFor({}, {isTTY: false, hasColors: () => true})).toBe(plainTheme)
    expect(Object.values(plainTheme.styles).every((st) => Object.keys(st).length === 0)).toBe(true)
  })

  it('fits wide characters by display columns', () => {
    expect(displayWidth(fit('サーバー管理.exe', 9))).toBe(9)
    expect(fit('a\u001B[31mb', 7)).toBe('a?[31mb')
    expect(fit('LeakyAgent.exe', 8)).toBe('LeakyAg…')
  })
})
