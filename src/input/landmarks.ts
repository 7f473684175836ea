/**
 * Where lines start in a large input, so that its cited lines can be read again without reading every
 * byte before them (src/report/quote.ts). Worker threads note, as they read a netstat loop on disk, the
 * byte offset of a line start about every MiB (and at each range's start); they are kept here by the
 * input's SHA-256 and size. Keyed by content, a landmark can never point into another file's bytes:
 * a file that changed since has another digest and is read from its start, as before.
 */

/** Line `line` (1-based, as the parsers number them) starts at byte `byte`, in `encoding` there. */
export type Landmark = {line: number; byte: number; encoding: string}

/** Inputs whose landmarks are kept (the most recent ones): a bound on memory across runs in one process. */
const KEPT_INPUTS = 64

const kept = new Map<string, readonly Landmark[]>()
const keyOf = (sha256: string, bytes: number) => `${sha256}:${bytes}`

/** What a byte line splitter says of where its next line starts. */
type LineStarts = {nextLine(): {line: number; pending: number} | null}

/**
 * Notes a landmark about every {@link LANDMARK_BYTES} of UTF-8 handed to a line splitter, as long as those
 * bytes are the file's own (no encoding switch so far): the first byte handed over is the file's `offset`.
 */
export class LandmarkNotes {
  readonly marks: Landmark[] = []
  private emitted = 0
  private last = 0

  constructor(
    private readonly splitter: LineStarts,
    private readonly offset: number,
    encoding = 'utf-8',
  ) {
    this.marks.push({line: 1, byte: offset, encoding})
  }

  /** After `bytes` more were handed to the splitter; `switched`: the normaliser changed encoding (no more notes). */
  after(bytes: number, switched: boolean): void {
    this.emitted += bytes
    if (switched || this.emitted - this.last < LANDMARK_BYTES) return
    const next = this.splitter.nextLine()
    if (!next || next.line <= this.marks.at(-1)!.line) return
    this.marks.push({line: next.line, byte: this.offset + this.emitted - next.pending, encoding: 'utf-8'})
    this.last = this.emitted
  }
}

/** Bytes read between two landmarks at least. */
export const LANDMARK_BYTES = 1 << 20

/** Keeps an input's landmarks (ascending by line); inputs without a digest are not kept. */
export function keepLandmarks(sha256: string, bytes: number, marks: readonly Landmark[]): void {
  if (sha256 === '' || marks.length === 0) return
  const key = keyOf(sha256, bytes)
  kept.delete(key)
  kept.set(key, marks)
  if (kept.size > KEPT_INPUTS) kept.delete(kept.keys().next().value!)
}

/** The last landmark at or before `line` of the input with this digest and size, else null. */
export function landmarkBefore(sha256: string, bytes: number, line: number): Landmark | null {
  const marks = kept.get(keyOf(sha256, bytes))
  if (!marks) return null
  let lo = 0
  let hi = marks.length - 1
  let best: Landmark | null = null
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (marks[mid]!.line <= line) {
      best = marks[mid]!
      lo = mid + 1
    } else hi = mid - 1
  }
  return best
}
