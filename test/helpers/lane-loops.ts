import {fc} from '@fast-check/vitest'

// Generated netstat loops for the row lane's properties (test/formats/row-lane.test.ts, counting-lane.test.ts):
// plain loops with every kind of row the lane must take or leave, and `-b` loops with owner lines.

export const STAMP = 'Mon 03/04/2024 08:00:01.10'
export const HEADER = ['', 'Active Connections', '', '  Proto  Local Address          Foreign Address        State           PID']
export const pad = (s: string, n: number) => s.padEnd(n)
export const tcp = (l: string, r: string, state: string, pid: string) => `  TCP    ${pad(l, 23)}${pad(r, 23)}${pad(state, 16)}${pid}`

const v4 = fc.constantFrom('10.0.0.5', '10.0.0.6', '0.0.0.0', '127.0.0.1', '52.1.1.1', '52.1.1.2', '192.168.1.20')
const lport = fc.oneof(fc.integer({min: 49152, max: 49200}), fc.constantFrom(80, 135, 443, 65535))
const rport = fc.oneof(fc.constantFrom(0, 443, 80), fc.integer({min: 1, max: 30}))
const pid = fc.constantFrom('0', '0', '4', '1712', '3020', '5120', '77')
const state = fc.constantFrom('ESTABLISHED', 'ESTABLISHED', 'TIME_WAIT', 'TIME_WAIT', 'LISTENING', 'BOUND', 'CLOSE_WAIT', 'SYN_SENT')
const line: fc.Arbitrary<string> = fc.oneof(
  {weight: 12, arbitrary: fc.tuple(v4, lport, v4, rport, state, pid).map(([l, lp, r, rp, st, p]) => tcp(`${l}:${lp}`, `${r}:${rp}`, st, p))},
  {weight: 2, arbitrary: fc.tuple(lport, pid).map(([lp, p]) => `  UDP    ${pad(`0.0.0.0:${lp}`, 23)}${pad('*:*', 39)}${p}`)},
  {weight: 1, arbitrary: fc.tuple(lport, pid).map(([lp, p]) => tcp(`[::]:${lp}`, '[::]:0', 'LISTENING', p))},
  {weight: 1, arbitrary: fc.tuple(lport, rport).map(([lp, rp]) => tcp(`[fe80::1%4]:${lp}`, `[fe80::2%4]:${rp}`, 'TIME_WAIT', '0'))},
  {weight: 1, arbitrary: fc.tuple(v4, lport, v4, rport, state).map(([l, lp, r, rp, st]) => tcp(`${l}:${lp}`, `${r}:${rp}`, st, '').trimEnd())},
  {weight: 1, arbitrary: fc.tuple(lport).map(([lp]) => tcp(`*:${lp}`, '*:*', 'LISTENING', '4'))},
  {weight: 1, arbitrary: fc.constantFrom(tcp('10.0.0.5:99999', '52.1.1.1:443', 'ESTABLISHED', '4'), tcp('10.0.0.5:1', '52.1.1.1:443', 'ABHÖREN', '4'), tcp('10.0.0.5:2', '52.1.1.1:443', 'ABHÖREN', '4'), '  TCP    10.0.0.5:3')},
  {weight: 1, arbitrary: fc.constantFrom(' [svchost.exe]', '', 'junk line here', '  Dnscache', tcp('010.0.0.5:4', '52.1.1.1:443', 'ESTABLISHED', '9'))},
)
const snapshot = fc.array(line, {maxLength: 40}).map((rows) => [STAMP, ...HEADER, ...rows, ''].join('\r\n'))
export const loop = fc.array(snapshot, {minLength: 1, maxLength: 5}).map((s) => s.join('\r\n'))

// `-b` loops: every row followed by its owner lines (image, service and image, none to be had, or none at
// all), a PID's image changing now and then, blank lines between groups (as on XP), an unknown line.
const ownerPid = fc.constantFrom('0', '4', '1712', '3020', '5120')
const IMAGES: Record<string, string[]> = {
  '0': [' Can not obtain ownership information'],
  // Owner lines that begin with another block's lines: a row's lines must be those learned, then a row.
  '4': [' Can not obtain ownership information', ' [System]', ' Can not obtain ownership information\n [System]'],
  '1712': ['  RpcSs\n [svchost.exe]', '  Dnscache\n [svchost.exe]', ' [svchost.exe]', '  RpcSs'],
  '3020': [' [w3wp.exe]', ' [w3wp.exe]', ' [w3wp.exe]', ' [dllhost.exe]'],
  '5120': [' [LeakyAgent.exe]', ' [LeakyAgent.exe]', ' [Other Agent.exe]', ''],
}
const owned: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.tuple(v4, lport, v4, rport, state, ownerPid, fc.nat()).map(([l, lp, r, rp, st, p, k]) => {
      const images = IMAGES[p]!
      const block = images[k % images.length]!
      return [tcp(`${l}:${lp}`, `${r}:${rp}`, st, p), ...(block === '' ? [] : block.split('\n'))].join('\n')
    }),
  },
  {weight: 2, arbitrary: fc.tuple(lport).map(([lp]) => `  UDP    ${pad(`0.0.0.0:${lp}`, 23)}${pad('*:*', 39)}1712\n  Dnscache\n [svchost.exe]`)},
  {weight: 1, arbitrary: fc.tuple(lport).map(([lp]) => `${tcp(`[::]:${lp}`, '[::]:0', 'LISTENING', '3020')}\n [w3wp.exe]`)},
  // (and a line that may be a header in an unknown language, decided by the line after it)
  {weight: 1, arbitrary: fc.constantFrom('', '  C:\\WINDOWS\\system32\\svchost.exe', '-- unknown component(s) --', 'junk line here', ' [svchost.exe]', '  TCP    10.0.0.5:3', 'Some words of a header')},
)
const ownerSnapshot = fc.array(owned, {maxLength: 40}).map((rows) => [STAMP, ...HEADER, ...rows, ''].join('\n'))
export const ownerLoop = fc.tuple(fc.array(ownerSnapshot, {minLength: 1, maxLength: 6}), fc.boolean()).map(([s, cut]) => {
  const text = s.join('\n')
  // A loop cut mid-write: its last row (or owner line) has no line end.
  return cut ? text.trimEnd() : text
})
