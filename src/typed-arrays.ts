type Growable = Int32Array | Uint32Array | Uint8Array | Float64Array

/** A copy of `a` in a new array of the same type with `n` ≥ a.length elements, the new ones set to `fill`. */
export function grownTo<T extends Growable>(a: T, n: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(n)
  if (fill !== 0) b.fill(fill, a.length)
  b.set(a)
  return b
}
