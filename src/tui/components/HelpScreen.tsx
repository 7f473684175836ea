import {Box} from 'ink'

import {KEYS} from '../keymap.js'
import {fit} from '../text.js'
import type {Theme} from '../theme.js'
import {Blank, Line} from './Line.js'

export type HelpScreenProps = {readonly height: number; readonly width: number; readonly theme: Theme}

const LEGEND = [
  '│ ┴ cursor   ▲ event marker   ─ dynamic range limit   blank axis: no samples (gap)',
  '~ TIME_WAIT rows attributed to the process (netstat shows them without an owner)',
]

/** The keys and the chart's glyphs; any key closes it. */
export function HelpScreen({height, width, theme}: HelpScreenProps) {
  const lines = [
    ...KEYS.map(([k, what]) => [
      {text: `  ${fit(k, 22)}`, style: 'key' as const},
      {text: fit(what, Math.max(0, width - 24)), style: 'plain' as const},
    ]),
    [{text: fit('', width), style: 'plain' as const}],
    ...LEGEND.map((l) => [{text: fit(`  ${l}`, width), style: 'dim' as const}]),
    [{text: fit('  any key closes this screen', width), style: 'dim' as const}],
  ].slice(0, height)
  return (
    <Box flexDirection="column">
      {lines.map((segs, i) => (
        <Line key={i} segs={segs} theme={theme} />
      ))}
      <Blank count={height - lines.length} width={width} />
    </Box>
  )
}
