import {useInput} from 'ink'
import {type Dispatch, useCallback} from 'react'

import type {KeyAction} from './use-view-state.js'

/** Sends every key press to the state reducer (which maps it with `keyAction`), while `isActive`. */
export function useKeymap(dispatch: Dispatch<KeyAction>, isActive = true): void {
  const onInput = useCallback((input: string, key: KeyAction['key']) => dispatch({type: 'key', input, key}), [dispatch])
  useInput(onInput, {isActive})
}
