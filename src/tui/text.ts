/** Terminal text helpers: display width, exact-width cells, compact numbers. Locale-independent. */

// Wide (2-column) ranges: Hangul Jamo, CJK, Hangul syllables, compatibility forms, fullwidth forms, emoji, CJK ext.
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf],
  [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe30, 0xfe4f], [0xff00, 0xff60], [0xffe0, 0xffe6], [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff], [0x20000, 0x3fffd],
]

function charWidth(cp: number): number {
  if (cp < 0x300) return 1
  // combining marks and zero-width joiners/selectors take no column
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0
  for (const [a, b] of WIDE) if (cp >= a && cp <= b) return 2
  return 1
}

/** Replaces control characters (an ESC in a log line would otherwise drive the terminal) and tabs. */
export function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(s) ? s.replace(/\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?') : s
}

/** Columns `s` takes in a terminal: wide East Asian characters count 2, combining marks 0. */
export function displayWidth(s: string): number {
  let w = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x300) {
      w++
      continue
    }
    const cp = s.codePointAt(i)!
    if (cp > 0xffff) i++
    w += charWidth(cp)
  }
  return w
}

/**
 * Cuts or pads `s` (control characters replaced) to exactly `width` columns. Cut text ends with `…`.
 * `right` pads on the left (numbers).
 */
export function fit(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return ''
  const text = clean(s)
  let w = displayWidth(text)
  let out = text
  if (w > width) {
    let acc = ''
    let used = 0
    for (const ch of text) {
      const cw = charWidth(ch.codePointAt(0)!)
      if (used + cw > width - 1) break
      acc += ch
      used += cw
    }
    out = `${acc}…`
    w = used + 1
  }
  const pad = ' '.repeat(Math.max(0, width - w))
  return align === 'right' ? pad + out : out + pad
}

// Numbers read the same in the TUI as in the report: `16,384`, `4.0%`.
export {formatInt, formatPercent as percent} from '../report/format.js'

/** At most 5 characters: `9000`, `12.3k`, `123k`, `1.2M`. */
export function compact(n: number): string {
  const a = Math.abs(n)
  const sign = n < 0 ? '-' : ''
  if (a < 10_000) return `${sign}${Math.round(a)}`
  if (a < 99_950) return `${sign}${(a / 1000).toFixed(1)}k`
  if (a < 999_500) return `${sign}${Math.round(a / 1000)}k`
  return `${sign}${(a / 1e6).toFixed(1)}M`
}

/** A signed change: `+8950`, `-12`, `0`. */
export const signed = (n: number) => (n > 0 ? `+${compact(n)}` : compact(n))

/** Seconds as `45 s`, `39 min`, `5 h 14 min`, `3 d 4 h`. */
export function duration(seconds: number): string {
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  const m = Math.round(s / 60)
  if (m < 90) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}

/** A run of text in one style; the theme maps style names to colours. */
export type Seg<S extends string = string> = {readonly text: string; readonly style: S}

/** Cuts or pads a line of segments to exactly `width` columns (the last kept segment gets the `…`). */
export function fitSegs<S extends string>(segs: readonly Seg<S>[], width: number, padStyle: S): Seg<S>[] {
  const out: Seg<S>[] = []
  let used = 0
  for (const s of segs) {
    const text = clean(s.text)
    const w = displayWidth(text)
    if (used + w <= width) {
      out.push({text, style: s.style})
      used += w
      continue
    }
    const rest = width - used
    if (rest > 0) out.push({text: fit(text, rest), style: s.style})
    used = width
    break
  }
  if (used < width) out.push({text: ' '.repeat(width - used), style: padStyle})
  return out
}
