import {render} from 'ink-testing-library'

import type {Analysis} from '../../src/model/types.js'
import {App, type Machines} from '../../src/tui/App.js'
import type {RowSource} from '../../src/tui/rows-model.js'
import type {Theme} from '../../src/tui/theme.js'

/** Lets React 19 flush and ink's useInput subscribe (STYLE.md C15): yield before and after every write. */
export const tick = () => new Promise<void>((resolve) => setImmediate(() => setTimeout(resolve, 0)))

/** Yields until `done()` holds (at most `ms`); returns whether it did. */
export async function waitFor(done: () => boolean, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms
  while (!done()) {
    if (Date.now() > until) return false
    await tick()
  }
  return true
}

export const KEY = {
  left: '\u001B[D',
  right: '\u001B[C',
  up: '\u001B[A',
  down: '\u001B[B',
  shiftLeft: '\u001B[1;2D',
  shiftRight: '\u001B[1;2C',
  pageUp: '\u001B[5~',
  pageDown: '\u001B[6~',
  home: '\u001B[H',
  end: '\u001B[F',
  enter: '\r',
  escape: '\u001B',
  tab: '\t',
  backspace: '\u007F',
} as const

/** Renders the App like the terminal would (optionally resized to `columns`×`rows`) and returns helpers to drive it. */
export type RenderOptions = {columns?: number; rows?: number; initialCursor?: number; theme?: Theme; source?: RowSource; machines?: Machines}

export async function renderApp(analysis: Analysis, opts: RenderOptions = {}) {
  const r = render(<App analysis={analysis} initialCursor={opts.initialCursor} theme={opts.theme} rows={opts.source} machines={opts.machines} />)
  await tick()
  const frame = () => r.lastFrame() ?? ''
  if (opts.columns !== undefined || opts.rows !== undefined) {
    const before = frame()
    await resize(r.stdout, opts.columns ?? 100, opts.rows ?? 24)
    // On a loaded machine the re-render can take more than a couple of ticks: wait for it (bounded).
    const until = Date.now() + 2000
    while (frame() === before && (opts.columns ?? 100) !== 100 && Date.now() < until) await tick()
  }
  /** Writes keys one by one, yielding around each write, and returns the frame after the last. */
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      r.stdin.write(k)
      await tick()
      // a lone ESC waits one macrotask for a sequence to follow
      if (k === KEY.escape) await tick()
    }
    // on a loaded machine a render can lag the keys: wait until the frame holds still (bounded)
    for (let prev = '', k = 0; k < 20 && frame() !== prev; k++) {
      prev = frame()
      await tick()
      await tick()
    }
    return frame()
  }
  return {...r, frame, press}
}

/** Gives the fake stdout a size and announces it, as a terminal does on a resize. */
export async function resize(stdout: NodeJS.EventEmitter, columns: number, rows: number) {
  Object.defineProperty(stdout, 'columns', {configurable: true, get: () => columns})
  Object.defineProperty(stdout, 'rows', {configurable: true, get: () => rows})
  stdout.emit('resize')
  await tick()
  await tick()
}

/** The time labels under the chart (the line after the axis). */
export const axisLabels = (frame: string) => {
  const lines = frame.split('\n')
  return lines[lines.findIndex((l) => l.includes('└')) + 1] ?? ''
}

/** The line of a frame that contains `text`, or ''. */
export const lineWith = (frame: string, text: string) => frame.split('\n').find((l) => l.includes(text)) ?? ''

/** The table rows of a frame: lines that start with a PID column (selected marker included). */
export const tableRows = (frame: string) => frame.split('\n').filter((l) => /^[› ] {0,6}\d+ [^\s│┤└]/.test(l))
