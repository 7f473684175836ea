/**
 * Escaping for every string that comes from the input (process names, paths, messages, host names).
 * Renderers never interpolate an input string without one of these.
 */

const HTML: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}

/** Escapes text for HTML element content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML[c]!)
}

/**
 * Escapes text for inline markdown (GitHub, Azure DevOps): entities for `&<>`, backslashes for the
 * punctuation that starts emphasis, links, code, tables and strikethrough, and for what would start a
 * block (heading, list, quote) at the beginning of the value. URLs, `www.` and e-mail addresses are
 * broken up with escapes so GFM does not turn them into links. Line breaks become spaces, so one value
 * never breaks a table row or starts a block.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/[&<>]/g, (c) => HTML[c]!)
    .replace(/:\/\//g, ':\\/\\/')
    .replace(/@/g, '\\@')
    .replace(/\b(www)\./gi, '$1\\.')
    .replace(/^(\s*)([#+=-])(?=\s|$|[#+=-]*\s*$)/, '$1\\$2')
    .replace(/^(\s*\d{1,9})([.)])(?=\s|$)/, '$1\\$2')
}

/**
 * A fenced code block that its content cannot close: the fence is longer than any backtick run inside.
 * Control characters other than tab are shown as `?` so a terminal or renderer never interprets them.
 */
export function markdownFence(content: string, lang = ''): string {
  const runs = content.match(/`+/g) ?? []
  const longest = runs.reduce((max, run) => Math.max(max, run.length), 0)
  const fence = '`'.repeat(Math.max(3, longest + 1))
  const safe = content.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '?')
  return `${fence}${lang}\n${safe}\n${fence}`
}

/** Removes control characters (keeps tab and newline) from a value shown inside HTML `<pre>`. */
export function stripControls(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '?')
}
