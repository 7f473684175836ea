import type {Key} from 'ink'

import type {Action, ViewState} from './view-state.js'

/** The keys, as the `?` screen lists them. */
export const KEYS: readonly (readonly [string, string])[] = [
  ['← →', 'previous / next snapshot'],
  ['Shift+← →  PgUp PgDn', 'back / forward 10 % of the case'],
  ['Home End', 'first / last snapshot'],
  ['z Z', 'zoom the time axis in / out'],
  ['t', 'jump to the next event marker (▲)'],
  ['g', 'go to the selected process\'s first appearance'],
  ['d  b', 'diff: new and gone sockets per process (b: compare from here)'],
  ['r', 'source lines of the selected process at the cursor (←→ follow it)'],
  ['m', 'machines: pick another machine of the upload'],
  ['y', 'y scale: whole dynamic range / fit to the peak'],
  ['↑ ↓', 'select a process (scroll the details when they have focus)'],
  ['Enter  Esc', 'open the details of the process / go back'],
  ['Tab', 'switch between the table and the details'],
  ['/', 'filter by name or PID (Enter applies, Esc cancels)'],
  ['s', 'cycle the sort: severity, ports, change, PID, name'],
  ['f', 'flagged processes only (on / off)'],
  ['?', 'this help'],
  ['q  Ctrl+C', 'quit'],
]

/** Maps a key press to an action for the current state (null: the key does nothing here). */
export function keyAction(input: string, key: Key, s: ViewState): Action | null {
  if (s.draft !== null) {
    if (key.return) return {type: 'filterApply'}
    if (key.escape) return {type: 'filterCancel'}
    if (key.backspace || key.delete) return {type: 'filterErase'}
    if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return null
    // eslint-disable-next-line no-control-regex
    const text = input.replace(/[\u0000-\u001f\u007f]/g, '')
    return text ? {type: 'filterType', text} : null
  }
  if (s.help) return input === 'q' ? {type: 'quit'} : {type: 'help'}
  if (s.picker) {
    if (key.upArrow || key.downArrow) return {type: 'pick', by: key.upArrow ? -1 : 1}
    if (key.return) return {type: 'pickApply'}
    if (key.escape || input === 'm') return {type: 'machines'}
    return input === 'q' ? {type: 'quit'} : null
  }
  if (key.leftArrow || key.rightArrow) {
    const dir = key.rightArrow ? 1 : -1
    return key.shift ? {type: 'page', dir} : {type: 'move', by: dir}
  }
  if (key.pageUp) return {type: 'page', dir: -1}
  if (key.pageDown) return {type: 'page', dir: 1}
  if (key.home) return {type: 'jump', to: 'start'}
  if (key.end) return {type: 'jump', to: 'end'}
  if (key.upArrow) return {type: 'select', by: -1}
  if (key.downArrow) return {type: 'select', by: 1}
  if (key.return) return {type: 'open'}
  if (key.escape) return {type: 'back'}
  if (key.tab) return {type: 'tab'}
  if (key.ctrl || key.meta) return null
  switch (input) {
    case '/':
      return {type: 'filterStart'}
    case 's':
      return {type: 'sort'}
    case 'f':
      return {type: 'flagged'}
    case 't':
      return {type: 'nextEvent'}
    case 'g':
      return {type: 'firstSeen'}
    case 'd':
      return {type: 'diff'}
    case 'b':
      return {type: 'diffBase'}
    case 'r':
      return {type: 'rows'}
    case 'm':
      return {type: 'machines'}
    case 'z':
      return {type: 'zoom', dir: 1}
    case 'Z':
      return {type: 'zoom', dir: -1}
    case 'y':
      return {type: 'yScale'}
    case '?':
      return {type: 'help'}
    case 'q':
      return {type: 'quit'}
    default:
      return null
  }
}

/** A key record with nothing pressed. */
export const NO_KEY: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false,
  end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false,
  meta: false, super: false, hyper: false, capsLock: false, numLock: false,
}

/**
 * Splits a run of typed text into single key presses. Ink reports text that arrives in one read
 * (a paste, or `/name⏎` sent quickly) as one input; `/`, the name and Enter must act in turn.
 * Alt+letter becomes Esc, letter.
 */
export function splitKeys(input: string, key: Key): [string, Key][] {
  // no key here uses Alt: ESC then a letter typed quickly (or sent by tmux) arrives as Alt+letter, and means both
  if (key.meta && !key.escape && !key.ctrl && input.length === 1 && input >= ' ') {
    return [['', {...NO_KEY, escape: true, meta: true}], [input, {...NO_KEY, shift: /[A-Z]/.test(input)}]]
  }
  if (input.length <= 1 || key.ctrl || key.meta) return [[input, key]]
  return Array.from(input, (ch): [string, Key] => {
    const control = ch < ' ' || ch === '\u007F'
    return [
      control ? '' : ch,
      {
        ...NO_KEY,
        return: ch === '\r' || ch === '\n',
        tab: ch === '\t',
        backspace: ch === '\b',
        delete: ch === '\u007F',
        shift: /[A-Z]/.test(ch),
      },
    ]
  })
}
