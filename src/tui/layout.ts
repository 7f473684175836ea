/** Screen regions for a terminal size. Every frame is exactly `rows - 1` lines of `columns` columns. */

export type Size = {readonly columns: number; readonly rows: number}

export type Layout = {
  readonly columns: number
  readonly rows: number
  /** Lines of bars in the chart (plus an info line above, an axis and a label line below). */
  readonly chartHeight: number
  /** Columns of the y labels and axis left of the plot. */
  readonly gutter: number
  readonly plotWidth: number
  /** Lines of the table or detail pane, their heading included. */
  readonly bodyRows: number
  /** The detail pane sits beside the table (wide terminals) instead of replacing it. */
  readonly split: boolean
  readonly tableWidth: number
  readonly detailWidth: number
  /** Below the minimum size: the screen says so instead of drawing. */
  readonly tooSmall: boolean
}

export const MIN_SIZE: Size = {columns: 40, rows: 14}
export const GUTTER = 7
/** Header (2), chart info, axis and labels (3), status bar (1), and the line ink keeps free below a frame. */
const FIXED_ROWS = 7

/** The regions for a terminal of `size`; `detailOpen` decides whether the body is split. */
export function layoutFor(size: Size, detailOpen: boolean): Layout {
  const columns = Math.max(1, Math.floor(size.columns))
  const rows = Math.max(1, Math.floor(size.rows))
  const tooSmall = columns < MIN_SIZE.columns || rows < MIN_SIZE.rows
  const free = Math.max(0, rows - FIXED_ROWS)
  const chartHeight = Math.max(2, Math.min(14, Math.round((rows - 1) * 0.26), free - 4))
  const bodyRows = Math.max(1, free - chartHeight)
  const split = detailOpen && columns >= 130
  const detailWidth = split ? Math.max(50, Math.floor(columns * 0.4)) : columns
  const tableWidth = split ? columns - detailWidth - 1 : columns
  const plotWidth = Math.max(1, columns - GUTTER)
  return {columns, rows, chartHeight, gutter: GUTTER, plotWidth, bodyRows, split, tableWidth, detailWidth, tooSmall}
}
