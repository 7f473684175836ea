import type {TcpState} from '../types.js'

/**
 * Localized netstat words. Observed (../shared/corpus/FORMATS.md §3): English, German (states
 * translated), French, Russian, Chinese, Japanese (states in English). The other languages' words
 * come from other parsers' tables and Windows resource strings and were not seen in a real sample.
 */
export const STATE_WORDS: readonly [TcpState, readonly string[]][] = [
  ['LISTENING', ['LISTENING', 'LISTEN', 'ABHÖREN', 'ABHREN', 'ABH™REN', 'ABH?REN', 'ABHîREN', 'ESCUCHANDO', 'ESCUTANDO', 'ÉCOUTE']],
  ['ESTABLISHED', ['ESTABLISHED', 'HERGESTELLT', 'ESTABLECIDO', 'ESTABELECIDA', 'STABILITO', 'ÉTABLI']],
  ['TIME_WAIT', ['TIME_WAIT', 'TIMEWAIT', 'WARTEND', 'TIEMPO_ESPERA', 'ATTESA_TEMPO']],
  ['CLOSE_WAIT', ['CLOSE_WAIT', 'CLOSEWAIT', 'SCHLIESSEN_WARTEN', 'CERRAR_ESPERA', 'AGUARDANDO_FECHAMENTO', 'ATTESA_CHIUSURA']],
  ['BOUND', ['BOUND', 'GEBUNDEN', 'ENLAZADO', 'ASSOCIATO', 'VINCULADO']],
  ['SYN_SENT', ['SYN_SENT', 'SYN_GESENDET', 'SYN_ENVIADO', 'SYN_INVIATO']],
  ['SYN_RECEIVED', ['SYN_RECEIVED', 'SYN_RCVD', 'SYN_RECV', 'SYN_EMPFANGEN', 'SYN_RECIBIDO', 'SYN_RICEVUTO']],
  ['FIN_WAIT_1', ['FIN_WAIT_1', 'FIN_WAIT1', 'FIN_WARTEN_1', 'FIN_ESPERA_1', 'FIN_ATTESA_1']],
  ['FIN_WAIT_2', ['FIN_WAIT_2', 'FIN_WAIT2', 'FIN_WARTEN_2', 'FIN_ESPERA_2', 'FIN_ATTESA_2']],
  ['LAST_ACK', ['LAST_ACK', 'LETZTE_BEST', 'ÚLTIMO_ACK', 'ULTIMO_ACK']],
  ['CLOSING', ['CLOSING', 'SCHLIESSEND', 'CERRANDO', 'FECHANDO', 'IN_CHIUSURA']],
  ['CLOSED', ['CLOSED', 'GESCHLOSSEN', 'CERRADO', 'FECHADO', 'CHIUSO']],
  ['DELETE_TCB', ['DELETE_TCB']],
]

const STATES = new Map<string, TcpState>()
for (const [state, words] of STATE_WORDS) for (const w of words) STATES.set(w, state)

/** The canonical state of a netstat state word, or undefined when unknown. */
export function netstatState(word: string): TcpState | undefined {
  const hit = STATES.get(word)
  if (hit) return hit
  // ABHÖREN after an OEM→ANSI round trip: any one character (or none) between ABH and REN.
  if (word.length <= 8 && word.startsWith('ABH') && word.endsWith('REN')) return 'LISTENING'
  return STATES.get(word.toUpperCase())
}

/** Title lines (`Active Connections`), lower-cased, trimmed. */
export const TITLES = new Set([
  'active connections',
  'aktive verbindungen',
  'connexions actives',
  'conexiones activas',
  'conexões ativas',
  'connessioni attive',
  'actieve verbindingen',
  'aktywne połączenia',
  'aktivní připojení',
  'активные подключения',
  'активные соединения',
  '活动连接',
  '使用中連線',
  'アクティブな接続',
  '활성 연결',
  'aktif bağlantılar',
  'aktiva anslutningar',
])

/** First word of a header line (`Proto  Local Address …`), lower-cased. */
export const HEADER_FIRST_WORDS = new Set(['proto', 'protocole', 'protocolo', 'protokoll', 'protocollo', 'protokół', 'protokol', 'имя', 'протокол', '协议', '協定', 'プロトコル', '프로토콜'])

/** Beginnings of lines the loop's PING delay writes when its output was not sent to NUL. */
export const PING_PREFIXES = [
  'pinging ',
  'reply from ',
  'request timed out',
  'ping statistics',
  'packets: sent',
  'approximate round trip',
  'minimum = ',
  'destination host unreachable',
  'general failure',
  'transmit failed',
  'ping request could not find',
  'ping wird ausgeführt',
  'antwort von ',
  'zeitüberschreitung der anforderung',
  'ping-statistik',
  'pakete: gesendet',
  'ca. zeitangaben',
  "envoi d'une requête",
  'réponse de ',
  'délai d’attente de la demande dépassé',
  "délai d'attente de la demande dépassé",
  'statistiques ping',
  'paquets : envoyés',
  'haciendo ping',
  'respuesta desde',
  'tiempo de espera agotado',
  'estadísticas de ping',
  'esecuzione di ping',
  'risposta da',
  'richiesta scaduta',
  'disparando ',
  'resposta de ',
]

/** Beginnings of lines written by cmd itself (echoed commands, ECHO state, prompts), lower-cased. */
export const ECHO_PREFIXES = ['echo ', 'echo.', 'echo is ', 'echo ist ', 'echo est ', 'set /a', 'set v=', 'goto ', ':loop', 'ping ', 'netstat ', '@echo', 'rem ', 'timeout ', 'waiting for ', 'warte ']
