import {compact, fit, signed} from './text.js'
import {countSeries, type CountKey, memo, type ProcInfo, SHORT, type ViewModel} from './view-model.js'

/** Orders the process table cycles through with `s`. */
export const SORTS = ['severity', 'ports', 'change', 'pid', 'name'] as const
export type SortMode = (typeof SORTS)[number]

/** What selects and orders the table's rows. */
export type TableQuery = {readonly cursor: number; readonly sort: SortMode; readonly filter: string; readonly flaggedOnly: boolean}

const SPARK = '▁▂▃▄▅▆▇█'

/** Whether a process matches a `/` filter: part of its image name, or its PID (digits match a PID prefix). */
export function matchesFilter(p: ProcInfo, filter: string): boolean {
  const f = filter.trim().toLowerCase()
  if (!f) return true
  if (/^\d+$/.test(f) && String(p.series.pid).startsWith(f)) return true
  return p.label.toLowerCase().includes(f)
}

const portsAt = (p: ProcInfo, c: number) => p.series.ports[c] ?? 0
const changeAt = (p: ProcInfo, c: number) => portsAt(p, c) - (p.series.ports[p.series.first] ?? 0)

/**
 * Indexes (into `vm.procs`) of the rows at the cursor: processes with rows there that pass the
 * filter, ordered. O(P log P) in the processes, memoised for the last query.
 */
export function tableOrder(vm: ViewModel, q: TableQuery): Int32Array {
  const key = `${q.cursor}|${q.sort}|${q.flaggedOnly}|${q.filter}`
  const last = vm.cache.get('order') as {key: string; order: Int32Array} | undefined
  if (last?.key === key) return last.order
  const c = q.cursor
  const rows = vm.procs.filter(
    (p) => p.series.first <= c && c <= p.series.last && (!q.flaggedOnly || p.sevRank < 4) && matchesFilter(p, q.filter),
  )
  const by: Record<SortMode, (a: ProcInfo, b: ProcInfo) => number> = {
    severity: (a, b) => a.sevRank - b.sevRank || portsAt(b, c) - portsAt(a, c),
    ports: (a, b) => portsAt(b, c) - portsAt(a, c) || a.sevRank - b.sevRank,
    change: (a, b) => changeAt(b, c) - changeAt(a, c) || a.sevRank - b.sevRank,
    pid: () => 0,
    name: (a, b) => (a.label.toLowerCase() < b.label.toLowerCase() ? -1 : a.label.toLowerCase() > b.label.toLowerCase() ? 1 : 0),
  }
  rows.sort((a, b) => by[q.sort](a, b) || a.series.pid - b.series.pid || a.index - b.index)
  const order = Int32Array.from(rows, (p) => p.index)
  vm.cache.set('order', {key, order})
  return order
}

/** A sparkline of `values` in `width` characters (max per bucket, scaled to the series' own peak); blank where absent. */
export function sparkline(values: Int32Array, first: number, last: number, width: number): string {
  const n = values.length
  if (n === 0 || width <= 0) return ''
  let top = 0
  for (let i = first; i <= last; i++) top = Math.max(top, values[i] ?? 0)
  let out = ''
  for (let b = 0; b < width; b++) {
    const from = Math.floor((b * n) / width)
    const to = Math.max(from + 1, Math.floor(((b + 1) * n) / width))
    if (to - 1 < first || from > last) {
      out += ' '
      continue
    }
    let m = 0
    for (let i = Math.max(from, first); i < Math.min(to, last + 1); i++) m = Math.max(m, values[i]!)
    out += SPARK[top === 0 ? 0 : Math.round((m / top) * 7)]
  }
  return out
}

/** The bucket of a `width`-character sparkline of `n` values that holds index `i`. */
export const sparkBucket = (i: number, n: number, width: number) => Math.min(width - 1, Math.floor(((i + 0.5) * width) / Math.max(1, n)))

/** A process's sparkline for a series and width, cached. */
export function cachedSpark(vm: ViewModel, p: ProcInfo, name: string, values: Int32Array, width: number): string {
  return memo(vm, `spark:${p.index}:${name}:${width}`, () => sparkline(values, p.series.first, p.series.last, width))
}

/** Column plan of the table for a width: which count columns fit, and the flexible widths. */
export type TableColumns = {readonly image: number; readonly counts: readonly CountKey[]; readonly other: boolean; readonly spark: number}

const FIXED = 2 + 7 + 6 + 7 + 1 + 11 // marker, PID, PORTS, CHG, spark gap, finding

/** Fits the columns into `width`: image ≥ 15, sparkline ≥ 6, then as many count columns as fit. */
export function tableColumns(vm: ViewModel, width: number): TableColumns {
  return memo(vm, `cols:${width}`, () => {
    const room = width - FIXED
    let k = Math.max(0, Math.min(vm.countKeys.length, Math.floor((room - 15 - 6) / 6)))
    const other = k < vm.countKeys.length && k > 0
    if (other) k--
    const left = room - 6 * (k + (other ? 1 : 0))
    const spark = Math.max(6, Math.min(24, Math.floor(left * 0.35)))
    return {image: Math.max(1, left - spark), counts: vm.countKeys.slice(0, k), other, spark}
  })
}

/** One table row: text cells; the sparkline split around the cursor's bucket so it can be highlighted. */
export type TableRow = {
  readonly key: string
  readonly selected: boolean
  readonly sevRank: number
  readonly lead: string
  readonly sparkBefore: string
  readonly sparkAt: string
  readonly sparkAfter: string
  readonly flag: string
}

export type TableView = {readonly heading: string; readonly rows: readonly TableRow[]; readonly count: number}

/** The heading and the visible rows (`top`…`top + height`) at the cursor, `selected` marked: O(visible rows × columns). */
export function deriveTable(vm: ViewModel, q: TableQuery, selected: string | null, top: number, height: number, width: number): TableView {
  const order = tableOrder(vm, q)
  const cols = tableColumns(vm, width)
  const c = q.cursor
  const heading =
    '  ' + fit('PID', 6, 'right') + ' ' + fit('IMAGE', cols.image) +
    cols.counts.map((k) => fit(SHORT[k] ?? k, 6, 'right')).join('') + (cols.other ? fit('OTHER', 6, 'right') : '') +
    fit('PORTS', 6, 'right') + fit('CHG', 7, 'right') + ' ' + fit('TREND', cols.spark) + ' ' + fit('FINDING', 10)
  const rows: TableRow[] = []
  for (let r = top; r < Math.min(order.length, top + height); r++) {
    const p = vm.procs[order[r]!]!
    const s = p.series
    const cell = (k: CountKey) => {
      const v = countSeries(s, k)?.[c] ?? 0
      const attributed = k === 'TIME_WAIT' && (s.timeWaitAttributed[c] ?? 0) > 0
      return fit(v ? `${attributed ? '~' : ''}${compact(v)}` : '·', 6, 'right')
    }
    let other = 0
    if (cols.other) for (const k of vm.countKeys.slice(cols.counts.length)) other += countSeries(s, k)?.[c] ?? 0
    const lead =
      (s.key === selected ? '› ' : '  ') + fit(s.pid < 0 ? '–' : String(s.pid), 6, 'right') + ' ' + fit(p.label, cols.image) +
      cols.counts.map(cell).join('') + (cols.other ? fit(other ? compact(other) : '·', 6, 'right') : '') +
      fit(compact(s.ports[c] ?? 0), 6, 'right') + fit(signed(changeAt(p, c)), 7, 'right') + ' '
    const spark = cachedSpark(vm, p, 'ports', s.ports, cols.spark)
    const b = sparkBucket(c, vm.n, cols.spark)
    rows.push({
      key: s.key, selected: s.key === selected, sevRank: p.sevRank, lead,
      sparkBefore: spark.slice(0, b), sparkAt: spark.slice(b, b + 1), sparkAfter: spark.slice(b + 1),
      flag: ' ' + fit(p.flag, 10),
    })
  }
  return {heading, rows, count: order.length}
}
