import type {ConnectionRecord, ProcessRecord} from '../types.js'

/** A fresh connection record with every field unknown; parsers reuse one per input (sinks copy what they keep). */
export const newConnection = (): ConnectionRecord => ({
  proto: 'TCP',
  localAddr: '*',
  localPort: -1,
  remoteAddr: '*',
  remotePort: -1,
  state: null,
  pid: -1,
  process: null,
  created: null,
  line: 0,
})

/** A fresh process record with every field unknown (PID 0 until set); parsers reuse one per input. */
export const newProcess = (pid = 0): ProcessRecord => ({
  pid,
  name: null,
  ppid: null,
  handles: null,
  threads: null,
  created: null,
  exited: null,
  line: 0,
})
