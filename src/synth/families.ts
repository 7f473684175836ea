/**
 * Seeded families of netstat loops for the detector's Monte Carlo (docs/detection.md): healthy servers under
 * several kinds of noise and load, and leaks of every state, slope, start and shape. Each process's count per
 * state per snapshot comes from a family; `renderCounts` turns the counts into a netstat -ano(b)q loop whose
 * ports persist between snapshots, so the real pipeline (parser, timeline, detector) sees what it would see on a
 * server. Same family and seed → same bytes.
 */
import {prng, stampLine} from './loop.js'

export type LeakState = 'BOUND' | 'CLOSE_WAIT' | 'ESTABLISHED' | 'TIME_WAIT'

/** One process of a generated loop: its counts per state per snapshot, and its PID per snapshot. */
export type CountProcess = {
  name: string
  /** PID per snapshot (restarts and reuse change it); a negative PID means absent. */
  pid: Int32Array
  /** Connection counts per state per snapshot. TIME_WAIT rows are written under PID 0 to the process's remote. */
  counts: Partial<Record<LeakState, Float64Array>>
  /** The endpoint its connections go to (one per process, so TIME_WAIT rows can be tied to it by affinity). */
  remote: string
  listen: number[]
}

export type CountLoop = {
  snapshots: number
  intervalSec: number
  names: boolean
  processes: CountProcess[]
  /** What the file should be found to hold: null for a healthy file. */
  culprits: {name: string; state: LeakState}[] | null
  /** The culprit's growth stopped before the end. */
  stopped?: boolean
}

const START = Date.UTC(2024, 2, 11, 6, 0, 0)

/** Standard normal from a uniform source (Box-Muller). */
export function gauss(r: () => number): number {
  const u = Math.max(r(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r())
}

function poisson(r: () => number, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gauss(r)))
  const l = Math.exp(-mean)
  let k = 0
  let p = 1
  do {
    k++
    p *= r()
  } while (p > l)
  return k - 1
}

/** Noise kinds of the healthy families: each returns n zero-mean deviations in units of sd. */
export type NoiseKind = 'iid' | 'poisson' | 'bursts' | 'ar05' | 'ar09'

export function noise(r: () => number, kind: NoiseKind, n: number, level: number): Float64Array {
  const out = new Float64Array(n)
  if (kind === 'poisson') {
    for (let i = 0; i < n; i++) out[i] = (poisson(r, level) - level) / Math.sqrt(Math.max(1, level))
    return out
  }
  if (kind === 'bursts') {
    // Mostly quiet, a burst of 5–20 sd lasting 1–3 snapshots on about 4 % of them.
    for (let i = 0; i < n; i++) {
      out[i] = out[i]! + 0.5 * gauss(r)
      if (r() < 0.04) {
        const h = 5 + 15 * r()
        const len = 1 + Math.floor(3 * r())
        for (let k = i; k < Math.min(n, i + len); k++) out[k] = out[k]! + h
      }
    }
    return out
  }
  const phi = kind === 'ar05' ? 0.5 : kind === 'ar09' ? 0.9 : 0
  let x = gauss(r)
  for (let i = 0; i < n; i++) {
    out[i] = x
    x = phi * x + Math.sqrt(1 - phi * phi) * gauss(r)
  }
  return out
}

export type FamilySpec = {
  id: string
  /** Healthy files have no culprit. */
  healthy: boolean
  make: (seed: number) => CountLoop
}

const pidsConst = (n: number, pid: number) => new Int32Array(n).fill(pid)

/** Background processes of an ordinary server: steady-ish ESTABLISHED and TIME_WAIT churn under one noise kind. */
function background(r: () => number, n: number, kind: NoiseKind, load: Float64Array | null, count: number): CountProcess[] {
  const out: CountProcess[] = []
  for (let k = 0; k < count; k++) {
    const level = 10 + Math.floor(r() * 120)
    const sd = Math.max(2, 0.15 * level)
    const e = noise(r, kind, n, level)
    const est = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const m = load ? level * load[i]! : level
      est[i] = kind === 'poisson' ? m + e[i]! * Math.sqrt(m) : m + sd * e[i]!
    }
    const tw = new Float64Array(n)
    const twLevel = Math.floor(r() * 30)
    const f = noise(r, kind === 'poisson' ? 'poisson' : 'iid', n, twLevel)
    for (let i = 0; i < n; i++) tw[i] = (load ? twLevel * load[i]! : twLevel) + Math.max(1, 0.2 * twLevel) * f[i]!
    out.push({
      name: `svc${k}.exe`,
      pid: pidsConst(n, 1000 + 8 * k),
      counts: {ESTABLISHED: est, TIME_WAIT: tw},
      remote: `10.1.${k}.10:443`,
      listen: k < 3 ? [8000 + k] : [],
    })
  }
  return out
}

/** A day's load shape over the window, starting near the low: 1 ± amplitude. */
function dailyLoad(n: number, amplitude: number, phase: number): Float64Array {
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = 1 - amplitude * Math.cos((2 * Math.PI * i) / n + phase)
  return out
}

const LENGTHS = [12, 30, 60, 120, 240] as const

function healthy(id: string, body: (r: () => number, n: number) => CountProcess[], lengths: readonly number[] = LENGTHS): FamilySpec {
  return {
    id,
    healthy: true,
    make(seed) {
      const r = prng(seed * 7919 + hash(id))
      const n = lengths[Math.floor(r() * lengths.length)]!
      return {snapshots: n, intervalSec: 60, names: r() < 0.5, processes: body(r, n), culprits: null}
    },
  }
}

function hash(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}

export type LeakShape = {
  state: LeakState
  /** Slope per snapshot over the culprit's noise sd. */
  ratio: number
  sd?: number
  snapshots: number
  /** Fraction of the window where growth starts (0) and stops (1 = never). */
  from?: number
  to?: number
  noise?: NoiseKind
  /** Restart every k snapshots under a new PID (sawtooth). */
  restartEvery?: number
  names?: boolean
  /** A second leaker (another state) and a busier noisy neighbour. */
  second?: boolean
  busyNeighbour?: boolean
}

function leak(id: string, shape: LeakShape): FamilySpec {
  return {
    id,
    healthy: false,
    make(seed) {
      const r = prng(seed * 104729 + hash(id))
      const n = shape.snapshots
      const procs = background(r, n, 'iid', null, 4 + Math.floor(r() * 4))
      const culprit = leaker(r, 'Leaky.exe', 7000, n, shape, shape.state)
      procs.push(culprit)
      const culprits = [{name: 'Leaky.exe', state: shape.state}]
      if (shape.second) {
        const other: LeakState = shape.state === 'CLOSE_WAIT' ? 'BOUND' : 'CLOSE_WAIT'
        procs.push(leaker(r, 'Other.exe', 7400, n, {...shape, restartEvery: undefined}, other))
        culprits.push({name: 'Other.exe', state: other})
      }
      if (shape.busyNeighbour) {
        const e = noise(r, 'iid', n, 0)
        const est = Float64Array.from(e, (x) => 300 + 40 * x)
        procs.push({name: 'Busy.exe', pid: pidsConst(n, 5200), counts: {ESTABLISHED: est}, remote: '10.3.3.3:1433', listen: [1433]})
      }
      return {snapshots: n, intervalSec: 60, names: shape.names ?? r() < 0.5, processes: procs, culprits, stopped: (shape.to ?? 1) < 1}
    },
  }
}

function leaker(r: () => number, name: string, pid0: number, n: number, s: LeakShape, state: LeakState): CountProcess {
  const sd = s.sd ?? 5
  const base = 20 + Math.floor(r() * 20)
  const slope = s.ratio * sd
  const e = noise(r, s.noise ?? 'iid', n, 0)
  const v = new Float64Array(n)
  const pid = new Int32Array(n)
  const from = Math.floor((s.from ?? 0) * n)
  const to = Math.floor((s.to ?? 1) * n)
  for (let i = 0; i < n; i++) {
    const segStart = s.restartEvery ? i - (i % s.restartEvery) : 0
    const age = Math.max(0, Math.min(i, to) - Math.max(from, segStart))
    v[i] = base + slope * age + sd * e[i]!
    pid[i] = s.restartEvery ? pid0 + 4 * Math.floor(i / s.restartEvery) : pid0
  }
  const counts: CountProcess['counts'] = {[state]: v}
  // A TIME_WAIT leaker keeps a few connections of its own to the endpoint, so its PID 0 rows can be tied to it.
  if (state === 'TIME_WAIT') counts.ESTABLISHED = new Float64Array(n).fill(3)
  return {name, pid, counts, remote: `10.2.${pid0 % 200}.20:8443`, listen: [9000 + (pid0 % 100)]}
}

/** The families of the Monte Carlo; each `make(seed)` builds one file's counts. */
export const FAMILIES: readonly FamilySpec[] = [
  healthy('iid', (r, n) => background(r, n, 'iid', null, 6 + Math.floor(r() * 5))),
  healthy('poisson', (r, n) => background(r, n, 'poisson', null, 6 + Math.floor(r() * 5))),
  healthy('bursts', (r, n) => background(r, n, 'bursts', null, 6 + Math.floor(r() * 5))),
  healthy('ar-0.5', (r, n) => background(r, n, 'ar05', null, 6 + Math.floor(r() * 5))),
  healthy('ar-0.9', (r, n) => background(r, n, 'ar09', null, 6 + Math.floor(r() * 5))),
  healthy('daily-cycle', (r, n) => background(r, n, 'iid', dailyLoad(n, 0.3 + 0.3 * r(), 0.3 * (r() - 0.5)), 6 + Math.floor(r() * 5)), [60, 120, 240, 300]),
  // A busy morning: the window covers 60 % of a day from its low, so the load rises and only partly falls back.
  healthy('daily-partial', (r, n) => {
    const load = Float64Array.from({length: n}, (_, i) => 1 - 0.5 * Math.cos((2 * Math.PI * 0.6 * i) / n))
    return background(r, n, 'iid', load, 6 + Math.floor(r() * 5))
  }, [60, 120, 240, 300]),
  healthy('busy-hour', (r, n) => {
    const load = new Float64Array(n)
    const at = Math.floor(n * (0.3 + 0.5 * r()))
    for (let i = 0; i < n; i++) load[i] = i < at ? 1 : 1.6
    return background(r, n, 'iid', load, 6 + Math.floor(r() * 5))
  }),
  healthy('step-down', (r, n) => {
    const load = new Float64Array(n)
    const at = Math.floor(n * (0.2 + 0.6 * r()))
    for (let i = 0; i < n; i++) load[i] = i < at ? 1 : 0.6
    return background(r, n, 'iid', load, 6 + Math.floor(r() * 5))
  }),
  healthy('spike', (r, n) => {
    const procs = background(r, n, 'iid', null, 6 + Math.floor(r() * 5))
    const at = Math.floor(n * r())
    const est = procs[0]!.counts.ESTABLISHED!
    est[at] = est[at]! * 3
    return procs
  }),
  healthy('late-start', (r, n) => {
    const procs = background(r, n, 'iid', null, 6 + Math.floor(r() * 5))
    const p = procs.at(-1)!
    const at = Math.floor(n * (0.2 + 0.5 * r()))
    for (let i = 0; i < n; i++) if (i < at) p.pid[i] = -1
    const est = p.counts.ESTABLISHED!
    // Ramps up over three snapshots, then steady.
    for (let i = at; i < Math.min(n, at + 3); i++) est[i] = (est[i]! * (i - at + 1)) / 4
    return procs
  }),
  healthy('pid-reuse', (r, n) => {
    const procs = background(r, n, 'iid', null, 6 + Math.floor(r() * 5))
    const a = procs[0]!
    const at = Math.floor(n * (0.3 + 0.4 * r()))
    const level = 0.5 + 0.5 * r()
    const est = a.counts.ESTABLISHED!
    for (let i = at; i < n; i++) est[i] = est[i]! * level
    // Another image under the same PID from `at`: same PID, new name.
    procs.push({name: 'reused.exe', pid: Int32Array.from(a.pid, (p, i) => (i >= at ? p : -1)), counts: {}, remote: '10.9.9.9:80', listen: []})
    for (let i = at; i < n; i++) a.pid[i] = -1 - 0 * i
    procs.at(-1)!.counts = {ESTABLISHED: Float64Array.from(est, (x, i) => (i >= at ? x : 0)), TIME_WAIT: a.counts.TIME_WAIT!}
    return procs
  }),
  ...(['BOUND', 'CLOSE_WAIT', 'ESTABLISHED', 'TIME_WAIT'] as const).flatMap((state) =>
    [0.04, 0.1].map((ratio) => leak(`leak-${state}-${ratio}`, {state, ratio, snapshots: 120})),
  ),
  leak('short-30-0.4', {state: 'CLOSE_WAIT', ratio: 0.4, snapshots: 30}),
  leak('short-45-0.4', {state: 'BOUND', ratio: 0.4, snapshots: 45}),
  leak('ar-0.5-leak', {state: 'CLOSE_WAIT', ratio: 0.1, snapshots: 120, noise: 'ar05'}),
  // Starts at 60 %: over the last 48 of 120 snapshots, a rise of 12 sd.
  leak('late-60pc', {state: 'BOUND', ratio: 0.25, snapshots: 120, from: 0.6}),
  leak('late-60pc-short', {state: 'CLOSE_WAIT', ratio: 0.6, snapshots: 45, from: 0.6}),
  leak('stopped-half', {state: 'CLOSE_WAIT', ratio: 0.3, snapshots: 120, to: 0.5}),
  leak('sawtooth-names', {state: 'BOUND', ratio: 1, snapshots: 120, restartEvery: 30, names: true}),
  leak('sawtooth-nonames', {state: 'BOUND', ratio: 1, snapshots: 120, restartEvery: 30, names: false}),
  leak('two-leakers', {state: 'CLOSE_WAIT', ratio: 0.2, snapshots: 120, second: true}),
  leak('under-busy', {state: 'CLOSE_WAIT', ratio: 0.1, snapshots: 120, busyNeighbour: true}),
]

type Row = {lport: number; state: LeakState}

/** Renders a count loop as `netstat -ano[b]q` text (one string per snapshot), ports persisting between snapshots. */
export function* renderCounts(loop: CountLoop, seed: number): Generator<string> {
  const r = prng(seed ^ 0x5bd1e995)
  let next = 49152
  const used = new Set<number>()
  const alloc = () => {
    for (let k = 0; k < 16384; k++) {
      const p = next
      next = next >= 65535 ? 49152 : next + 1
      if (!used.has(p)) {
        used.add(p)
        return p
      }
    }
    return -1
  }
  // Rows each process holds, per state, keyed by process index; released when its PID changes.
  const held = loop.processes.map(() => new Map<LeakState, Row[]>())
  const lastPid = loop.processes.map(() => -1)
  for (let s = 0; s < loop.snapshots; s++) {
    const t = START + s * loop.intervalSec * 1000 + Math.floor(r() * 3000)
    const lines: string[] = [stampLine(new Date(t)), '', 'Active Connections', '']
    lines.push('  Proto  Local Address          Foreign Address        State           PID')
    const rows: [string, string, string, string, number, string | null][] = []
    loop.processes.forEach((p, k) => {
      const pid = p.pid[s]!
      if (pid !== lastPid[k]) {
        for (const list of held[k]!.values()) for (const x of list) used.delete(x.lport)
        held[k]!.clear()
        lastPid[k] = pid
      }
      if (pid < 0) return
      const name = loop.names ? p.name : null
      for (const port of p.listen) rows.push(['TCP', `0.0.0.0:${port}`, '0.0.0.0:0', 'LISTENING', pid, name])
      for (const [state, series] of Object.entries(p.counts) as [LeakState, Float64Array][]) {
        const want = Math.max(0, Math.round(series[s]!))
        const list = held[k]!.get(state) ?? []
        held[k]!.set(state, list)
        while (list.length > want) {
          // Random rows close, not the newest: a real server's connections end in no particular order.
          const i = Math.floor(r() * list.length)
          used.delete(list[i]!.lport)
          list.splice(i, 1)
        }
        while (list.length < want) {
          const lport = alloc()
          if (lport < 0) break
          list.push({lport, state})
        }
        for (const x of list) {
          if (state === 'BOUND') rows.push(['TCP', `0.0.0.0:${x.lport}`, '0.0.0.0:0', 'BOUND', pid, name])
          else rows.push(['TCP', `10.0.0.5:${x.lport}`, p.remote, state, state === 'TIME_WAIT' ? 0 : pid, state === 'TIME_WAIT' ? null : name])
        }
      }
    })
    rows.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    for (const [proto, local, foreign, state, pid, name] of rows) {
      lines.push(`  ${proto.padEnd(7)}${local.padEnd(23)}${foreign.padEnd(23)}${state.padEnd(16)}${pid}`)
      if (loop.names && name) lines.push(` [${name}]`)
    }
    yield lines.join('\r\n') + '\r\n'
  }
}
