// What kind of address a local or remote address string is (as netstat and the other formats write them).

export const isLoopback = (addr: string) => addr.startsWith('127.') || addr === '::1'
export const isWildcard = (addr: string) => addr === '0.0.0.0' || addr === '::' || addr === '*'
export const isIpv6 = (addr: string) => addr.includes(':')
