// What kind of address a local or remote address string is (as netstat and the other formats write them).

export const isLoopback = (addr: string) => addr.startsWith('127.') || addr === '::1'
export const isWildcard = (addr: string) => addr === '0.0.0.0' || addr === '::' || addr === '*'
export const isIpv6 = (addr: string) => addr.includes(':')

/**
 * Address ids at or above this stand for IPv4 addresses: V4_BASE + the 32-bit value. They are no table
 * entry and never renumbered (a busy server's millions of IPv4 peers cost nothing to keep apart); ids
 * below it are entries of an address table (IPv6, names, `*`), 0 for none.
 */
export const V4_BASE = 2 ** 32
