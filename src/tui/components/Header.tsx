import {Box} from 'ink'

import {fitSegs, type Seg} from '../text.js'
import type {StyleName, Theme} from '../theme.js'
import type {Header as HeaderModel} from '../view-model.js'
import {Line} from './Line.js'

export type HeaderProps = {readonly header: HeaderModel; readonly width: number; readonly theme: Theme}

/** Two lines: the case (host, inputs) and the verdict with the facts behind it. */
export function Header({header, width, theme}: HeaderProps) {
  const badge: StyleName = header.status === 'exhausted' ? 'verdictBad' : header.status === 'at-risk' ? 'verdictWarn' : 'verdictOk'
  const help = '  ? keys'
  const title: Seg<StyleName>[] = [
    ...fitSegs<StyleName>([{text: header.title, style: 'title'}], Math.max(0, width - help.length), 'plain'),
    {text: help.slice(0, width), style: 'dim'},
  ]
  const facts = fitSegs<StyleName>([{text: ` ${header.verdict} `, style: badge}, {text: `  ${header.facts}`, style: 'plain'}], width, 'plain')
  return (
    <Box flexDirection="column">
      <Line segs={title} theme={theme} />
      <Line segs={facts} theme={theme} />
    </Box>
  )
}
