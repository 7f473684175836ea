import {Box} from 'ink'

import type {DetailLine} from '../detail-model.js'
import {fitSegs} from '../text.js'
import type {StyleName, Theme} from '../theme.js'
import {Blank, Line} from './Line.js'

export type DetailPaneProps = {
  readonly lines: readonly DetailLine[]
  readonly top: number
  readonly height: number
  readonly width: number
  readonly focused: boolean
  readonly theme: Theme
}

/** The selected process in depth, scrolled to `top`; a `▸` marks it when it has the keys. */
export function DetailPane({lines, top, height, width, focused, theme}: DetailPaneProps) {
  const shown = lines.slice(top, top + height).map((l, i) =>
    fitSegs<StyleName>(i === 0 && top === 0 ? [{text: focused ? '▸ ' : '  ', style: 'focus'}, ...l] : l, width, 'plain'),
  )
  return (
    <Box flexDirection="column" width={width}>
      {shown.map((segs, i) => (
        <Line key={i} segs={segs} theme={theme} />
      ))}
      <Blank count={height - shown.length} width={width} />
    </Box>
  )
}
