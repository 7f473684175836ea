import type {Key} from 'ink'
import {type Dispatch, useCallback, useEffect, useReducer, useState} from 'react'

import {keyAction, splitKeys} from '../keymap.js'
import type {Size} from '../layout.js'
import type {ViewModel} from '../view-model.js'
import {type Action, initialState, reduce, type ViewState} from '../view-state.js'

/** A key press, mapped to an action inside the reducer so that keys arriving in one burst see each other's effect. */
export type KeyAction = {readonly type: 'key'; readonly input: string; readonly key: Key}

/** The screen's state: a reducer over `reduce`, kept in step with the terminal size. */
/** Replaces the whole state (another case is shown). */
type Replace = {readonly type: 'replace'; readonly state: ViewState}

export function useViewState(vm: ViewModel, size: Size, initialCursor?: number, picker = false): [ViewState, Dispatch<Action | KeyAction>] {
  const reducer = useCallback(
    (s: ViewState, a: Action | KeyAction | Replace): ViewState => {
      if (a.type === 'replace') return a.state
      if (a.type !== 'key') return reduce(vm, s, a)
      let next = s
      for (const [input, key] of splitKeys(a.input, a.key)) {
        const action = keyAction(input, key, next)
        if (action) next = reduce(vm, next, action)
      }
      return next
    },
    [vm],
  )
  const [state, dispatch] = useReducer(reducer, undefined, () => initialState(vm, size, initialCursor, picker))
  // another machine picked: a new view model, and a fresh state for it (set while rendering, so that no
  // frame draws the old state against the new case), from its last snapshot
  const [shown, setShown] = useState(vm)
  useEffect(() => {
    if (size.columns !== state.size.columns || size.rows !== state.size.rows) dispatch({type: 'resize', size})
  }, [size, state.size])
  if (shown !== vm) {
    const fresh = initialState(vm, size)
    setShown(vm)
    dispatch({type: 'replace', state: fresh})
    return [fresh, dispatch]
  }
  return [state, dispatch]
}
