import {normalizeEncoding} from './encoding.js'
import {utf16Length} from './utf16.js'

/**
 * Where lines start in a large input, so that its cited lines can be read again without reading every
 * byte before them (src/report/quote.ts). Worker threads note, as they read a netstat loop on disk, the
 * byte offset of a line start about every MiB (and at each range's start), in UTF-8 and UTF-16LE alike;
 * one-thread reading of a file on disk does the same. They are kept here by the
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
 * Notes a landmark about every {@link LANDMARK_BYTES} of input whose UTF-8 (from a UTF-8 or UTF-16LE
 * input, by src/input/normalize.ts) was handed to a line splitter, as long as no encoding switch came
 * so far: the first byte the normaliser took is the file's `offset`.
 */
export class LandmarkNotes {
  readonly marks: Landmark[] = []
  private last = 0
  private readonly wide: boolean

  constructor(
    private readonly splitter: LineStarts,
    private readonly offset: number,
    private readonly encoding = 'utf-8',
  ) {
    this.marks.push({line: 1, byte: offset, encoding})
    this.wide = normalizeEncoding(encoding) === 'utf-16le'
  }

  /**
   * After the normaliser's UTF-8 `out` was handed to the splitter. `position`: input bytes the normaliser
   * has turned into UTF-8 so far (`Utf8Normalizer.position`: bytes it holds back are not counted);
   * `switched`: the normaliser changed encoding (no more notes).
   */
  after(out: Buffer, position: number, switched: boolean): void {
    if (switched || position - this.last < LANDMARK_BYTES) return
    const next = this.splitter.nextLine()
    if (!next || next.line <= this.marks.at(-1)!.line) return
    // The open line's bytes the splitter keeps were input bytes just before `position`: in UTF-16LE they are
    // counted back from the UTF-8 just handed over (an open line longer than that waits for the next chunk).
    let pending = next.pending
    if (this.wide) {
      if (pending > out.length) return
      pending = utf16Length(out, out.length - pending, out.length)
    }
    this.marks.push({line: next.line, byte: this.offset + position - pending, encoding: this.encoding})
    this.last = position
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
