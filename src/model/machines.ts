/**
 * Which machine each input comes from, decided from the evidence: host names the data gives (event
 * `Computer` fields and other `host` notes), then folder or file names that differ between inputs of the
 * same kind (`SRV-WEB01/netstat.txt`, `web01_netstat.txt`), then the local addresses of connection loops.
 * Inputs that name no machine join the only machine there is; with several, loops of their own make an
 * unnamed machine and other evidence (netsh ranges) is read with every machine. Pure.
 */
import type {FormatId, WallTime} from '../formats/types.js'
import {hostKey, isLoopback, isWildcard} from './slots.js'

/** What the decision needs to know of one input. */
export type MachineInput = {
  index: number
  path: string
  format: FormatId
  /** Host name the data gives, if any. */
  host: string | null
  /** Snapshots with connection rows (a loop), and their time span. */
  rows: boolean
  span: {start: WallTime; end: WallTime} | null
  /** Local addresses its snapshots use most (specific addresses only). */
  addresses: readonly string[]
}

export type MachineHow = 'host-name' | 'folder' | 'file-name' | 'local-address' | 'only-machine' | 'unnamed' | 'shared'

/** One machine (or one timeline of it): its inputs, and how they were found to belong to it. */
export type Machine = {
  /** Display name (null: the inputs name no machine). */
  name: string | null
  /** Key to compare names by (short host name, upper case); null when unnamed. */
  key: string | null
  inputs: number[]
  /** How each input was placed, by input index. */
  how: Map<number, MachineHow>
}

/** Key to compare machine names by: the short host name upper case; an address as it is. */
export const machineKey = (name: string) => (/^[\d.]+$|:/.test(name) ? name.toUpperCase() : hostKey(name))

/** Formats whose inputs are settings of a machine rather than evidence over time (read with every machine when unplaced). */
const SETTINGS: ReadonlySet<FormatId> = new Set(['netsh-dynamicport', 'netsh-excludedportrange'])

const NAME_TOKEN = /[A-Za-z]/
const HOST_SHAPED = /^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9][A-Za-z0-9-]{0,62}$/
/** Parts of a file name that name its kind or a time, never a machine. */
const NOT_A_NAME = /^(?:\d+|(?:netstat|events?|logs?|handles?|dumps?|evidence|collection|output|data|te?mp|uploads?|files|bad|good|old|new|before|after|netsh|traces?)s?$|\d{4}-?\d{2}-?\d{2}.*|\d{1,2}h\d{2}.*|(?:run|loop|part|copy|take)\d*|v\d+)$/i

/**
 * Places every input on a machine. `inputs` in any order: the result is the same (machines sorted by
 * key, unnamed last; inputs by index).
 */
export function decideMachines(inputs: readonly MachineInput[]): Machine[] {
  const placed = new Map<number, {name: string; how: MachineHow}>()
  // 1. Host names in the data.
  for (const i of inputs) if (i.host) placed.set(i.index, {name: i.host, how: 'host-name'})
  // 2. Folder names, then file names, that differ between inputs of one kind.
  const folders = folderNames(inputs)
  byKind(inputs, (group) => {
    const named = group.filter((i) => folders.get(i.index))
    if (new Set(named.map((i) => folders.get(i.index)!.toUpperCase())).size < 2) return
    for (const i of named) {
      // A folder whose evidence names its host is that host's, whatever the folder is called.
      if (!placed.has(i.index)) placed.set(i.index, {name: sharedFolderMachine(i, inputs, placed, folders) ?? folders.get(i.index)!, how: 'folder'})
    }
  })
  byKind(inputs, (group) => {
    const stems = fileNameParts(group.filter((i) => !placed.has(i.index)))
    for (const [index, name] of stems) placed.set(index, {name, how: 'file-name'})
  })
  // Other inputs in a machine's folder, or whose file name carries a machine's name, are that machine's.
  const known = new Map<string, string>()
  for (const p of placed.values()) if (!known.has(machineKey(p.name))) known.set(machineKey(p.name), p.name)
  for (const i of inputs) {
    if (placed.has(i.index)) continue
    const byFolder = sharedFolderMachine(i, inputs, placed, folders)
    const byName = byFolder ?? namedIn(i.path, known)
    if (byName) placed.set(i.index, {name: byName, how: byFolder ? 'folder' : 'file-name'})
  }
  // 3. Local addresses: loops nothing else tells apart, on disjoint addresses.
  const loose = inputs.filter((i) => !placed.has(i.index) && i.rows && i.addresses.length > 0)
  if (loose.length >= 2 && pairwiseDisjoint(loose.map((i) => i.addresses))) {
    for (const i of loose) placed.set(i.index, {name: [...i.addresses].sort()[0]!, how: 'local-address'})
  }
  // The machines named, by key; the name shown is the first as sorted (stable whatever the order read).
  const machines = new Map<string, Machine>()
  for (const i of [...inputs].sort((a, b) => a.index - b.index)) {
    const p = placed.get(i.index)
    if (!p) continue
    const key = machineKey(p.name)
    let m = machines.get(key)
    if (!m) machines.set(key, (m = {name: p.name, key, inputs: [], how: new Map()}))
    if (p.name < m.name!) m.name = p.name
    m.inputs.push(i.index)
    m.how.set(i.index, p.how)
  }
  const list = [...machines.values()].sort((a, b) => (a.key! < b.key! ? -1 : a.key! > b.key! ? 1 : 0))
  const rest = inputs.filter((i) => !placed.has(i.index)).sort((a, b) => a.index - b.index)
  if (list.length === 0) return [{name: null, key: null, inputs: rest.map((i) => i.index), how: new Map(rest.map((i) => [i.index, 'unnamed']))}]
  if (list.length === 1) {
    for (const i of rest) (list[0]!.inputs.push(i.index), list[0]!.how.set(i.index, 'only-machine'))
    list[0]!.inputs.sort((a, b) => a - b)
    return list
  }
  const shared = rest.filter((i) => SETTINGS.has(i.format))
  for (const m of list) {
    for (const i of shared) (m.inputs.push(i.index), m.how.set(i.index, 'shared'))
    m.inputs.sort((a, b) => a - b)
  }
  const unnamed = rest.filter((i) => !SETTINGS.has(i.format))
  if (unnamed.length > 0) list.push({name: null, key: null, inputs: unnamed.map((i) => i.index), how: new Map(unnamed.map((i) => [i.index, 'unnamed']))})
  return list
}

/** Groups the inputs by kind (format), each group in path order. */
function byKind(inputs: readonly MachineInput[], f: (group: MachineInput[]) => void): void {
  const groups = new Map<FormatId, MachineInput[]>()
  for (const i of inputs) {
    const g = groups.get(i.format)
    if (g) g.push(i)
    else groups.set(i.format, [i])
  }
  for (const g of groups.values()) f(g.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)))
}

/** Folder components of a display path (archive entries: the archive's name is a folder too). */
const foldersOf = (path: string) => path.split(/[\\/!]/).slice(0, -1)
const fileOf = (path: string) => path.split(/[\\/!]/).at(-1)!

/** Per input, the first folder below the folders every input shares (none when the input sits there). */
function folderNames(inputs: readonly MachineInput[]): Map<number, string | null> {
  const all = inputs.map((i) => foldersOf(i.path))
  let common = 0
  while (all.length > 0 && all.every((f) => f.length > common && f[common] === all[0]![common])) common++
  const out = new Map<number, string | null>()
  inputs.forEach((i, k) => {
    const name = all[k]![common] ?? null
    out.set(i.index, name !== null && NAME_TOKEN.test(name) && !NOT_A_NAME.test(name) ? name : null)
  })
  return out
}

/**
 * Machine names in file names of one kind: the part of each name the others do not share
 * (`web01_netstat.txt`, `sql02_netstat.txt` → web01, sql02). Only when every name keeps such a part and
 * they all differ; numbers, dates and run counters are not names.
 */
function fileNameParts(group: readonly MachineInput[]): Map<number, string> {
  const out = new Map<number, string>()
  if (group.length < 2) return out
  const tokens = group.map((i) => fileOf(i.path).replace(/\.[^.]*$/, '').replace(/\.[^.]*$/, '').split(/[_. ]+/).filter((t) => t !== ''))
  const shared = tokens[0]!.filter((t) => tokens.every((list) => list.some((x) => x.toLowerCase() === t.toLowerCase())))
  if (shared.length === 0) return out
  const rest = tokens.map((list) => list.filter((t) => !shared.some((s) => s.toLowerCase() === t.toLowerCase())))
  // Exactly one part left, shaped like a host name (letters and digits: WEB01, SRV-SQL02, DC1).
  if (rest.some((r) => r.length !== 1 || !HOST_SHAPED.test(r[0]!) || NOT_A_NAME.test(r[0]!))) return out
  const names = rest.map((r) => r[0]!)
  if (new Set(names.map((n) => n.toUpperCase())).size !== names.length) return out
  group.forEach((i, k) => out.set(i.index, names[k]!))
  return out
}

/** The machine of the other inputs in the same folder, when they are placed and all agree. */
function sharedFolderMachine(
  i: MachineInput,
  inputs: readonly MachineInput[],
  placed: ReadonlyMap<number, {name: string}>,
  folders: ReadonlyMap<number, string | null>,
): string | null {
  const folder = foldersOf(i.path).join('/')
  if (!folders.get(i.index)) return null
  const names = new Set<string>()
  let first: string | null = null
  for (const o of inputs) {
    const p = placed.get(o.index)
    if (!p || foldersOf(o.path).join('/') !== folder) continue
    names.add(machineKey(p.name))
    if (first === null || p.name < first) first = p.name
  }
  return names.size === 1 ? first : null
}

/** A known machine whose name is a whole part of the path's file name (`SRV-WEB01_handles.txt`). */
function namedIn(path: string, known: ReadonlyMap<string, string>): string | null {
  const file = fileOf(path).toUpperCase()
  const hits = [...known.keys()].filter((k) => file.split(/[_. ]+/).includes(k) || file.startsWith(`${k}_`) || file.startsWith(`${k}.`))
  return hits.length === 1 ? known.get(hits[0]!)! : null
}

function pairwiseDisjoint(sets: readonly (readonly string[])[]): boolean {
  for (let a = 0; a < sets.length; a++) {
    for (let b = a + 1; b < sets.length; b++) if (sets[a]!.some((x) => sets[b]!.includes(x))) return false
  }
  return true
}

/** Local addresses worth telling machines apart by: not loopback, not wildcard, not link-local. */
export const machineAddress = (addr: string) => addr !== '' && !isLoopback(addr) && !isWildcard(addr) && !addr.toLowerCase().startsWith('fe80')

/** How an input was placed, in words for the reports. */
export const HOW_TEXT: Record<MachineHow, string> = {
  'host-name': 'host name in the data',
  folder: 'folder name',
  'file-name': 'file name',
  'local-address': 'local addresses',
  'only-machine': 'names no machine; the only machine in the upload',
  unnamed: 'names no machine',
  shared: 'names no machine; a setting read with every machine',
}
