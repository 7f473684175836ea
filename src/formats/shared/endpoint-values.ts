import {isIPv4, isIPv6} from 'node:net'

import type {ConnectionRecord} from '../types.js'

/** The highest TCP/UDP port; a bigger number is no port any tool writes. */
export const MAX_PORT = 65535

const DOTTED_NUMBERS = /^\d+(?:\.\d+)+$/
/** IPv6 as uploads hold it: a hex first group (or `::`), groups of letters and digits (hand-scrubbed), an optional zone. */
const LOOSE_V6 = /^[0-9a-f]{0,4}:[0-9a-z:.]*(?:%[^\s%]+)?$/i

/**
 * False for an address no tool writes (`999.1.1.1`, `zz::1`): with a colon it must look like IPv6,
 * dotted numbers must be IPv4; anything else (`*`, a host name resolved without -n) is taken as written.
 * The same rule as the netstat row reader's (src/formats/netstat/row.ts `checkedAddress`).
 */
export function plausibleAddress(written: string): boolean {
  // A console cuts long values with an ellipsis (`2001:db8:85a3:8d3:1319:8a2e:3…`): what is left must still fit.
  const a = written.replace(/(?:…|\.\.\.)$/, '')
  if (a !== written) return !a.includes(':') || LOOSE_V6.test(a)
  if (a.includes(':')) return isIPv6(a) || LOOSE_V6.test(a)
  if (DOTTED_NUMBERS.test(a)) return isIPv4(a)
  return true
}

/** False when a connection's addresses or ports are values no tool writes: the row is malformed, not a record. */
export const plausibleEndpoints = (r: ConnectionRecord): boolean =>
  r.localPort <= MAX_PORT && r.remotePort <= MAX_PORT && plausibleAddress(r.localAddr) && plausibleAddress(r.remoteAddr)
