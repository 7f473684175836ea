import {useStdout} from 'ink'
import {useEffect, useState} from 'react'

import type {Size} from '../layout.js'

/** The terminal's size, updated on every `resize` of stdout (80×24 when the stream does not say). */
export function useTerminalSize(): Size {
  const {stdout} = useStdout()
  const [size, setSize] = useState<Size>(() => ({columns: stdout.columns || 80, rows: stdout.rows || 24}))
  useEffect(() => {
    const onResize = () => setSize({columns: stdout.columns || 80, rows: stdout.rows || 24})
    stdout.on('resize', onResize)
    return () => {
      stdout.off('resize', onResize)
    }
  }, [stdout])
  return size
}
