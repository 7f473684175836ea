/**
 * `v.toLocaleString('en-US')`, the way every report and finding writes a count ("12,345"), without ICU for the
 * counts themselves: the first Intl number format of a run costs about 12 ms (its locale data loads), on the one
 * thread that then renders the result. Safe integers are grouped here, digit for digit what ICU writes; any other
 * number (fractions, −0, past 2^53, NaN, ∞) is ICU's.
 */
export function int(v: number): string {
  if (!Number.isSafeInteger(v) || Object.is(v, -0)) return v.toLocaleString('en-US')
  const digits = String(Math.abs(v))
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1)
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`
  return v < 0 ? `-${out}` : out
}
