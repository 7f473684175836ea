import {cursorColumn, keepVisible, level, levelWidths} from './chart-model.js'
import {detailLength} from './detail-model.js'
import {layoutFor, type Size} from './layout.js'
import {SORTS, type SortMode, tableOrder} from './table-model.js'
import {procByKey, type ViewModel} from './view-model.js'
import {pidLabel} from '../model/pid-label.js'

export type Pane = 'table' | 'detail'

/** What the body shows: the process table (and details), the diff of two snapshots, or the rows of a process. */
export type BodyView = 'table' | 'diff' | 'rows'

/** Everything the keys change. Pure data: `reduce` is the only way it changes. */
export type ViewState = {
  /** Selected snapshot. */
  readonly cursor: number
  /** Zoom level (0 = whole case) and the first chart column shown at that level. */
  readonly zoom: number
  readonly winStart: number
  readonly yScale: 'range' | 'fit'
  /** Selected process (its key) and its row in the table. */
  readonly selected: string | null
  readonly selIndex: number
  readonly tableTop: number
  readonly sort: SortMode
  readonly filter: string
  /** The filter being typed after `/`, null when not typing. */
  readonly draft: string | null
  readonly flaggedOnly: boolean
  readonly pane: Pane
  readonly detailOpen: boolean
  readonly detailTop: number
  readonly help: boolean
  /** A one-time message for the status bar. */
  readonly note: string | null
  readonly view: BodyView
  /** Diff view: the earlier snapshot (the cursor is the later one). */
  readonly diffBase: number
  /** First line shown of the diff or rows view. */
  readonly paneTop: number
  /** The machine picker is open, its highlighted row, and the machine chosen (null: none yet). */
  readonly picker: boolean
  readonly pickIndex: number
  readonly picked: number | null
  readonly size: Size
  readonly done: boolean
}

export type Action =
  | {readonly type: 'move'; readonly by: number}
  | {readonly type: 'page'; readonly dir: 1 | -1}
  | {readonly type: 'jump'; readonly to: 'start' | 'end'}
  | {readonly type: 'zoom'; readonly dir: 1 | -1}
  | {readonly type: 'select'; readonly by: number}
  | {readonly type: 'open' | 'back' | 'tab' | 'sort' | 'flagged' | 'nextEvent' | 'help' | 'yScale' | 'quit'}
  | {readonly type: 'firstSeen' | 'diff' | 'diffBase' | 'rows' | 'machines' | 'pickApply'}
  | {readonly type: 'pick'; readonly by: number}
  | {readonly type: 'filterStart' | 'filterErase' | 'filterApply' | 'filterCancel'}
  | {readonly type: 'filterType'; readonly text: string}
  | {readonly type: 'resize'; readonly size: Size}

/** The first screen: cursor at the last snapshot (the machine's latest state), the top row selected. */
export function initialState(vm: ViewModel, size: Size, cursor = vm.n - 1, picker = false): ViewState {
  const s: ViewState = {
    cursor: Math.max(0, Math.min(vm.n - 1, cursor)), zoom: 0, winStart: 0,
    yScale: vm.peak >= vm.range * 0.25 ? 'range' : 'fit',
    selected: null, selIndex: 0, tableTop: 0, sort: 'severity', filter: '', draft: null, flaggedOnly: false,
    pane: 'table', detailOpen: false, detailTop: 0, help: false, note: null, view: 'table', diffBase: 0, paneTop: 0,
    picker: picker && vm.machines.rows.length > 1, pickIndex: vm.machines.index, picked: null, size, done: false,
  }
  return settle(vm, s)
}

/** Whether the table is on screen (beside the detail pane, or instead of it). */
export const tableShown = (s: ViewState) => layoutFor(s.size, s.detailOpen).split || !(s.detailOpen && s.pane === 'detail')

/** Restores the invariants after any change: cursor in range, cursor column visible, selection and scroll valid. */
function settle(vm: ViewModel, s: ViewState): ViewState {
  const layout = layoutFor(s.size, s.detailOpen)
  const cursor = Math.max(0, Math.min(vm.n - 1, s.cursor))
  const zoom = Math.max(0, Math.min(levelWidths(vm, layout.plotWidth).length - 1, s.zoom))
  const lv = level(vm, layout.plotWidth, zoom)
  const winStart = keepVisible(s.winStart, cursorColumn(vm, lv, cursor), layout.plotWidth, lv.total)
  const order = tableOrder(vm, {cursor, sort: s.sort, filter: s.filter, flaggedOnly: s.flaggedOnly})
  const procIndex = procByKey(vm, s.selected)?.index
  let selIndex = procIndex === undefined ? -1 : order.indexOf(procIndex)
  let selected = s.selected
  if (selIndex < 0 && !(s.detailOpen && selected !== null)) {
    selIndex = order.length ? Math.max(0, Math.min(order.length - 1, s.selIndex)) : 0
    selected = order.length ? vm.procs[order[selIndex]!]!.series.key : null
  }
  const visible = Math.max(1, layout.bodyRows - 1)
  const anchor = selIndex < 0 ? s.selIndex : selIndex
  let tableTop = Math.max(0, Math.min(s.tableTop, Math.max(0, order.length - visible)))
  if (anchor < tableTop) tableTop = anchor
  else if (anchor >= tableTop + visible) tableTop = anchor - visible + 1
  const proc = procByKey(vm, selected)
  const maxTop = proc ? Math.max(0, detailLength(vm, proc) - layout.bodyRows) : 0
  const machines = vm.machines.rows.length
  return {
    ...s, cursor, zoom, winStart, selected, selIndex: selIndex < 0 ? s.selIndex : selIndex, tableTop,
    detailTop: Math.max(0, Math.min(maxTop, s.detailTop)), paneTop: Math.max(0, s.paneTop),
    diffBase: Math.max(0, Math.min(vm.n - 1, s.diffBase)), pickIndex: Math.max(0, Math.min(machines - 1, s.pickIndex)),
  }
}

/** Next snapshot with an event marker after the cursor (wrapping), or null when the case has none. */
function nextEvent(vm: ViewModel, cursor: number): number | null {
  if (vm.events.length === 0) return null
  const after = vm.events.find((e) => Math.max(0, e.snapshot) > cursor) ?? vm.events[0]!
  return Math.max(0, after.snapshot)
}

function change(vm: ViewModel, s: ViewState, a: Action): ViewState {
  const page = Math.max(1, Math.round(vm.n * 0.1))
  switch (a.type) {
    case 'move':
      return {...s, cursor: s.cursor + a.by}
    case 'page':
      return {...s, cursor: s.cursor + a.dir * page}
    case 'jump':
      return {...s, cursor: a.to === 'start' ? 0 : vm.n - 1}
    case 'zoom': {
      const {plotWidth} = layoutFor(s.size, s.detailOpen)
      const widths = levelWidths(vm, plotWidth)
      const zoom = Math.max(0, Math.min(widths.length - 1, s.zoom + a.dir))
      if (zoom === s.zoom) return {...s, note: a.dir > 0 ? 'zoomed in fully: one snapshot per column' : 'showing the whole case'}
      // keep the cursor where it is on screen
      const pos = cursorColumn(vm, level(vm, plotWidth, s.zoom), s.cursor) - s.winStart
      return {...s, zoom, winStart: cursorColumn(vm, level(vm, plotWidth, zoom), s.cursor) - pos}
    }
    case 'select':
      if (s.view !== 'table') return {...s, paneTop: s.paneTop + a.by}
      if (s.detailOpen && s.pane === 'detail') return {...s, detailTop: s.detailTop + a.by}
      return {...s, selIndex: Math.max(0, s.selIndex + a.by), selected: pick(vm, s, s.selIndex + a.by), detailTop: 0}
    case 'open':
      return s.selected === null ? s : {...s, detailOpen: true, pane: 'detail', detailTop: 0}
    case 'back':
      if (s.help) return {...s, help: false}
      if (s.picker) return {...s, picker: false}
      if (s.view !== 'table') return {...s, view: 'table'}
      if (s.detailOpen) return {...s, detailOpen: false, pane: 'table'}
      return s.filter ? {...s, filter: '', note: 'filter cleared'} : s
    case 'tab':
      if (s.selected === null) return s
      if (s.detailOpen && s.pane === 'detail') return {...s, pane: 'table'}
      return {...s, detailOpen: true, pane: 'detail', detailTop: s.detailOpen && layoutFor(s.size, true).split ? s.detailTop : 0}
    case 'sort':
      return {...s, sort: SORTS[(SORTS.indexOf(s.sort) + 1) % SORTS.length]!, note: null}
    case 'flagged':
      return {...s, flaggedOnly: !s.flaggedOnly}
    case 'nextEvent': {
      const to = nextEvent(vm, s.cursor)
      return to === null ? {...s, note: 'no event markers in this case'} : {...s, cursor: to}
    }
    case 'help':
      return {...s, help: !s.help}
    case 'yScale':
      return {...s, yScale: s.yScale === 'range' ? 'fit' : 'range'}
    case 'quit':
      return {...s, done: true}
    case 'filterStart':
      return {...s, draft: s.filter}
    case 'filterType':
      return {...s, draft: (s.draft ?? '') + a.text}
    case 'filterErase':
      return {...s, draft: (s.draft ?? '').slice(0, -1)}
    case 'filterApply':
      return {...s, filter: (s.draft ?? '').trim(), draft: null, selIndex: 0, selected: null, tableTop: 0}
    case 'filterCancel':
      return {...s, draft: null}
    case 'resize':
      return {...s, size: a.size}
    default:
      return changeViews(vm, s, a)
  }
}

/** The keys of the views added to the table: first appearance, diff, rows, machine picker. */
function changeViews(vm: ViewModel, s: ViewState, a: Action): ViewState {
  switch (a.type) {
    case 'firstSeen': {
      const p = procByKey(vm, s.selected)
      if (!p) return {...s, note: 'select a process first'}
      const first = p.series.seenFirst ?? p.series.first
      return {...s, cursor: first, note: `${p.label} (${pidLabel(p.series.pid, p.label)}) first has rows at #${first + 1}`}
    }
    case 'diff':
      if (s.view === 'diff') return {...s, view: 'table'}
      if (vm.n < 2) return {...s, note: 'a diff needs two snapshots; this case has one'}
      // the snapshot before the cursor (or the first two when the cursor is on the first)
      return {...s, view: 'diff', paneTop: 0, diffBase: Math.max(0, s.cursor - 1), cursor: Math.max(1, s.cursor)}
    case 'diffBase':
      return s.view === 'diff' ? {...s, diffBase: s.cursor, paneTop: 0, note: `diff from #${s.cursor + 1}: move the cursor to the later snapshot`} : s
    case 'rows':
      if (s.view === 'rows') return {...s, view: 'table'}
      return s.selected === null ? {...s, note: 'select a process first'} : {...s, view: 'rows', paneTop: 0}
    case 'machines':
      if (vm.machines.rows.length < 2) return {...s, note: 'one machine in this upload'}
      return {...s, picker: !s.picker, pickIndex: vm.machines.index}
    case 'pick':
      return {...s, pickIndex: s.pickIndex + a.by}
    case 'pickApply':
      return s.pickIndex === vm.machines.index ? {...s, picker: false} : {...s, picker: false, picked: s.pickIndex}
    default:
      return s
  }
}

/** Key of the process at a table row (clamped), for ↑/↓. */
function pick(vm: ViewModel, s: ViewState, row: number): string | null {
  const order = tableOrder(vm, {cursor: s.cursor, sort: s.sort, filter: s.filter, flaggedOnly: s.flaggedOnly})
  if (order.length === 0) return s.selected
  const i = Math.max(0, Math.min(order.length - 1, row))
  return vm.procs[order[i]!]!.series.key
}

/** The state after an action: pure, O(processes log processes) at worst (the table order at the cursor). */
export function reduce(vm: ViewModel, s: ViewState, a: Action): ViewState {
  const next = change(vm, s.note ? {...s, note: null} : s, a)
  return next === s ? s : settle(vm, next)
}
