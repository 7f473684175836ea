import {Box, Text, useApp, useStdout} from 'ink'
import {useEffect, useMemo} from 'react'

import type {Analysis} from '../model/types.js'
import {deriveChart} from './chart-model.js'
import {Chart} from './components/Chart.js'
import {DetailPane} from './components/DetailPane.js'
import {Header} from './components/Header.js'
import {HelpScreen} from './components/HelpScreen.js'
import {Blank} from './components/Line.js'
import {ProcessTable} from './components/ProcessTable.js'
import {StatusBar} from './components/StatusBar.js'
import {deriveDetail} from './detail-model.js'
import {useKeymap} from './hooks/use-keymap.js'
import {useTerminalSize} from './hooks/use-terminal-size.js'
import {useViewState} from './hooks/use-view-state.js'
import {layoutFor, MIN_SIZE} from './layout.js'
import {deriveTable} from './table-model.js'
import {type Theme, themeFor} from './theme.js'
import {buildViewModel, procByKey} from './view-model.js'
import {tableShown} from './view-state.js'

export type AppProps = {
  readonly analysis: Analysis
  /** Colours; default: from NO_COLOR/FORCE_COLOR and the output terminal. */
  readonly theme?: Theme
  /** Snapshot selected first (default: the last one). */
  readonly initialCursor?: number
}

/** `portleak timeline`: the case over time, the processes at the cursor, the selected one in depth. */
export function App({analysis, theme: themeProp, initialCursor}: AppProps) {
  const {exit} = useApp()
  const {stdout} = useStdout()
  const theme = useMemo(() => themeProp ?? themeFor(process.env, stdout), [themeProp, stdout])
  const vm = useMemo(() => buildViewModel(analysis), [analysis])
  const size = useTerminalSize()
  const [state, dispatch] = useViewState(vm, size, initialCursor)
  useKeymap(dispatch)
  useEffect(() => {
    if (state.done) exit()
  }, [state.done, exit])

  const layout = useMemo(() => layoutFor(state.size, state.detailOpen), [state.size, state.detailOpen])
  const {cursor, zoom, winStart, yScale, sort, filter, flaggedOnly} = state
  const chart = useMemo(() => deriveChart(vm, {cursor, zoom, winStart, yScale}, layout), [vm, cursor, zoom, winStart, yScale, layout])
  if (layout.tooSmall) {
    const need = `${MIN_SIZE.columns}×${MIN_SIZE.rows}`
    return <Text>{`The terminal is ${layout.columns}×${layout.rows}; the timeline needs at least ${need}. Resize it or press q.`}</Text>
  }
  const bodyHeight = layout.bodyRows
  const query = {cursor, sort, filter, flaggedOnly}
  const showTable = tableShown(state)
  const showDetail = state.detailOpen && (layout.split || state.pane === 'detail')
  const table = deriveTable(vm, query, state.selected, state.tableTop, bodyHeight - 1, layout.tableWidth)
  const proc = procByKey(vm, state.selected)
  const empty =
    vm.procs.length === 0
      ? 'no process rows in this case'
      : filter || flaggedOnly
        ? 'no process at this snapshot matches (Esc clears the filter, f toggles flagged)'
        : 'no process has rows at this snapshot'
  return (
    <Box flexDirection="column" width={layout.columns}>
      <Header header={vm.header} width={layout.columns} theme={theme} />
      {state.help ? (
        <HelpScreen height={3 + layout.chartHeight + bodyHeight} width={layout.columns} theme={theme} />
      ) : (
        <>
          <Chart view={chart} theme={theme} />
          <Box flexDirection="row">
            {showTable && (
              <ProcessTable
                view={table}
                height={bodyHeight}
                width={layout.tableWidth}
                focused={layout.split && state.pane === 'table'}
                empty={empty}
                theme={theme}
              />
            )}
            {showTable && showDetail && <Blank count={bodyHeight} width={1} />}
            {showDetail && proc && (
              <DetailPane
                lines={deriveDetail(vm, proc, cursor, layout.detailWidth)}
                top={state.detailTop}
                height={bodyHeight}
                width={layout.detailWidth}
                focused={state.pane === 'detail'}
                theme={theme}
              />
            )}
          </Box>
        </>
      )}
      <StatusBar state={state} shown={table.count} width={layout.columns} theme={theme} />
    </Box>
  )
}
