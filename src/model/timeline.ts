import {TCP_STATES, type TcpState, type WallTime} from './records.js'
import type {CaseBuilder, CaseSnapshot, HandlePoint} from './case-builder.js'
import {type PortRange, rangeKey} from './port-ranges.js'
import {EPHEMERAL_SLOT, PORTS_SLOT, SLOT_COUNT, STATE_SLOT, TW_AFFINITY_SLOT, TW_ATTRIBUTED_SLOT, UDP_SLOT} from './slots.js'
import {IntTable} from './int-table.js'
import {grownTo, Scratch, ZeroSlab} from '../typed-arrays.js'
import type {SummaryStore} from './summary-store.js'
import type {EventMarker, HandleSeries, ProcessSeries, Timeline} from './types.js'

/** The timeline plus what is needed to cite evidence for a series afterwards. */
export type BuiltTimeline = {
  timeline: Timeline
  /** Snapshots in timeline order. */
  order: CaseSnapshot[]
  /** Aggregator slots folded into each process series (same index as timeline.processes). */
  slots: number[][]
  /** Snapshots left out of the series: untimed ones when others have times. */
  untimed: number
  rangeIndex: number
  /** Per input kept: its own time span and how far it lies outside the snapshots' span (see `outsideBy`). */
  spans: {input: number; start: WallTime | null; end: WallTime | null; outsideSeconds: number | null}[]
}

/**
 * Orders the snapshots of every input in time (untimed snapshots only when no input has times),
 * resolves process identities, and builds per-process series aligned with the snapshots.
 */
export function buildTimeline(c: CaseBuilder, range: PortRange, inputFilter: (input: number) => boolean): BuiltTimeline {
  // Only inputs with connection rows make the port timeline; handle and process loops have snapshots
  // too, but their points are placed by time, not interleaved as empty port snapshots.
  const withRows = new Set(c.snapshots.filter((s) => c.summaries.rows(s.summary) > 0).map((s) => s.input))
  const candidates = c.snapshots.filter((s) => inputFilter(s.input) && withRows.has(s.input))
  const timed = candidates.filter((s) => s.time !== null)
  const sorted = (timed.length > 0 ? timed : candidates).slice()
  sorted.sort((a, b) => (a.time ?? 0) - (b.time ?? 0) || a.input - b.input || a.index - b.index)
  // The same snapshot in two inputs (overlapping copies of one loop): same time, same counts. Keep one.
  const order = sorted.filter((s, i) => i === 0 || !sameSnapshot(c.summaries, sorted[i - 1]!, s))
  const n = order.length
  const rangeIndex = Math.max(0, c.trackedRanges.findIndex((r) => rangeKey(r) === rangeKey(range)))

  const spans = inputSpans(c, order, inputFilter)
  const apart = new Map(spans.filter((s) => s.outsideSeconds).map((s) => [s.input, s.outsideSeconds!]))
  const ids = foldWithinBudget(resolveIdentities(c, order, apart), c.summaries, order, n)
  const keyOf = keysOf(ids)
  const series: ProcessSeries[] = []
  const slots: number[][] = []
  // Which slots each series holds, for the membership test of slots whose identity changes with time (a slot
  // of fixed identity is added once, when its series is found): a series that folds short-lived processes holds
  // thousands, and a scan of its list per count made this quadratic (a day of 10-second snapshots: seconds).
  const slotSets: (Set<number> | undefined)[] = []
  const byKey = new Map<string, number>()
  // The series of slots whose identity is the same at every position, once known (-1: not yet).
  const seriesOfSlot = new Int32Array(c.agg.slotPid.length).fill(-1)
  // The five series every process has start as one shared array of zeros, and get their own on their first count:
  // a day of short-lived processes leaves most of them zero (nothing writes to these arrays after this loop).
  const zeros = new Int32Array(n)
  // Their own arrays come from large zeroed buffers: only the pages counts are written to become resident.
  const slab = new ZeroSlab(n)
  // While counting, a series' arrays are found by (series, counter) in one list and its first and last
  // positions kept in lists of numbers; they become the series' fields after the loop. On the series objects
  // (state arrays under state names, fields added as they were met) the count took about 50 ns, most of the
  // timeline's build on a loop of ten million counts.
  const cells: (Int32Array | null)[] = []
  // Cells in the order they were made: a series' byState names its states in the order they were first counted.
  const made: number[] = []
  const firstAt: number[] = []
  const lastAt: number[] = []
  const seenFirst: number[] = []
  const seenLast: number[] = []
  const listenersOf: (number[] | null)[] = []
  const totals: (Int32Array | null)[] = new Array<Int32Array | null>(TCP_STATES.length).fill(null)
  const totalsMade: number[] = []
  const rows = new Int32Array(n)
  const ephemeralInUse = new Int32Array(n)
  const ephemeralAddr: string[] = new Array(n).fill('')
  // Group-Object summaries count connections per state and process without their local ports: those
  // counts stand for the range use of their snapshot (ports unknown).
  const portsUnknown = order.map((s) => c.inputs[s.input]!.notes.view === 'group-object')
  for (let t = 0; t < n; t++) {
    const s = order[t]!.summary
    const q = c.summaries.quads(s, passQuads)
    rows[t] = c.summaries.rows(s)
    ephemeralInUse[t] = c.summaries.ephemeral(s, rangeIndex)
    ephemeralAddr[t] = c.summaries.ephemeralAddr(s, rangeIndex)
    if (portsUnknown[t]) {
      ephemeralInUse[t] = countsHoldingPorts(q)
      ephemeralAddr[t] = ''
    }
    for (let i = 0; i < q.length; i += 4) {
      const slot = q[i]!
      const counter = q[i + 1]!
      const count = q[i + 2]!
      let idx = slot < seriesOfSlot.length ? seriesOfSlot[slot]! : -1
      if (idx < 0) {
        const key = keyOf(slot, t)
        idx = byKey.get(key) ?? -1
        if (idx < 0) {
          const {pid, name} = ids.identity(slot, t)
          idx = series.length
          byKey.set(key, idx)
          series.push(emptySeries(key, pid, name, n, zeros))
          slots.push([])
          for (let k = 0; k < SLOT_COUNT; k++) cells.push(null)
          firstAt.push(n)
          lastAt.push(-1)
          seenFirst.push(-1)
          seenLast.push(-1)
          listenersOf.push(null)
        }
        if (slot < seriesOfSlot.length && ids.fixed(slot)) {
          seriesOfSlot[slot] = idx
          slots[idx]!.push(slot)
        } else {
          const set = (slotSets[idx] ??= new Set())
          if (!set.has(slot)) {
            set.add(slot)
            slots[idx]!.push(slot)
          }
        }
      }
      // Positions come in order: the first count sets `first`, every count `last`.
      if (firstAt[idx]! > t) firstAt[idx] = t
      lastAt[idx] = t
      if (counter !== TW_ATTRIBUTED_SLOT && counter !== TW_AFFINITY_SLOT && counter !== STATE_SLOT.TIME_WAIT) {
        if (seenFirst[idx]! < 0) seenFirst[idx] = t
        seenLast[idx] = t
      }
      if (counter >= SLOT_COUNT) continue
      const cell = idx * SLOT_COUNT + counter
      let a = cells[cell]!
      if (a === null) {
        a = cells[cell] = slab.take()
        made.push(cell)
      }
      a[t]! += count
      if (counter < TCP_STATES.length) {
        let total = totals[counter]!
        if (total === null) {
          total = totals[counter] = new Int32Array(n)
          totalsMade.push(counter)
        }
        total[t]! += count
      }
    }
    const l = c.summaries.listeners(s)
    for (let i = 0; l && i < l.length; i += 2) {
      // A listener's slot has counts in this snapshot (its LISTENING row): its series is known when fixed.
      const known = l[i]! < seriesOfSlot.length ? seriesOfSlot[l[i]!]! : -1
      const idx = known >= 0 ? known : (byKey.get(keyOf(l[i]!, t)) ?? -1)
      if (idx >= 0) addListener((listenersOf[idx] ??= []), l[i + 1]!)
    }
  }
  // The fields in the order the series objects were given them while counting (seen before listening ports:
  // a listening port's series counted its LISTENING row first).
  series.forEach((p, idx) => {
    p.first = firstAt[idx]!
    p.last = lastAt[idx]!
    if (seenFirst[idx]! >= 0) {
      p.seenFirst = seenFirst[idx]!
      p.seenLast = seenLast[idx]!
    }
    if (listenersOf[idx]) p.listeners = listenersOf[idx]!
  })
  for (const cell of made) {
    const p = series[Math.floor(cell / SLOT_COUNT)]!
    const counter = cell % SLOT_COUNT
    const a = cells[cell]!
    if (counter < TCP_STATES.length) p.byState[TCP_STATES[counter]!] = a
    else if (counter === UDP_SLOT) p.udp = a
    else if (counter === PORTS_SLOT) p.ports = a
    else if (counter === EPHEMERAL_SLOT) p.ephemeral = a
    else if (counter === TW_ATTRIBUTED_SLOT) p.timeWaitAttributed = a
    else if (counter === TW_AFFINITY_SLOT) p.timeWaitAffinity = a
  }
  const totalsByState: Partial<Record<TcpState, Int32Array>> = {}
  for (const counter of totalsMade) totalsByState[TCP_STATES[counter]!] = totals[counter]!
  const timeOf = snapshotTimes(c)
  return {
    timeline: {
      times: order.map((s) => s.time),
      truncated: order.map((s) => s.truncated),
      rows,
      ephemeralInUse,
      ephemeralAddr,
      totalsByState,
      processes: series,
      handles: handleSeries(c, timeOf, inputFilter, apart),
      events: eventMarkers(c, order, inputFilter),
      sources: order.map((s) => ({path: c.inputs[s.input]!.path, index: s.index})),
      ...(portsUnknown.some(Boolean) ? {portsUnknown} : {}),
    },
    order,
    slots,
    untimed: candidates.length - order.length,
    rangeIndex,
    spans,
  }
}

/** The series each slot was folded into (the last one holding it when its identity changes with time), -1 for none. */
export function seriesBySlot(b: BuiltTimeline): Int32Array {
  let most = -1
  for (const list of b.slots) for (const s of list) if (s > most) most = s
  const out = new Int32Array(most + 1).fill(-1)
  b.slots.forEach((list, i) => {
    for (const s of list) out[s] = i
  })
  return out
}

/** Listening ports a process series keeps (a service listens on a few; the set stays small whatever the file). */
export const LISTEN_PORTS_KEPT = 8

function addListener(list: number[], port: number): void {
  if (list.length >= LISTEN_PORTS_KEPT || list.includes(port)) return
  list.push(port)
  list.sort((a, b) => a - b)
}

/**
 * Series cells (process identities × snapshots) built exactly. A long loop of a server that starts
 * short-lived processes all the time (a new PID every few seconds) would need a full-length series per
 * PID; past this budget the identities that lived shortest are folded into one series per image name
 * (`name (short-lived)`, PID -1), so memory stays bounded by the budget, not by PIDs × snapshots.
 */
export const SERIES_CELL_BUDGET = 1 << 21
/** Identities always kept exactly, whatever the budget. */
const MIN_KEPT = 64

type Identity = (slot: number, t: number) => {pid: number; name: string | null}
/** Process identities of aggregator slots, and whether a slot's is the same at every timeline position. */
type Identities = {identity: Identity; fixed: (slot: number) => boolean}
/**
 * Identities as resolved from the case, with each slot's first and last timeline position (-1: no counts) and
 * rows; `beyond`: some count names a slot past the slot table (never from the aggregator).
 */
type ResolvedIdentities = Identities & {lifetimes: {first: Int32Array; last: Int32Array; rows: Float64Array}; beyond: boolean}

/**
 * The series key (`pid|name`) of a slot at timeline position t. Callers ask once per slot whose identity does
 * not depend on t (most; a long loop has millions of counts, and a key string per count was most of the
 * timeline's build time): keys are not kept, a day of short-lived processes names hundreds of thousands.
 */
function keysOf(ids: Identities): (slot: number, t: number) => string {
  return (slot, t) => identityKey(ids.identity(slot, t))
}

/** An identity's series key, `pid|name` (no name and an empty one make the same key). */
const identityKey = (id: {pid: number; name: string | null}): string => `${id.pid}|${id.name ?? ''}`

function foldWithinBudget(ids: ResolvedIdentities, store: SummaryStore, order: readonly CaseSnapshot[], n: number): Identities {
  // Lifetimes by slot (counted while the identities were resolved: typed arrays, a day of short-lived processes
  // has hundreds of thousands), then by identity, numbered by (PID, the name's number among the names met
  // here) in a typed table: a key string and a map entry per identity were 25 MB of heap on a day of 250,000
  // short-lived processes. Slots whose identity changes with time are looked up at each count.
  const {first: slotFirst, last: slotLast, rows: slotRows} = ids.lifetimes
  const slotCount = slotFirst.length
  const nameNo = new Map<string, number>()
  const names: string[] = []
  const byNumber = new IntTable(1024)
  // Identities whose PID or name number does not fit a number key (never on real data), by key string.
  const byKey = new Map<string, number>()
  // Per identity, in typed arrays grown by doubling: as arrays of numbers they were most of the heap the
  // analysis kept on a day of 250,000 short-lived processes.
  let count = 0
  let pids = new Float64Array(1024)
  let nameOf = new Int32Array(1024)
  let first = new Int32Array(1024)
  let last = new Int32Array(1024)
  let rows = new Float64Array(1024)
  const keyOf = (i: number) => identityKey({pid: pids[i]!, name: names[nameOf[i]!]!})
  const add = (id: {pid: number; name: string | null}, from: number, to: number, added: number) => {
    // No name and an empty one make the same key (identityKey).
    const name = id.name ?? ''
    let k = nameNo.get(name)
    if (k === undefined) {
      k = names.length
      nameNo.set(name, k)
      names.push(name)
    }
    const numbered = Number.isInteger(id.pid) && Math.abs(id.pid) < 2 ** 32 && k < 2 ** 20
    const key = numbered ? (id.pid + 2 ** 32) * 2 ** 20 + k : identityKey(id)
    const i = typeof key === 'number' ? byNumber.get(key) : (byKey.get(key) ?? -1)
    if (i < 0) {
      if (typeof key === 'number') byNumber.set(key, count)
      else byKey.set(key, count)
      if (count === pids.length) {
        pids = grownTo(pids, 2 * count)
        nameOf = grownTo(nameOf, 2 * count)
        first = grownTo(first, 2 * count)
        last = grownTo(last, 2 * count)
        rows = grownTo(rows, 2 * count)
      }
      pids[count] = id.pid
      nameOf[count] = k
      first[count] = from
      last[count] = to
      rows[count++] = added
      return
    }
    if (from < first[i]!) first[i] = from
    if (to > last[i]!) last[i] = to
    rows[i]! += added
  }
  // Counts of slots whose identity changes with time (rows without a name of a PID named elsewhere: never in a
  // loop read from one kind of output) are added per position, in a pass of their own when there are any.
  const fixed = new Uint8Array(slotCount)
  let varying = ids.beyond
  for (let slot = 0; slot < slotCount; slot++) {
    if (slotFirst[slot]! < 0) continue
    if (ids.fixed(slot)) fixed[slot] = 1
    else varying = true
  }
  for (let t = 0; varying && t < n; t++) {
    const q = store.quads(order[t]!.summary, passQuads)
    for (let i = 0; i < q.length; i += 4) {
      const slot = q[i]!
      if (slot >= slotCount || fixed[slot] === 0) add(ids.identity(slot, t), t, t, q[i + 2]!)
    }
  }
  for (let slot = 0; slot < slotCount; slot++) {
    const from = slotFirst[slot]!
    if (from >= 0 && fixed[slot] === 1) add(ids.identity(slot, from), from, slotLast[slot]!, slotRows[slot]!)
  }
  const keep = Math.max(MIN_KEPT, Math.floor(SERIES_CELL_BUDGET / Math.max(1, n)))
  if (count <= keep) return ids
  // Longest-lived first, then most rows, then by key: the first `keep` stay. Key strings are made only for the
  // identities tied (life and rows) with the one the cut falls on; those before it stay whatever their keys.
  const life = (i: number) => last[i]! - first[i]!
  const ranked = Int32Array.from({length: count}, (_, i) => i).sort((a, b) => life(b) - life(a) || rows[b]! - rows[a]!)
  const cut = ranked[keep - 1]!
  const tied = (i: number) => life(i) === life(cut) && rows[i] === rows[cut]
  let lo = keep - 1
  while (lo > 0 && tied(ranked[lo - 1]!)) lo--
  let hi = keep
  while (hi < count && tied(ranked[hi]!)) hi++
  const kept = new Set([...Array.from(ranked.subarray(0, lo), keyOf), ...smallest(ranked.subarray(lo, hi), keep - lo, keyOf)])
  return {
    identity: (slot, t) => {
      const id = ids.identity(slot, t)
      return kept.has(identityKey(id)) ? id : {pid: -1, name: `${id.name ?? 'unnamed'} (short-lived)`}
    },
    fixed: ids.fixed,
  }
}

/**
 * The `k` smallest of the keys of `items` (keys distinct), each key made when its item is looked at and kept only
 * while among the k smallest so far: a tie at the budget's cut can hold a day's short-lived processes, and their
 * keys all at once were megabytes of strings. A max-heap of k. O(m log k).
 */
export function smallest(items: ArrayLike<number>, k: number, keyOf: (item: number) => string): string[] {
  const heap: string[] = []
  const swap = (a: number, b: number) => ([heap[a], heap[b]] = [heap[b]!, heap[a]!])
  for (let j = 0; j < items.length && k > 0; j++) {
    const key = keyOf(items[j]!)
    if (heap.length === k && key >= heap[0]!) continue
    if (heap.length < k) {
      heap.push(key)
      for (let i = heap.length - 1; i > 0 && heap[(i - 1) >> 1]! < heap[i]!; i = (i - 1) >> 1) swap(i, (i - 1) >> 1)
      continue
    }
    heap[0] = key
    for (let i = 0; ; ) {
      const l = 2 * i + 1
      const r = l + 1
      let top = i
      if (l < heap.length && heap[l]! > heap[top]!) top = l
      if (r < heap.length && heap[r]! > heap[top]!) top = r
      if (top === i) break
      swap(i, top)
      i = top
    }
  }
  return heap.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** Rows of TCP states that hold a local port (all but LISTENING), from a snapshot's quads. */
function countsHoldingPorts(q: Int32Array): number {
  let n = 0
  for (let i = 0; i < q.length; i += 4) if (q[i + 1]! < TCP_STATES.length && q[i + 1]! !== STATE_SLOT.LISTENING) n += q[i + 2]!
  return n
}

/** Every kept input's own time span (its snapshots and events), and its distance from the snapshots' span. */
function inputSpans(c: CaseBuilder, order: readonly CaseSnapshot[], keep: (input: number) => boolean): BuiltTimeline['spans'] {
  const known = order.map((s) => s.time).filter((t): t is number => t !== null)
  const slack = spanSlack(known)
  const lo = new Map<number, number>()
  const hi = new Map<number, number>()
  const add = (input: number, t: WallTime | null) => {
    if (t === null) return
    lo.set(input, Math.min(lo.get(input) ?? Infinity, t))
    hi.set(input, Math.max(hi.get(input) ?? -Infinity, t))
  }
  const present = new Set<number>()
  for (const s of c.snapshots) (add(s.input, s.time), present.add(s.input))
  for (const e of c.events) (add(e.input, e.time), present.add(e.input))
  return c.inputs
    .filter((i) => keep(i.index) && present.has(i.index))
    .map((i) => {
      const start = lo.get(i.index) ?? null
      const end = hi.get(i.index) ?? null
      if (start === null || end === null || known.length === 0) return {input: i.index, start, end, outsideSeconds: null}
      const before = outsideBy(end, known[0]!, known.at(-1)!, slack)
      const after = outsideBy(start, known[0]!, known.at(-1)!, slack)
      return {input: i.index, start, end, outsideSeconds: before < 0 ? before : after > 0 ? after : 0}
    })
}

/**
 * The quads of the snapshot a pass over the timeline is at (the passes unpack every snapshot's, one at a time),
 * and of the two snapshots `sameSnapshot` compares.
 */
const passQuads = new Scratch(Int32Array)
const sameQuads = [new Scratch(Int32Array), new Scratch(Int32Array)] as const

/** The same snapshot in two inputs: same time, same rows, same counts. */
export function sameSnapshot(store: SummaryStore, a: CaseSnapshot, b: CaseSnapshot): boolean {
  if (a.time === null || a.time !== b.time || a.input === b.input || store.rows(a.summary) !== store.rows(b.summary)) return false
  const x = store.quads(a.summary, sameQuads[0])
  const y = store.quads(b.summary, sameQuads[1])
  if (x.length !== y.length) return false
  // Quads hold source lines too (4th value): compare the counts only.
  for (let i = 0; i < x.length; i++) if (i % 4 !== 3 && x[i] !== y[i]) return false
  return true
}

function emptySeries(key: string, pid: number, name: string | null, n: number, zeros: Int32Array): ProcessSeries {
  return {
    key,
    pid,
    name,
    first: n,
    last: -1,
    byState: {},
    timeWaitAttributed: zeros,
    timeWaitAffinity: zeros,
    udp: zeros,
    ports: zeros,
    ephemeral: zeros,
  }
}

/**
 * Maps an aggregator slot (PID, name as written) at a timeline position to a process identity.
 * A PID whose image name changes is a new process; rows without a name take the name the PID has
 * nearest in time, or the name another source (handle listing, process list) gives that PID.
 */
function resolveIdentities(c: CaseBuilder, order: readonly CaseSnapshot[], apart: ReadonlyMap<number, number>): ResolvedIdentities {
  const agg = c.agg
  // The case is read: these views stay whole.
  const slotPid = agg.slotPid
  const slotName = agg.slotName
  const slotCount = slotPid.length
  // Per PID: where its name changes among its named appearances in timeline order, as pairs (t, nameId). The
  // last appearance at or before a time has the name of the last change at or before it; an object per
  // appearance was millions of them on a day of short-lived named processes.
  const named = new Map<number, number[]>()
  // And per slot its first and last position and its rows, for the series budget (`foldWithinBudget`), which
  // needed a pass of its own over every snapshot's quads for them.
  const first = new Int32Array(slotCount).fill(-1)
  const last = new Int32Array(slotCount)
  const rows = new Float64Array(slotCount)
  let beyond = false
  for (let t = 0; t < order.length; t++) {
    const q = c.summaries.quads(order[t]!.summary, passQuads)
    for (let i = 0; i < q.length; i += 4) {
      const slot = q[i]!
      if (slot >= slotCount) {
        beyond = true
        continue
      }
      if (first[slot]! < 0) first[slot] = t
      last[slot] = t
      rows[slot]! += q[i + 2]!
      const nameId = slotName[slot]!
      if (nameId === 0) continue
      const pid = slotPid[slot]!
      const list = named.get(pid)
      if (list === undefined) named.set(pid, [t, nameId])
      else if (list[list.length - 1] !== nameId) list.push(t, nameId)
    }
  }
  const otherNames = namesFromOtherSources(c, apart)
  const identity: Identity = (slot, t) => {
    const pid = slotPid[slot]!
    const nameId = slotName[slot]!
    if (nameId !== 0) return {pid, name: agg.processes.value(nameId)}
    if (pid <= 4) return {pid, name: pid === 4 ? 'System' : null}
    const list = named.get(pid)
    if (!list) return {pid, name: otherNames.get(pid) ?? null}
    // The nearest named appearance, preferring the last one at or before t (changes are in time order).
    let lo = 0
    let hi = (list.length >> 1) - 1
    let best = 0
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (list[2 * mid]! <= t) {
        best = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return {pid, name: agg.processes.value(list[2 * best + 1]!)}
  }
  // A slot's identity depends on the time only when its rows have no name and its PID has named ones.
  const fixed = (slot: number) => slotName[slot] !== 0 || slotPid[slot]! <= 4 || !named.has(slotPid[slot]!)
  return {identity, fixed, lifetimes: {first, last, rows}, beyond}
}

/** Names other inputs give PIDs; inputs from another time than the snapshots (`apart`) name nothing here. */
function namesFromOtherSources(c: CaseBuilder, apart: ReadonlyMap<number, number>): Map<number, string> {
  const seen = new Map<number, Map<string, number>>()
  const add = (pid: number, name: string | null, input: number) => {
    if (pid <= 0 || !name || apart.has(input)) return
    const m = seen.get(pid) ?? new Map<string, number>()
    m.set(name, (m.get(name) ?? 0) + 1)
    seen.set(pid, m)
  }
  for (const p of c.processes) add(p.pid, p.name, p.input)
  for (const h of c.handles) add(h.pid, h.name, h.input)
  for (const d of c.dumps.values()) add(d.pid, d.name, d.input)
  const out = new Map<number, string>()
  for (const [pid, m] of seen) {
    const [name] = [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!
    out.set(pid, name)
  }
  return out
}

function snapshotTimes(c: CaseBuilder): (input: number, index: number) => WallTime | null {
  const m = new Map<string, WallTime | null>()
  for (const s of c.snapshots) m.set(`${s.input}:${s.index}`, s.time)
  return (input, index) => (index < 0 ? null : (m.get(`${input}:${index}`) ?? null))
}

function handleSeries(
  c: CaseBuilder,
  timeOf: (input: number, index: number) => WallTime | null,
  keep: (input: number) => boolean,
  apart: ReadonlyMap<number, number>,
): HandleSeries[] {
  const out = new Map<string, HandleSeries>()
  const add = (p: HandlePoint) => {
    if (!keep(p.input) || p.pid < 0) return
    const outside = apart.get(p.input)
    const key = `${p.pid}|${p.name ?? ''}|${outside ?? ''}`
    let s = out.get(key)
    if (!s) out.set(key, (s = outside ? {pid: p.pid, name: p.name, outsideSeconds: outside, points: []} : {pid: p.pid, name: p.name, points: []}))
    s.points.push({time: timeOf(p.input, p.snapshot), total: p.total, afd: p.afd, path: c.inputs[p.input]!.path, line: p.line})
  }
  for (const p of c.handles) add(p)
  for (const p of c.processes) if (p.total !== null) add(p)
  const list = [...out.values()]
  for (const s of list) s.points.sort((a, b) => (a.time ?? 0) - (b.time ?? 0))
  return list.sort((a, b) => a.pid - b.pid || ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : (a.outsideSeconds ?? 0) - (b.outsideSeconds ?? 0)))
}

/**
 * How far `t` lies outside the span [first, last] (negative before, positive after), in seconds; 0 inside or
 * within `slack` of its ends (one sampling interval: an event logged just after the last snapshot belongs to it).
 */
export function outsideBy(t: number, first: number, last: number, slack: number): number {
  if (t < first - slack) return Math.round((t - first) / 1000)
  if (t > last + slack) return Math.round((t - last) / 1000)
  return 0
}

/** The slack around a span of snapshot times: the median interval, at least a minute. */
export function spanSlack(times: readonly number[]): number {
  const steps = times.slice(1).map((t, i) => t - times[i]!).filter((d) => d > 0).sort((a, b) => a - b)
  return Math.max(60_000, steps[steps.length >> 1] ?? 0)
}

function eventMarkers(c: CaseBuilder, order: readonly CaseSnapshot[], keep: (input: number) => boolean): EventMarker[] {
  const times = order.map((s) => s.time ?? -Infinity)
  const known = times.filter((t) => t !== -Infinity)
  const slack = spanSlack(known)
  return c.events
    .filter((e) => keep(e.input))
    .map((e) => {
      let snapshot = -1
      // Outside the snapshots' span (another day): reported with its distance, not drawn on the first or last snapshot.
      const outside = e.time !== null && known.length > 0 ? outsideBy(e.time, known[0]!, known.at(-1)!, slack) : 0
      if (outside !== 0) return {id: e.id, time: e.time, snapshot, source: e.source, message: e.message, path: c.inputs[e.input]!.path, line: e.line, outsideSeconds: outside}
      if (e.time !== null) {
        let lo = 0
        let hi = times.length - 1
        while (lo <= hi) {
          const mid = (lo + hi) >> 1
          if (times[mid]! <= e.time) {
            snapshot = mid
            lo = mid + 1
          } else hi = mid - 1
        }
      }
      return {id: e.id, time: e.time, snapshot, source: e.source, message: e.message, path: c.inputs[e.input]!.path, line: e.line}
    })
    .sort((a, b) => (a.time ?? 0) - (b.time ?? 0) || a.line - b.line)
}
