import {escapeHtml, escapeHtmlBlock} from './escape.js'
import type {Inline} from './prose.js'

/** HTML building blocks. Strings passed as `Cell.html` must already be escaped. */

export const html: Inline = {
  text: escapeHtml,
  code: (raw) => `<code>${escapeHtml(raw)}</code>`,
  strong: (s) => `<strong>${s}</strong>`,
}

/** A table cell: escaped HTML, and a number to sort by (numeric columns). */
export type Cell = {readonly html: string; readonly v?: number | null; readonly cls?: string}

/** Escaped text cell. */
export const text = (raw: string, cls?: string): Cell => (cls ? {html: escapeHtml(raw), cls} : {html: escapeHtml(raw)})
/** Right-aligned number cell with its sort key. */
export const numCell = (shown: string, v: number | null | undefined): Cell => ({html: escapeHtml(shown), v: v ?? null, cls: 'num'})

export type Column = {readonly label: string; readonly num?: boolean}

/** Columns from labels; a `:n` suffix marks a right-aligned numeric column. */
export const columns = (...labels: string[]): Column[] =>
  labels.map((l) => (l.endsWith(':n') ? {label: l.slice(0, -2), num: true} : {label: l}))

/** A table; `sortable` adds click-to-sort headers (needs the page script, works as a plain table without). */
export function table(columns: readonly Column[], rows: readonly (readonly Cell[])[], sortable = true): string {
  const head = columns.map((c) => `<th${c.num ? ' class="num"' : ''} scope="col">${escapeHtml(c.label)}</th>`).join('')
  const body = rows
    .map((r) => {
      const cells = r.map((c) => {
        const attrs = `${c.cls ? ` class="${c.cls}"` : ''}${c.v !== undefined && c.v !== null && Number.isFinite(c.v) ? ` data-v="${c.v}"` : ''}`
        return `<td${attrs}>${c.html}</td>`
      })
      return `<tr>${cells.join('')}</tr>`
    })
    .join('\n')
  return `<table${sortable ? ' class="sortable"' : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`
}

/** Preformatted text (evidence rows, scripts), escaped. */
export const pre = (raw: string): string => `<pre>${escapeHtmlBlock(raw)}</pre>`

/** `<ul>`/`<ol>` of already-formatted items. */
export const list = (items: readonly string[], ordered = false): string => {
  const tag = ordered ? 'ol' : 'ul'
  return `<${tag}>${items.map((i) => `<li>${i}</li>`).join('')}</${tag}>`
}

/** A section with an id (for the table of contents) and a heading. */
export const section = (id: string, title: string, body: string): string =>
  `<section id="${id}">\n<h2>${escapeHtml(title)}</h2>\n${body}\n</section>`
