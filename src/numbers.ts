/** A string of decimal digits grouped by three from the right: `16384` → `16,384`. */
export function groupDigits(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/**
 * `v.toLocaleString('en-US')`, the way every report and finding writes a count ("12,345"), without ICU for the
 * counts themselves: the first Intl number format of a run costs about 12 ms (its locale data loads), on the one
 * thread that then renders the result. Safe integers are grouped here, digit for digit what ICU writes; any other
 * number (fractions, −0, past 2^53, NaN, ∞) is ICU's.
 */
export function int(v: number): string {
  if (!Number.isSafeInteger(v) || Object.is(v, -0)) return v.toLocaleString('en-US')
  return v < 0 ? `-${groupDigits(String(-v))}` : groupDigits(String(v))
}
