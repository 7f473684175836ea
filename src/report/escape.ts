/**
 * Escaping for every string that comes from the input (process names, paths, messages, host names).
 * Renderers never interpolate an input string without one of these.
 *
 * The one rule for making input inert, whatever the output: control characters (C0, DEL, C1 including
 * the 8-bit CSI U+009B), bidi controls (U+200E/U+200F, U+061C, U+202A–U+202E, U+2066–U+2069) and the
 * line breaks U+2028/U+2029 never leave the process raw. Text outputs show them as visible escapes
 * (`\x1b`, `\u202e`, `\n`), so a value can neither drive a terminal, reorder what is shown, nor start a
 * line of its own; JSON outputs write them as JSON `\u` escapes (same value once parsed).
 */

/** Every character that {@link inert} shows as an escape. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
/** The same without tab and line feed, for multi-line blocks this program lays out itself. */
const UNSAFE_IN_BLOCK = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
/** What JSON.stringify leaves raw of the above: DEL, C1, bidi controls, U+2028/U+2029. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const SHORT: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}

function visible(c: string): string {
  const short = SHORT[c]
  if (short) return short
  const code = c.charCodeAt(0)
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** One input value made inert for any text output: every unsafe character (line breaks included) shown as an escape. */
export function inert(text: string): string {
  return text.replace(UNSAFE, visible)
}

/** {@link inert} for a block laid out by this program: its tabs and line feeds stay, every other unsafe character is shown. */
export function inertLines(text: string): string {
  return text.replace(UNSAFE_IN_BLOCK, visible)
}

/** Serialized JSON with the unsafe characters JSON.stringify leaves raw written as `\uXXXX` (still valid JSON, same values). */
export function inertJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * A copy of a plain value (objects, arrays, strings) with {@link inert} applied to every string, keys
 * included; parts without unsafe characters are shared, not copied. Typed arrays and other objects pass as they are.
 */
export function inertDeep<T>(value: T): T {
  if (typeof value === 'string') return inert(value) as T
  if (Array.isArray(value)) {
    let changed = false
    const out = value.map((v) => {
      const w = inertDeep(v)
      if (w !== v) changed = true
      return w
    })
    return (changed ? out : value) as T
  }
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value
  let changed = false
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    const key = inert(k)
    const w = inertDeep(v)
    if (w !== v || key !== k) changed = true
    out[key] = w
  }
  return (changed ? out : value) as T
}

const HTML: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}

/** Escapes one value for HTML element content and quoted attribute values alike (made {@link inert} first). */
export function escapeHtml(text: string): string {
  return inert(text).replace(/[&<>"']/g, (c) => HTML[c]!)
}

/** Escapes a multi-line block for HTML `<pre>`: its line feeds and tabs stay ({@link inertLines}). */
export function escapeHtmlBlock(text: string): string {
  return inertLines(text).replace(/[&<>"']/g, (c) => HTML[c]!)
}

/**
 * Escapes text for inline markdown (GitHub, Azure DevOps): entities for `&<>`, backslashes for the
 * punctuation that starts emphasis, links, code, tables and strikethrough, and for what would start a
 * block (heading, list, quote) at the beginning of the value. URLs, `www.` and e-mail addresses are
 * broken up with escapes so GFM does not turn them into links. Line breaks become spaces, so one value
 * never breaks a table row or starts a block.
 */
export function escapeMarkdown(text: string): string {
  return inert(text.replace(/[\r\n\t]+/g, ' '))
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
 * Unsafe characters other than tab and line feed are shown as escapes ({@link inertLines}).
 */
export function markdownFence(content: string, lang = ''): string {
  const runs = content.match(/`+/g) ?? []
  const longest = runs.reduce((max, run) => Math.max(max, run.length), 0)
  const fence = '`'.repeat(Math.max(3, longest + 1))
  const safe = inertLines(content)
  return `${fence}${lang}\n${safe}\n${fence}`
}

/** The last pass over a whole text output or `<pre>` block: {@link inertLines}. */
export const stripControls = inertLines
