import {fitSegs, type Seg} from '../text.js'
import type {StyleName, Theme} from '../theme.js'
import type {ViewState} from '../view-state.js'
import {Line} from './Line.js'

export type StatusBarProps = {readonly state: ViewState; readonly shown: number; readonly width: number; readonly theme: Theme}

/** The bottom line: the filter being typed, a one-time note, or the active filters and the main keys. */
export function StatusBar({state, shown, width, theme}: StatusBarProps) {
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
      {text: `sort:${state.sort}  `, style: 'dim'},
      {text: '←→ time ↑↓ process Enter details / filter s sort f flagged t event z/Z zoom ? keys q quit', style: 'dim'},
    ]
  }
  return <Line segs={fitSegs(segs, width, 'plain')} theme={theme} />
}
