import {Box, Text, useApp, useStdout} from 'ink'
import {useEffect, useMemo, useState} from 'react'

import type {Analysis} from '../model/types.js'
import {deriveChart, eventText} from './chart-model.js'
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
import {derivePicker} from './picker-model.js'
import {deriveDiff, deriveRows, type RowSource, rowsViewLines} from './rows-model.js'
import {deriveTable} from './table-model.js'
import {type Theme, themeFor} from './theme.js'
import {buildViewModel, type MachineChoice, procByKey} from './view-model.js'
import {tableShown} from './view-state.js'

/** The machines (or timelines) of an upload of several: the fleet table's rows and one analysis each, same order. */
export type Machines = {readonly rows: readonly (readonly string[])[]; readonly analyses: readonly Analysis[]}

export type AppProps = {
  /** The case shown (with `machines`: the first machine's). */
  readonly analysis: Analysis
  /** Several machines: the picker (`m`) switches between them; it is open on the first screen. */
  readonly machines?: Machines
  /** The connection rows, read back per snapshot for the diff (`d`) and rows (`r`) views. */
  readonly rows?: RowSource
  /** Colours; default: from NO_COLOR/FORCE_COLOR and the output terminal. */
  readonly theme?: Theme
  /** Snapshot selected first (default: the last one). */
  readonly initialCursor?: number
}

/** `portleak timeline`: the case over time, the processes at the cursor, the selected one in depth; one machine at a time. */
export function App({analysis: only, machines, rows: rowSource, theme: themeProp, initialCursor}: AppProps) {
  const {exit} = useApp()
  const {stdout} = useStdout()
  const theme = useMemo(() => themeProp ?? themeFor(process.env, stdout), [themeProp, stdout])
  const [machine, setMachine] = useState(0)
  const several = machines !== undefined && machines.analyses.length > 1
  const analysis = several ? machines.analyses[machine]! : only
  const choice = useMemo<MachineChoice>(() => ({rows: several ? machines.rows : [], index: machine}), [several, machines, machine])
  const vm = useMemo(() => buildViewModel(analysis, choice), [analysis, choice])
  const size = useTerminalSize()
  // several machines: the picker is open on the first screen
  const [state, dispatch] = useViewState(vm, size, initialCursor, several)
  useKeymap(dispatch)
  useEffect(() => {
    if (state.done) exit()
  }, [state.done, exit])
  useEffect(() => {
    if (state.picked !== null) setMachine(state.picked)
  }, [state.picked])

  // The rows view shows the source lines as written once they are read again (in the background).
  const [raw, setRaw] = useState<ReadonlyMap<string, string> | undefined>(undefined)
  const rowsProc = state.view === 'rows' ? procByKey(vm, state.selected) : undefined
  useEffect(() => {
    setRaw(undefined)
    if (!rowsProc || !rowSource?.raw) return
    let current = true
    rowSource
      .raw(rowsViewLines(vm, rowSource, rowsProc, state.cursor))
      .then((lines) => current && setRaw(lines))
      .catch(() => undefined)
    return () => {
      current = false
    }
  }, [vm, rowSource, rowsProc, state.cursor])

  const layout = useMemo(() => layoutFor(state.size, state.detailOpen), [state.size, state.detailOpen])
  const {cursor, zoom, winStart, yScale, sort, filter, flaggedOnly} = state
  const chart = useMemo(() => deriveChart(vm, {cursor, zoom, winStart, yScale}, layout), [vm, cursor, zoom, winStart, yScale, layout])
  if (layout.tooSmall) {
    const need = `${MIN_SIZE.columns}×${MIN_SIZE.rows}`
    return <Text>{`The terminal is ${layout.columns}×${layout.rows}; the timeline needs at least ${need}. Resize it or press q.`}</Text>
  }
  const bodyHeight = layout.bodyRows
  const pane = state.picker
    ? derivePicker(vm.machines, state.pickIndex, layout.columns)
    : state.view === 'diff'
      ? deriveDiff(vm, rowSource, state.diffBase, cursor, layout.columns)
      : rowsProc
        ? deriveRows(vm, rowSource, rowsProc, cursor, layout.columns, raw)
        : null
  const here = vm.eventsAt.get(cursor)
  const event = here?.length ? eventText(here) : undefined
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
          {pane ? (
            <DetailPane
              lines={pane}
              top={Math.min(state.paneTop, Math.max(0, pane.length - bodyHeight))}
              height={bodyHeight}
              width={layout.columns}
              focused={false}
              theme={theme}
            />
          ) : (
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
          )}
        </>
      )}
      <StatusBar state={state} shown={table.count} width={layout.columns} theme={theme} event={event} />
    </Box>
  )
}
