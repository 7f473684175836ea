/** An inclusive-start port range `[start, start + count)`. */
export type PortRange = {readonly start: number; readonly count: number}

export const DEFAULT_RANGE: PortRange = {start: 49152, count: 16384}
export const LEGACY_RANGE: PortRange = {start: 1025, count: 3976}

export const rangeKey = (r: PortRange) => `${r.start}+${r.count}`
export const inRange = (r: PortRange, port: number) => port >= r.start && port < r.start + r.count
