// Allocation for the kernel's tables: the runtime's bump heap (`--runtime stub`) and a short list of the
// blocks given back. WebAssembly memory starts zeroed and the bump heap hands out fresh memory: past the
// highest byte ever handed out (`highWater`) memory is still zero, so tables are zeroed only where they
// reuse memory. Zeroing pages nobody has touched would make them resident for nothing.
//
// The bump heap never reuses a block but the last: a table grown past its block moves and leaves the old one
// behind. Those blocks go to the list (first fit, the unused tail of a block kept), so the next table that
// grows reuses them: one snapshot of 2 million peers left as much again of old blocks as its tables held.

let highWater: usize = 0
/** Bytes handed out in all (reused ones counted again). */
let handed: usize = 0

@inline function mark(p: usize, n: usize): usize {
  if (p + n > highWater) highWater = p + n
  return p
}

/** Zeroes [p, p + n) where it lies below `below` (memory past it was never handed out). */
@inline function zeroBelow(p: usize, n: usize, below: usize): void {
  if (p < below) memory.fill(p, 0, below - p < n ? below - p : n)
}

// Blocks given back: (address, bytes) pairs; blocks smaller than FREE_MIN are not kept.
const FREE_MAX = 64
const FREE_MIN: usize = 4096
const freeList = memory.data(FREE_MAX * 16)
let freeCount = 0

/** A kept block of at least n bytes, its tail kept when large enough; 0 when none. */
function take(n: usize): usize {
  for (let k = 0; k < freeCount; k++) {
    const e = freeList + (<usize>k << 4)
    const size = load<usize>(e, 8)
    if (size < n) continue
    const p = load<usize>(e)
    const rest = (size - n) & ~15
    if (rest >= FREE_MIN) {
      store<usize>(e, p + (size - rest))
      store<usize>(e, rest, 8)
    } else {
      freeCount--
      const last = freeList + (<usize>freeCount << 4)
      store<usize>(e, load<usize>(last))
      store<usize>(e, load<usize>(last, 8), 8)
    }
    return p
  }
  return 0
}

/** The highest byte handed out so far (what the heap has touched). */
export function heapTop(): usize {
  return highWater
}

/** Bytes handed out so far, reused blocks counted each time. */
export function heapHanded(): usize {
  return handed
}

/** n bytes, contents undefined. */
export function alloc(n: usize): usize {
  handed += n
  const p = take(n)
  return p != 0 ? p : mark(heap.alloc(n), n)
}

/** n zeroed bytes. */
export function allocZeroed(n: usize): usize {
  const was = highWater
  const p = alloc(n)
  zeroBelow(p, n, was)
  return p
}

/** Block p (of `had` bytes) grown to n bytes: its contents kept, the bytes past them zeroed when `zero`. */
export function grow(p: usize, had: usize, n: usize, zero: bool): usize {
  const was = highWater
  // Always moved (a block from the list has no header the heap's own realloc could read); the old one is kept.
  const q = alloc(n)
  memory.copy(q, p, had)
  free(p, had)
  if (zero) zeroBelow(q + had, n - had, was)
  return q
}

/** Gives back block p of n bytes: joined to a kept block it touches, else kept when large enough and there is room. */
export function free(p: usize, n: usize): void {
  n &= ~15
  for (let k = 0; k < freeCount; k++) {
    const e = freeList + (<usize>k << 4)
    const q = load<usize>(e)
    const size = load<usize>(e, 8)
    if (q + size == p) {
      store<usize>(e, size + n, 8)
      return
    }
    if (p + n == q) {
      store<usize>(e, p)
      store<usize>(e, size + n, 8)
      return
    }
  }
  if (n < FREE_MIN || freeCount == FREE_MAX) return
  const e = freeList + (<usize>freeCount << 4)
  store<usize>(e, p)
  store<usize>(e, n, 8)
  freeCount++
}
