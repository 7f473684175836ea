import {describe, expect, it} from 'vitest'

import {decideMachines, type MachineInput} from '../../src/model/machines.js'

const input = (index: number, path: string, o: Partial<MachineInput> = {}): MachineInput => ({
  index,
  path,
  format: 'netstat',
  host: null,
  rows: true,
  span: null,
  addresses: ['10.0.0.5'],
  ...o,
})

const brief = (inputs: MachineInput[]) =>
  decideMachines(inputs).map((m) => [m.name, m.inputs.map((i) => [inputs.find((x) => x.index === i)!.path, m.how.get(i)])])

describe('decideMachines', () => {
  it('takes host names in the data first, and places the rest of their folder with them', () => {
    const inputs = [
      input(0, 'up/A/netstat.txt'),
      input(1, 'up/A/events.txt', {format: 'tcpip-events', host: 'web01.contoso.local', rows: false, addresses: []}),
      input(2, 'up/B/events.txt', {format: 'tcpip-events', host: 'SQL02', rows: false, addresses: []}),
      input(3, 'up/B/netstat.txt'),
    ]
    expect(brief(inputs)).toEqual([
      ['SQL02', [['up/B/events.txt', 'host-name'], ['up/B/netstat.txt', 'folder']]],
      ['web01.contoso.local', [['up/A/netstat.txt', 'folder'], ['up/A/events.txt', 'host-name']]],
    ])
  })

  it('names machines by folder only when inputs of one kind differ in folder, never by a kind or run folder', () => {
    expect(brief([input(0, 'x/SRV-WEB01/netstat.txt'), input(1, 'x/SRV-SQL02/netstat.txt')]).map(([n]) => n)).toEqual(['SRV-SQL02', 'SRV-WEB01'])
    // One loop per folder of different kinds: nothing to tell apart.
    expect(brief([input(0, 'x/logs/netstat.txt'), input(1, 'x/events/e.txt', {format: 'tcpip-events', rows: false})]).map(([n]) => n)).toEqual([null])
    expect(brief([input(0, 'x/netstat/a.txt'), input(1, 'x/logs/b.txt')]).map(([n]) => n)).toEqual([null])
    expect(brief([input(0, 'x/run1/netstat.txt'), input(1, 'x/run2/netstat.txt')]).map(([n]) => n)).toEqual([null])
  })

  it('reads machine names in file names only when shaped like a host name', () => {
    expect(brief([input(0, 'web01_netstat.txt'), input(1, 'sql02_netstat.txt')]).map(([n]) => n)).toEqual(['sql02', 'web01'])
    expect(brief([input(0, 'netstat_1.txt'), input(1, 'netstat_2.txt')]).map(([n]) => n)).toEqual([null])
    expect(brief([input(0, 'netstat_before.txt'), input(1, 'netstat_after.txt')]).map(([n]) => n)).toEqual([null])
  })

  it('tells loops apart by disjoint local addresses, and reads netsh settings with every machine', () => {
    const inputs = [
      input(0, 'a.txt', {addresses: ['10.0.0.5']}),
      input(1, 'b.txt', {addresses: ['10.0.0.9', 'fd00::9']}),
      input(2, 'netsh.txt', {format: 'netsh-dynamicport', rows: false, addresses: []}),
    ]
    expect(brief(inputs)).toEqual([
      ['10.0.0.5', [['a.txt', 'local-address'], ['netsh.txt', 'shared']]],
      ['10.0.0.9', [['b.txt', 'local-address'], ['netsh.txt', 'shared']]],
    ])
    // Shared addresses: one machine (its loops may still be two timelines).
    expect(brief([input(0, 'a.txt'), input(1, 'b.txt')]).map(([n]) => n)).toEqual([null])
  })

  it('decides the same whatever order the inputs come in', () => {
    const inputs = [
      input(0, 'up/SRV-WEB01/netstat.txt'),
      input(1, 'up/SRV-SQL02/netstat.txt'),
      input(2, 'up/SRV-SQL02/events.txt', {format: 'tcpip-events', host: 'srv-sql02', rows: false}),
      input(3, 'up/loose.txt', {addresses: ['10.9.9.9']}),
      input(4, 'up/netsh.txt', {format: 'netsh-dynamicport', rows: false}),
    ]
    const reference = JSON.stringify(brief(inputs))
    for (const order of [[4, 3, 2, 1, 0], [2, 0, 4, 1, 3], [3, 4, 0, 2, 1]]) expect(JSON.stringify(brief(order.map((i) => inputs[i]!)))).toBe(reference)
  })
})
