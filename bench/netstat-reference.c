/*
 * A C reference for `npm run bench -- --stages`: the per-row work of one portleak worker on a netstat
 * loop, written plainly in C, to say how far the JavaScript/WebAssembly path is from native code on
 * the same bytes (issue #22: "within 2x of the C kernel"). It is a yardstick, not a second
 * implementation: its output is a few totals, and nothing in portleak reads it.
 *
 * Per row (`TCP`/`UDP` lines of `netstat -ano[b][q]`, split by whitespace runs): the protocol, local and
 * remote `address:port` (IPv4 as a 32-bit number, anything else hashed), the state word, the PID. Per
 * snapshot (a new one at each line that is neither a row, a header nor an owner line): rows per PID and
 * state, distinct local ports per PID, connections and an owner per remote endpoint, the owner of each
 * connection tuple (kept one snapshot back), PID-0 TIME_WAIT rows attributed by the tuple's owner one
 * snapshot back or else by the endpoint's owner, and the dynamic ports (49152-65535) in use per local
 * address. Tables are open-addressed and cleared per snapshot by a generation stamp.
 *
 *   cc -O2 -o netstat-reference bench/netstat-reference.c && ./netstat-reference FILE [MEGABYTES]
 * prints one JSON line: {"bytes":…,"ms":…,"cpuMs":…,"rows":…,"snapshots":…,"attributed":…,"check":…} (times of the
 * work alone, the file read into memory first)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { S_LISTEN, S_BOUND, S_ESTABLISHED, S_TIME_WAIT, S_CLOSE_WAIT, S_SYN_SENT, S_FIN_WAIT_2, S_OTHER, S_UDP, NSTATES };

typedef struct {
  uint64_t key;
  uint32_t gen;
  int32_t val;
  int32_t val2;
} Entry;

/* Open addressing, one entry per probe (a cache line holds several); cleared by bumping `now`. */
typedef struct {
  Entry *e;
  uint32_t mask;
  uint32_t now;
  uint32_t used; /* entries of generation `now` */
} Table;

static void table_init(Table *t, uint32_t bits) {
  t->e = calloc((size_t)1 << bits, sizeof *t->e);
  t->mask = (1u << bits) - 1;
  t->now = 1;
  t->used = 0;
}

static void table_clear(Table *t, uint32_t step) {
  t->now += step;
  t->used = 0;
}

static inline uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

static uint32_t table_slot(Table *t, uint64_t key, int *fresh);

/* Twice the slots, the live entries moved over (a snapshot larger than any before). */
static void table_grow(Table *t) {
  Table bigger = {calloc(((size_t)t->mask + 1) * 2, sizeof(Entry)), t->mask * 2 + 1, 1, 0};
  if (!bigger.e) abort();
  int fresh;
  for (uint32_t i = 0; i <= t->mask; i++) {
    if (t->e[i].gen != t->now) continue;
    uint32_t j = table_slot(&bigger, t->e[i].key, &fresh);
    bigger.e[j].val = t->e[i].val;
    bigger.e[j].val2 = t->e[i].val2;
  }
  free(t->e);
  *t = bigger;
}

/* The slot of key (inserted with val 0, val2 -1 when new); *fresh says whether it was new. */
static uint32_t table_slot(Table *t, uint64_t key, int *fresh) {
  if (t->used * 2 > t->mask) table_grow(t);
  uint32_t i = (uint32_t)mix(key) & t->mask;
  for (;;) {
    Entry *e = &t->e[i];
    if (e->gen != t->now) {
      e->gen = t->now;
      e->key = key;
      e->val = 0;
      e->val2 = -1;
      t->used++;
      *fresh = 1;
      return i;
    }
    if (e->key == key) {
      *fresh = 0;
      return i;
    }
    i = (i + 1) & t->mask;
  }
}

static inline int table_find(const Table *t, uint64_t key) {
  uint32_t i = (uint32_t)mix(key) & t->mask;
  for (;;) {
    const Entry *e = &t->e[i];
    if (e->gen != t->now) return -1;
    if (e->key == key) return (int)i;
    i = (i + 1) & t->mask;
  }
}

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h | (1ULL << 63); /* never equal to an IPv4 value */
}

/* addr:port -> address key and port; -1 when malformed. `*` is key 0. */
static int endpoint(const char *s, size_t n, uint64_t *addr) {
  size_t colon = n;
  while (colon > 0 && s[colon - 1] != ':') colon--;
  if (colon == 0) return -1;
  int port = 0;
  for (size_t i = colon; i < n; i++) {
    if (s[i] == '*') return (*addr = 0, 0);
    if (s[i] < '0' || s[i] > '9') return -1;
    port = port * 10 + (s[i] - '0');
  }
  size_t alen = colon - 1;
  uint32_t v4 = 0, part = 0;
  int dots = 0, ok = alen > 0;
  for (size_t i = 0; i < alen && ok; i++) {
    char c = s[i];
    if (c >= '0' && c <= '9') part = part * 10 + (uint32_t)(c - '0');
    else if (c == '.' && dots < 3) v4 = (v4 << 8) | part, part = 0, dots++;
    else ok = 0;
  }
  *addr = ok && dots == 3 ? (uint64_t)((v4 << 8) | part) : hash_bytes(s, alen);
  return port;
}

static int state_of(const char *s, size_t n) {
  static const struct { const char *w; int s; } words[] = {
    {"LISTENING", S_LISTEN}, {"BOUND", S_BOUND}, {"ESTABLISHED", S_ESTABLISHED}, {"TIME_WAIT", S_TIME_WAIT},
    {"CLOSE_WAIT", S_CLOSE_WAIT}, {"SYN_SENT", S_SYN_SENT}, {"FIN_WAIT_2", S_FIN_WAIT_2},
  };
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (strlen(words[i].w) == n && memcmp(words[i].w, s, n) == 0) return words[i].s;
  return S_OTHER;
}

typedef struct {
  Table pidState, pidPort, remotes, tuples[2], localPorts, localAddr;
  int cur;
  uint64_t rows, snapshots, check, attributed;
} Agg;

static void snapshot_end(Agg *a) {
  /* What a summary keeps: fold the tables into the check so no work is optimised away. */
  for (uint32_t i = 0; i <= a->pidState.mask; i++)
    if (a->pidState.e[i].gen == a->pidState.now) a->check += a->pidState.e[i].key * 31 + (uint64_t)a->pidState.e[i].val;
  for (uint32_t i = 0; i <= a->remotes.mask; i++)
    if (a->remotes.e[i].gen == a->remotes.now && a->remotes.e[i].val > 1) a->check += (uint64_t)a->remotes.e[i].val;
  for (uint32_t i = 0; i <= a->localAddr.mask; i++)
    if (a->localAddr.e[i].gen == a->localAddr.now) a->check += (uint64_t)a->localAddr.e[i].val * 7;
  a->check += a->pidPort.used;
  table_clear(&a->pidState, 1), table_clear(&a->pidPort, 1), table_clear(&a->remotes, 1);
  table_clear(&a->localPorts, 1), table_clear(&a->localAddr, 1);
  /* The tuple table of the snapshot before is the one written next. */
  a->cur ^= 1;
  table_clear(&a->tuples[a->cur], 2);
  a->snapshots++;
}

static void row(Agg *a, const char *line, size_t n) {
  const char *tok[8];
  size_t len[8];
  int k = 0;
  for (size_t i = 0; i < n && k < 8;) {
    while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i >= n) break;
    size_t s = i;
    while (i < n && line[i] != ' ' && line[i] != '\t') i++;
    tok[k] = line + s, len[k++] = i - s;
  }
  int udp = len[0] == 3 && memcmp(tok[0], "UDP", 3) == 0;
  if (k < (udp ? 3 : 4)) return;
  uint64_t la, ra;
  int lp = endpoint(tok[1], len[1], &la), rp = endpoint(tok[2], len[2], &ra);
  if (lp < 0 || rp < 0) return;
  int state = udp ? S_UDP : state_of(tok[3], len[3]);
  const char *p = tok[k - 1];
  int pid = 0;
  for (size_t i = 0; i < len[k - 1]; i++) pid = pid * 10 + (p[i] - '0');
  int fresh;
  a->rows++;
  uint32_t ps = table_slot(&a->pidState, (uint64_t)pid * NSTATES + (uint64_t)state, &fresh); /* may grow: index first */
  a->pidState.e[ps].val++;
  table_slot(&a->pidPort, ((uint64_t)pid << 17) | ((uint64_t)udp << 16) | (uint64_t)lp, &fresh);
  if (state == S_LISTEN || udp) return;
  uint64_t rkey = mix(ra) ^ (uint64_t)rp;
  uint32_t ri = table_slot(&a->remotes, rkey, &fresh);
  Entry *r = &a->remotes.e[ri];
  r->val++;
  uint64_t tuple = mix(la ^ mix(ra)) ^ ((uint64_t)lp << 16 | (uint64_t)rp);
  if (pid != 0) {
    r->val2 = pid;
    uint32_t ti = table_slot(&a->tuples[a->cur], tuple, &fresh);
    a->tuples[a->cur].e[ti].val = pid;
  } else if (state == S_TIME_WAIT) {
    int prev = table_find(&a->tuples[a->cur ^ 1], tuple);
    if (prev >= 0 || r->val2 >= 0) a->attributed++;
  }
  if (lp >= 49152) {
    table_slot(&a->localPorts, mix(la) ^ (uint64_t)lp, &fresh);
    if (fresh) {
      uint32_t li = table_slot(&a->localAddr, la, &fresh);
      a->localAddr.e[li].val++;
    }
  }
}

static int is_row(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
  return n - i > 4 && ((memcmp(s + i, "TCP", 3) == 0 || memcmp(s + i, "UDP", 3) == 0) && (s[i + 3] == ' ' || s[i + 3] == '\t'));
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE [MEGABYTES]\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  size_t want = argc > 2 ? (size_t)(atof(argv[2]) * 1e6) : (size_t)-1;
  size_t cap = 1 << 20, size = 0;
  char *buf = malloc(cap);
  for (size_t n; size < want && (n = fread(buf + size, 1, (cap - size < want - size ? cap - size : want - size), f)) > 0;) {
    size += n;
    if (size == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  Agg a = {0};
  table_init(&a.pidState, 10), table_init(&a.pidPort, 14), table_init(&a.remotes, 14), table_init(&a.tuples[0], 14);
  table_init(&a.tuples[1], 14), table_init(&a.localPorts, 14), table_init(&a.localAddr, 8);
  struct timespec t0, t1, c0, c1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  for (size_t s = 0; s < size;) {
    const char *nl = memchr(buf + s, '\n', size - s);
    size_t e = nl ? (size_t)(nl - buf) : size;
    size_t n = e - s;
    if (n > 0 && buf[s + n - 1] == '\r') n--;
    if (is_row(buf + s, n)) row(&a, buf + s, n);
    else if (n > 8 && buf[s] != ' ' && buf[s] != '[' && buf[s] != '\t' && memchr(buf + s, ':', n) && !memchr(buf + s, '[', n) && ((buf[s] >= '0' && buf[s] <= '9') || (buf[s] >= 'A' && buf[s] <= 'Z')))
      snapshot_end(&a); /* a stamp line: %date% %time% or Get-Date */
    s = e + 1;
  }
  snapshot_end(&a);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  double cpu = (double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
  printf("{\"bytes\":%zu,\"ms\":%.1f,\"cpuMs\":%.1f,\"rows\":%llu,\"snapshots\":%llu,\"attributed\":%llu,\"check\":%llu}\n", size, ms, cpu,
         (unsigned long long)a.rows, (unsigned long long)a.snapshots, (unsigned long long)a.attributed, (unsigned long long)a.check);
  return 0;
}
