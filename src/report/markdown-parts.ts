import {escapeMarkdown, inert} from './escape.js'
import type {Inline} from './prose.js'

/** Markdown building blocks: escaped cells, tables, code spans. */

/**
 * An inline code span its content cannot close; line breaks become spaces. In a table cell a value
 * with a pipe is written as escaped text instead: renderers disagree on pipes inside code spans.
 */
export function mdCode(raw: string, inTable = false): string {
  const text = inert(raw.replace(/[\r\n\t]+/g, ' '))
  if (inTable && text.includes('|')) return escapeMarkdown(text)
  const longest = (text.match(/`+/g) ?? []).reduce((m, r) => Math.max(m, r.length), 0)
  const tick = '`'.repeat(longest + 1)
  const pad = text.startsWith('`') || text.endsWith('`') || text.startsWith(' ') ? ' ' : ''
  return `${tick}${pad}${text}${pad}${tick}`
}

export const md: Inline = {text: escapeMarkdown, code: (raw) => mdCode(raw), strong: (s) => `**${s}**`}

/** A GFM table; `align` per column: `l` or `r`. Cells must already be escaped. */
export function mdTable(head: readonly string[], rows: readonly (readonly string[])[], align?: string): string {
  const sep = head.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'))
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c || ' ').join(' | ')} |`
  return [line(head), line(sep), ...rows.map(line)].join('\n')
}
