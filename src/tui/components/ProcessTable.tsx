import {Box} from 'ink'

import type {TableView} from '../table-model.js'
import {fit, type Seg} from '../text.js'
import type {StyleName, Theme} from '../theme.js'
import {Blank, Line} from './Line.js'

export type ProcessTableProps = {
  readonly view: TableView
  readonly height: number
  readonly width: number
  readonly focused: boolean
  readonly empty: string
  readonly theme: Theme
}

const SEV: readonly StyleName[] = ['sev0', 'sev1', 'sev2', 'sev3', 'plain']

/** The processes at the cursor: heading, visible rows (selected one marked `›`), blank filler. */
export function ProcessTable({view, height, width, focused, empty, theme}: ProcessTableProps) {
  const heading: Seg<StyleName>[] = [{text: fit(view.heading, width), style: focused ? 'focus' : 'heading'}]
  const rows = view.rows.map((r) => {
    const base: StyleName = r.selected ? 'selected' : 'plain'
    return [
      {text: r.lead, style: base},
      {text: r.sparkBefore, style: 'bar'},
      {text: r.sparkAt, style: 'cursor'},
      {text: r.sparkAfter, style: 'bar'},
      {text: r.flag, style: SEV[r.sevRank] ?? 'plain'},
    ] satisfies Seg<StyleName>[]
  })
  const message = view.rows.length === 0 && height > 1 ? [fit(empty, width)] : []
  return (
    <Box flexDirection="column" width={width}>
      <Line segs={heading} theme={theme} />
      {rows.map((segs, i) => (
        <Line key={i} segs={segs} theme={theme} />
      ))}
      {message.map((m) => (
        <Line key="empty" segs={[{text: m, style: 'dim'}]} theme={theme} />
      ))}
      <Blank count={height - 1 - rows.length - message.length} width={width} />
    </Box>
  )
}
