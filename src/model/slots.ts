import {TCP_STATES, type TcpState} from './records.js'

/** Counter slots per process per snapshot: one per TCP state, then the derived series. */
export const STATE_SLOT: Readonly<Record<TcpState, number>> = Object.fromEntries(TCP_STATES.map((s, i) => [s, i])) as Record<
  TcpState,
  number
>
export const UDP_SLOT = TCP_STATES.length
/** Distinct local ports held by the process's own rows (TCP and UDP, TIME_WAIT excluded). */
export const PORTS_SLOT = UDP_SLOT + 1
/** Of those, the ports inside the dynamic range (default range when several are tracked). */
export const EPHEMERAL_SLOT = PORTS_SLOT + 1
/** TIME_WAIT rows attributed to the process (PID 0 rows given an owner by lineage or affinity). */
export const TW_ATTRIBUTED_SLOT = EPHEMERAL_SLOT + 1
/** Of those, the rows attributed by remote-endpoint affinity rather than tuple lineage. */
export const TW_AFFINITY_SLOT = TW_ATTRIBUTED_SLOT + 1
export const SLOT_COUNT = TW_AFFINITY_SLOT + 1

export const SLOT_NAMES: readonly string[] = [...TCP_STATES, 'UDP', 'PORTS', 'EPHEMERAL', 'TIME_WAIT_ATTRIBUTED', 'TIME_WAIT_AFFINITY']
