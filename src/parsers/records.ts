import type {ConnectionRecord} from './types.js'

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
