/**
 * A copy of a string that shares no memory with its source. Parsers hand out slices of the decoded
 * chunk (V8 keeps the whole chunk alive behind a slice): anything kept past the row is detached.
 */
export function detach(s: string): string
export function detach(s: string | null): string | null
export function detach(s: string | null): string | null {
  return s === null ? null : Buffer.from(s, 'utf8').toString('utf8')
}

/** Interns strings to small integers (0 is reserved for null). */
export class Interner {
  private readonly ids = new Map<string, number>()
  readonly values: (string | null)[] = [null]
  private lastValue = ''
  private lastId = -1

  id(value: string | null): number {
    if (value === null) return 0
    if (value === this.lastValue && this.lastId >= 0) return this.lastId
    let id = this.ids.get(value)
    if (id === undefined) {
      id = this.values.length
      const kept = detach(value)
      this.values.push(kept)
      this.ids.set(kept, id)
    }
    this.lastValue = value
    this.lastId = id
    return id
  }

  value(id: number): string | null {
    return this.values[id] ?? null
  }
}
