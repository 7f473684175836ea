import {Text} from 'ink'

import type {Seg} from '../text.js'
import type {StyleName, Theme} from '../theme.js'

export type LineProps = {readonly segs: readonly Seg<StyleName>[]; readonly theme: Theme}

/** One screen line of styled segments; without colour it is a single plain string. */
export function Line({segs, theme}: LineProps) {
  const text = segs.map((s) => s.text).join('')
  if (!theme.color || segs.length === 1) {
    const style = theme.color ? theme.styles[segs[0]?.style ?? 'plain'] : {}
    return <Text wrap="truncate" {...style}>{text || ' '}</Text>
  }
  return (
    <Text wrap="truncate">
      {segs.map((s, i) => (
        <Text key={i} {...theme.styles[s.style]}>
          {s.text}
        </Text>
      ))}
    </Text>
  )
}

/** `count` blank lines of `width` columns (keeps every frame the same height). */
export function Blank({count, width}: {readonly count: number; readonly width: number}) {
  if (count <= 0) return null
  return <Text>{Array.from({length: count}, () => ' '.repeat(Math.max(1, width))).join('\n')}</Text>
}
