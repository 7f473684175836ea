import {Box} from 'ink'

import type {ChartView} from '../chart-model.js'
import type {Theme} from '../theme.js'
import {Line} from './Line.js'

export type ChartProps = {readonly view: ChartView; readonly theme: Theme}

/** Ephemeral ports in use over time: info line, bars against the range limit, axis with markers, time labels. */
export function Chart({view, theme}: ChartProps) {
  return (
    <Box flexDirection="column">
      <Line segs={view.info} theme={theme} />
      {view.rows.map((row, i) => (
        <Line key={i} segs={row} theme={theme} />
      ))}
      <Line segs={view.axis} theme={theme} />
      <Line segs={[{text: view.labels, style: 'dim'}]} theme={theme} />
    </Box>
  )
}
