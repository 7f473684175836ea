import {writeFileSync} from 'node:fs'
import {gzipSync} from 'node:zlib'
import {tarBuffer} from '../test/helpers/tar.js'

import {netstat, snapshot} from '../test/hardening/helpers.js'
import {overlapEntries, zipBuffer} from '../test/helpers/zip.js'
const BAD = 'corpus/bad/'
const NETSH = '\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n'
const loop = Array.from({length: 4}, (_, i) => snapshot(`14/03/2023 10:0${i}:00.00`, 3 + i)).join('')
writeFileSync(BAD + 'case.tar.gz', gzipSync(await tarBuffer([
  {name: 'case/', type: 'directory'},
  {name: 'case/netsh.txt', data: NETSH},
  {name: 'case/netstat.txt', data: loop},
  {name: 'case/latest', type: 'symlink', linkname: 'netstat.txt'},
])))
writeFileSync(BAD + 'overlapping-entries.zip', overlapEntries(await zipBuffer(Array.from({length: 6}, (_, i) => ({name: `copy${i}.txt`, data: netstat(3)})))))
writeFileSync(BAD + 'netstat-impossible-values.txt', netstat(2) +
  '  TCP    10.0.0.5:99999         10.0.0.9:443           ESTABLISHED     4312\r\n' +
  '  TCP    999.1.1.1:50010        10.0.0.9:443           ESTABLISHED     4312\r\n' +
  '  TCP    [zz::1]:50012          [::]:0                 LISTENING       4312\r\n')
const conn = (i: number) => `{"LocalAddress":"10.0.0.15","LocalPort":${50000 + i},"RemoteAddress":"10.0.0.20","RemotePort":443,"State":"Established","OwningProcess":7788}`
writeFileSync(BAD + 'get-nettcpconnection-compress-one-line.json', `[${Array.from({length: 40}, (_, i) => conn(i)).join(',')}]\r\n`)
