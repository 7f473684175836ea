// Regenerates the BUILT dump fixtures under corpus/minidump and corpus/kernel-dump from the test dump writer.
// Run: npx tsx scripts/make-dump-fixtures.ts   (outputs are committed; they seed tests and `npm run fuzz`)
import {writeFileSync} from 'node:fs'

import {buildKernelHeader, buildMinidump} from '../test/helpers/dump-writer.js'

const mini = new URL('../corpus/minidump/', import.meta.url)
const kernel = new URL('../corpus/kernel-dump/', import.meta.url)

// w3wp.exe leaking sockets: 240 AFD endpoints among its other handles (MINIDUMP_HANDLE_DESCRIPTOR_2).
const handles = [
  ...Array.from({length: 240}, (_, i) => ({type: 'File', name: i % 3 === 0 ? '\\Device\\Afd' : '\\Device\\Afd\\Endpoint'})),
  ...Array.from({length: 40}, (_, i) => ({type: 'Event', name: i % 4 === 0 ? `\\BaseNamedObjects\\W3SVC_${i}` : null})),
  ...Array.from({length: 12}, (_, i) => ({type: 'Key', name: `\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\InetStp\\${i}`})),
  {type: 'File', name: '\\Device\\Afd\\AsyncConnectHlp'},
  {type: 'File', name: 'C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex260114.log'},
  {type: 'ALPC Port', name: null},
  {type: null, name: null},
]
const w3wp = {pid: 5120, image: 'C:\\Windows\\System32\\inetsrv\\w3wp.exe', threads: 38, time: 1_768_375_023, created: 1_768_290_000}
writeFileSync(new URL('built-w3wp-afd-handles.dmp', mini), buildMinidump({...w3wp, handles, descriptorSize: 40}).bytes)
writeFileSync(new URL('built-w3wp-handles-v1-descriptors.dmp', mini), buildMinidump({...w3wp, handles: handles.slice(200), descriptorSize: 32}).bytes)
writeFileSync(new URL('built-no-handle-stream.dmp', mini), buildMinidump({...w3wp, handles: null}).bytes)
writeFileSync(new URL('built-kernel-summary-64.dmp', kernel), buildKernelHeader({bits: 64, build: 20348, dumpType: 2, time: Date.UTC(2026, 0, 14, 7, 17, 3), processors: 16}))
writeFileSync(new URL('built-complete-32.dmp', kernel), buildKernelHeader({bits: 32, build: 7601, dumpType: 1, time: Date.UTC(2025, 5, 2, 22, 4, 11), processors: 2, bugCheck: 0xd1, params: [0x10n, 2n, 0n, 0x8a0f1234n]}))
