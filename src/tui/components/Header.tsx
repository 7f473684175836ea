import {Box} from 'ink'

import {displayWidth, fitSegs, type Seg} from '../text.js'
import type {StyleName, Theme} from '../theme.js'
import type {Header as HeaderModel} from '../view-model.js'
import {Line} from './Line.js'

export type HeaderProps = {readonly header: HeaderModel; readonly width: number; readonly theme: Theme}

/** Two lines: the case (host, inputs) and the verdict with the facts behind it. */
export function Header({header, width, theme}: HeaderProps) {
  const badge: StyleName = header.status === 'exhausted' ? 'verdictBad' : header.status === 'at-risk' ? 'verdictWarn' : 'verdictOk'
  const help = '  ? keys'
  // narrow terminals get the short forms (machine and file name; peak before span) rather than a cut-off line
  const fits = (text: string, room: number) => displayWidth(text) <= room
  const name = fits(header.title, width - help.length) ? header.title : header.titleShort
  const factsText = fits(`${header.verdict}    ${header.facts}`, width) ? header.facts : header.factsShort
  const title: Seg<StyleName>[] = [
    ...fitSegs<StyleName>([{text: name, style: 'title'}], Math.max(0, width - help.length), 'plain'),
    {text: help.slice(0, width), style: 'dim'},
  ]
  const facts = fitSegs<StyleName>([{text: ` ${header.verdict} `, style: badge}, {text: `  ${factsText}`, style: 'plain'}], width, 'plain')
  return (
    <Box flexDirection="column">
      <Line segs={title} theme={theme} />
      <Line segs={facts} theme={theme} />
    </Box>
  )
}
