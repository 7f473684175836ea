import {TCP_STATES, type TcpState} from '../formats/types.js'

/** Counter slots per process per snapshot: one per TCP state, then the derived series. */
export const STATE_SLOT: Readonly<Record<TcpState, number>> = Object.fromEntries(TCP_STATES.map((s, i) => [s, i])) as Record<
  TcpState,
  number
>
export const UDP_SLOT = TCP_STATES.length
/** Distinct local ports held by the process's own rows (TCP and UDP, TIME_WAIT excluded). */
export const PORTS_SLOT = UDP_SLOT + 1
/** Of those, the ports inside the dynamic range (default range when several are tracked). */
export const EPHEMERAL_SLOT = PORTS_SLOT + 1
/** TIME_WAIT rows attributed to the process (PID 0 rows given an owner by lineage or affinity). */
export const TW_ATTRIBUTED_SLOT = EPHEMERAL_SLOT + 1
/** Of those, the rows attributed by remote-endpoint affinity rather than tuple lineage. */
export const TW_AFFINITY_SLOT = TW_ATTRIBUTED_SLOT + 1
export const SLOT_COUNT = TW_AFFINITY_SLOT + 1

export const SLOT_NAMES: readonly string[] = [...TCP_STATES, 'UDP', 'PORTS', 'EPHEMERAL', 'TIME_WAIT_ATTRIBUTED', 'TIME_WAIT_AFFINITY']

/** An inclusive-start port range `[start, start + count)`. */
export type PortRange = {readonly start: number; readonly count: number}

export const DEFAULT_RANGE: PortRange = {start: 49152, count: 16384}
export const LEGACY_RANGE: PortRange = {start: 1025, count: 3976}

export const rangeKey = (r: PortRange) => `${r.start}+${r.count}`
export const inRange = (r: PortRange, port: number) => port >= r.start && port < r.start + r.count

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

/** Host names compare by their first label, case-insensitively: `APP02` is `app02.corp.example`. */
export const hostKey = (host: string) => host.split('.')[0]!.toUpperCase()

export const isLoopback = (addr: string) => addr.startsWith('127.') || addr === '::1'
export const isWildcard = (addr: string) => addr === '0.0.0.0' || addr === '::' || addr === '*'
export const isIpv6 = (addr: string) => addr.includes(':')
