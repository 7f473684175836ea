import type {ChartStyle} from './chart-model.js'
import type {DetailStyle} from './detail-model.js'

/** Style names used anywhere on the screen. */
export type StyleName = ChartStyle | DetailStyle | 'verdictBad' | 'verdictWarn' | 'verdictOk' | 'selected' | 'key' | 'focus'

/** Ink `<Text>` props of one style. */
export type TextStyle = {readonly color?: string; readonly bold?: boolean; readonly dimColor?: boolean; readonly inverse?: boolean}

export type Theme = {readonly color: boolean; readonly styles: Readonly<Record<StyleName, TextStyle>>}

/** Colours for terminals that have them; names are the 16 ANSI colours, so the user's palette applies. */
export const colorTheme: Theme = {
  color: true,
  styles: {
    plain: {},
    dim: {dimColor: true},
    bar: {color: 'green'},
    warn: {color: 'yellow'},
    crit: {color: 'red'},
    limit: {color: 'red'},
    cursor: {color: 'cyan', bold: true},
    event: {color: 'magenta'},
    axis: {dimColor: true},
    title: {bold: true},
    heading: {color: 'blue'},
    sev0: {color: 'red', bold: true},
    sev1: {color: 'yellow'},
    sev2: {color: 'yellow', dimColor: true},
    sev3: {color: 'blue'},
    verdictBad: {color: 'red', bold: true, inverse: true},
    verdictWarn: {color: 'yellow', bold: true, inverse: true},
    verdictOk: {color: 'green', bold: true},
    selected: {inverse: true},
    key: {color: 'cyan'},
    focus: {color: 'cyan', bold: true},
  },
}

/** No styling at all: glyphs alone (›, │, ┴, ▲, ~) carry every cue. */
export const plainTheme: Theme = {
  color: false,
  styles: Object.fromEntries(Object.keys(colorTheme.styles).map((k) => [k, {}])) as unknown as Theme['styles'],
}

/**
 * Whether to colour: never with NO_COLOR set (https://no-color.org), `FORCE_COLOR=0` disables,
 * another FORCE_COLOR value enables, otherwise the terminal decides (`hasColors()` of the stream).
 */
export function wantsColor(env: NodeJS.ProcessEnv, stream?: {hasColors?: () => boolean; isTTY?: boolean}): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  return Boolean(stream?.isTTY && stream.hasColors?.())
}

/** The theme for an environment and output stream. */
export const themeFor = (env: NodeJS.ProcessEnv, stream?: {hasColors?: () => boolean; isTTY?: boolean}): Theme =>
  wantsColor(env, stream) ? colorTheme : plainTheme
