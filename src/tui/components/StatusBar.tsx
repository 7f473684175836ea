import {displayWidth, fitSegs, type Seg} from '../text.js'
import type {StyleName, Theme} from '../theme.js'
import type {ViewState} from '../view-state.js'
import {Line} from './Line.js'

export type StatusBarProps = {
  readonly state: ViewState
  readonly shown: number
  readonly width: number
  readonly theme: Theme
  /** The event at the cursor (`▲ 4227 Tcpip: …`): the whole message, which the chart's info line has no room for. */
  readonly event?: string | undefined
}

/** The key hints, longest first: the widest that fits is shown. */
const HINTS = {
  table: [
    '←→ time ↑↓ process Enter details / filter s sort f flagged t event z/Z zoom d diff r rows g first m machines ? keys q quit',
    '←→ time ↑↓ process Enter details t event z/Z zoom d diff r rows g first ? keys q quit',
    '←→ time ↑↓ process Enter details z zoom d diff r rows ? keys q quit',
    '←→ ↑↓ Enter ? keys q quit',
  ],
  pane: ['←→ snapshot ↑↓ scroll Esc back to the table ? keys q quit', '←→ ↑↓ Esc back ? keys', 'Esc back'],
} as const

/** The bottom line: the filter being typed, a one-time note, the event at the cursor, or the active filters and the keys. */
export function StatusBar({state, shown, width, theme, event}: StatusBarProps) {
  let segs: Seg<StyleName>[]
  if (state.draft !== null) {
    segs = [{text: `/${state.draft}█`, style: 'focus'}, {text: '  Enter apply · Esc cancel · filter by name or PID', style: 'dim'}]
  } else {
    const active = [
      state.filter ? `filter "${state.filter}"` : '',
      state.flaggedOnly ? 'flagged only' : '',
    ].filter(Boolean)
    segs = [
      ...(state.note ? [{text: `${state.note}  `, style: 'warn' as const}] : []),
      ...(active.length ? [{text: `${active.join(' · ')} (${shown})  `, style: 'key' as const}] : []),
    ]
    const used = segs.reduce((n, s) => n + displayWidth(s.text), 0)
    if (event && !state.note) {
      // the message is cut to the line, the key to the help stays at the right
      const help = '  ? keys'
      segs.push(...fitSegs<StyleName>([{text: event, style: 'event'}], Math.max(0, width - used - help.length), 'plain'), {text: help, style: 'dim'})
    } else {
      const sort = state.sort !== 'severity' || width >= 130 ? `sort:${state.sort}  ` : ''
      const hints = state.view === 'table' ? HINTS.table : HINTS.pane
      const room = width - used - sort.length
      const hint = hints.find((h) => displayWidth(h) <= room) ?? hints[hints.length - 1]!
      segs.push({text: sort, style: 'dim'}, {text: hint, style: 'dim'})
    }
  }
  return <Line segs={fitSegs(segs, width, 'plain')} theme={theme} />
}
