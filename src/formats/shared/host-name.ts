/**
 * Host names the evidence states (`PSComputerName`, `hostname`, `ipconfig /all`, `systeminfo`): what a
 * Windows computer name can be, and the `host` note an input gives once.
 */
import type {RecordSink} from '../types.js'

// A DNS host name or NetBIOS computer name: letters, digits, `-` and `_` in dot-separated labels, with a letter.
const HOST = /^(?=[^.]*[A-Za-z_])[A-Za-z0-9_][A-Za-z0-9_-]{0,62}(?:\.[A-Za-z0-9_][A-Za-z0-9_-]{0,62})*$/

/** The host name `value` states (trimmed), or null when it cannot be one (blank, spaces, an address, too long). */
export function hostName(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const s = value.trim()
  return s.length > 0 && s.length <= 253 && HOST.test(s) ? s : null
}

/**
 * Notes an input's host name once: the first the input states wins (one input is one machine's; a
 * collection that names several, as `Invoke-Command` over a farm does, is read as the first's).
 */
export class HostNote {
  private noted = false

  constructor(private readonly sink: RecordSink) {}

  get done(): boolean {
    return this.noted
  }

  /** Notes `value` when it is the input's first host name; returns whether it was one. */
  add(value: unknown): boolean {
    if (this.noted) return false
    const name = hostName(value)
    if (name === null) return false
    this.noted = true
    this.sink.note('host', name)
    return true
  }
}
