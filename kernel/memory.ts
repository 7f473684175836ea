// Allocation for the kernel's tables (the runtime's bump heap, `--runtime stub`). WebAssembly memory starts
// zeroed and the heap hands out fresh memory except where a freed last block is reused: past the highest
// byte ever handed out (`highWater`) memory is still zero, so tables are zeroed only where they reuse
// memory. Zeroing pages nobody has touched would make them resident for nothing.

let highWater: usize = 0

@inline function mark(p: usize, n: usize): usize {
  if (p + n > highWater) highWater = p + n
  return p
}

/** Zeroes [p, p + n) where it lies below `below` (memory past it was never handed out). */
@inline function zeroBelow(p: usize, n: usize, below: usize): void {
  if (p < below) memory.fill(p, 0, below - p < n ? below - p : n)
}

/** n bytes, contents undefined. */
export function alloc(n: usize): usize {
  return mark(heap.alloc(n), n)
}

/** n zeroed bytes. */
export function allocZeroed(n: usize): usize {
  const was = highWater
  const p = heap.alloc(n)
  zeroBelow(p, n, was)
  return mark(p, n)
}

/** Block p (of `had` bytes) grown to n bytes: its contents kept, the bytes past them zeroed when `zero`. */
export function grow(p: usize, had: usize, n: usize, zero: bool): usize {
  const was = highWater
  const q = heap.realloc(p, n)
  if (zero) zeroBelow(q + had, n - had, was)
  return mark(q, n)
}

export function free(p: usize): void {
  heap.free(p)
}
