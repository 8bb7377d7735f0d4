/* mode6_vars.c - control-message variables (see mode6_vars.h). No I/O, no clocks. */
#include "mode6_vars.h"

#include <stdio.h>
#include <string.h>

#include "ntpauth/packet.h"

#define M6_LINE_MAX 72        /* ntpd breaks the text before an item that would pass this */
#define M6_ITEM_MAX 160

/* Peer status word bits (high byte). */
#define M6_PST_CONFIG 0x80
#define M6_PST_REACH 0x10
/* Event codes. */
#define M6_EVNT_SYS_RESTART 6
#define M6_EVNT_PEER_REACHABLE 4
#define M6_EVNT_PEER_UNREACHABLE 3
#define M6_EVNT_PEER_SYSPEER 10

typedef struct {
  const m6_snapshot *s;
  const m6_assoc *a;
} m6_ctx;

typedef void (*m6_value_fn)(const m6_ctx *c, char *out, size_t cap);

typedef struct {
  const char *name;
  m6_value_fn fn;
} m6_var;

uint16_t m6_sys_status(const m6_snapshot *s) {
  unsigned li = s->ts.synced ? (s->ts.leap & 3u) : 3u;
  unsigned src = M6_SRC_UNSPEC;
  const m6_assoc *peer = m6_find_assoc(s, s->sys_peer);
  if (s->ts.synced && peer) src = peer->clock_source;
  /* One event, "restart", as ntpd reports until something else happens. */
  return (uint16_t)(li << 14 | src << 8 | 1u << 4 | M6_EVNT_SYS_RESTART);
}

uint16_t m6_peer_status(const m6_assoc *a) {
  unsigned hi = M6_PST_CONFIG | (a->reach ? M6_PST_REACH : 0) | (a->select & 7u);
  unsigned code = a->select == M6_SEL_SYSPEER ? M6_EVNT_PEER_SYSPEER
                  : a->reach ? M6_EVNT_PEER_REACHABLE : M6_EVNT_PEER_UNREACHABLE;
  return (uint16_t)(hi << 8 | 1u << 4 | code);
}

const m6_assoc *m6_find_assoc(const m6_snapshot *s, uint16_t id) {
  if (id == 0) return NULL;
  for (size_t i = 0; i < s->n_assoc; i++)
    if (s->assoc[i].id == id) return &s->assoc[i];
  return NULL;
}

/* ---- value formatters ---- */

static void put_ts(const struct timespec *t, char *out, size_t cap) {
  uint64_t v = t->tv_sec || t->tv_nsec ? nta_ts_from_unix((int64_t)t->tv_sec, (uint32_t)t->tv_nsec) : 0;
  snprintf(out, cap, "0x%08x.%08x", (unsigned)(v >> 32), (unsigned)(v & 0xFFFFFFFFu));
}

/* A refid as ntpd shows it: the characters of a clock name, else a dotted quad. */
static void put_refid(uint32_t refid, char *out, size_t cap) {
  char text[5];
  size_t n = 0;
  bool printable = true;
  for (int i = 0; i < 4; i++) {
    char ch = (char)(refid >> (24 - 8 * i));
    if (ch == 0) break;
    if (ch <= 0x20 || ch >= 0x7f || ch == ',' || ch == '=' || ch == '"') printable = false;
    text[n++] = ch;
  }
  text[n] = '\0';
  if (printable && n > 0)
    snprintf(out, cap, "%s", text);
  else
    snprintf(out, cap, "%u.%u.%u.%u", refid >> 24, (refid >> 16) & 255, (refid >> 8) & 255, refid & 255);
}

static double ms(double seconds) { return seconds * 1e3; }

static void sys_leap(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%u", c->s->ts.synced ? c->s->ts.leap & 3u : 3u); }
static void sys_stratum(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%u", c->s->ts.synced ? c->s->ts.stratum : 16u); }
static void sys_precision(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%d", c->s->ts.precision); }
static void sys_rootdelay(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%.3f", ms(c->s->ts.root_delay)); }
static void sys_rootdisp(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%.3f", ms(c->s->ts.root_dispersion)); }
static void sys_refid(const m6_ctx *c, char *o, size_t n) { put_refid(c->s->ts.synced ? c->s->ts.refid : 0x494E4954u, o, n); }
static void sys_reftime(const m6_ctx *c, char *o, size_t n) {
  struct timespec none = {0, 0};
  put_ts(c->s->ts.synced ? &c->s->ts.ref_time : &none, o, n);
}
static void sys_tc(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%d", c->s->tc); }
static void sys_peer(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%u", c->s->sys_peer); }
static void sys_offset(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%.6f", ms(c->s->ts.offset)); }
static void zero6(const m6_ctx *c, char *o, size_t n) { (void)c; snprintf(o, n, "%.6f", 0.0); }
static void sys_jitter(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%.6f", ms(c->s->sys_jitter)); }
static void sys_clock(const m6_ctx *c, char *o, size_t n) {
  /* The served clock: the system clock corrected by the selected source's offset. */
  uint64_t v = nta_ts_from_unix((int64_t)c->s->now.tv_sec, (uint32_t)c->s->now.tv_nsec);
  v += (uint64_t)(int64_t)(c->s->ts.offset * 4294967296.0);
  snprintf(o, n, "0x%08x.%08x", (unsigned)(v >> 32), (unsigned)(v & 0xFFFFFFFFu));
}
static void sys_processor(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "\"%s\"", c->s->processor); }
static void sys_system(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "\"%s\"", c->s->system); }
static void sys_version(const m6_ctx *c, char *o, size_t n) { (void)c; snprintf(o, n, "\"ntpauth-server %s\"", NTPAUTH_VERSION); }
static void zero_int(const m6_ctx *c, char *o, size_t n) { (void)c; snprintf(o, n, "0"); }
static void sys_auth(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%llu", (unsigned long long)c->s->authenticated); }
static void sys_naks(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%llu", (unsigned long long)c->s->crypto_naks); }

static const m6_var sys_vars[] = {
  {"leap", sys_leap}, {"stratum", sys_stratum}, {"precision", sys_precision},
  {"rootdelay", sys_rootdelay}, {"rootdisp", sys_rootdisp}, {"refid", sys_refid},
  {"reftime", sys_reftime}, {"tc", sys_tc}, {"peer", sys_peer}, {"offset", sys_offset},
  {"frequency", zero6}, {"sys_jitter", sys_jitter}, {"clk_jitter", sys_jitter},
  {"clock", sys_clock}, {"processor", sys_processor}, {"system", sys_system},
  {"version", sys_version}, {"clk_wander", zero6}, {"mintc", zero_int},
  {"authenticated", sys_auth}, {"cryptonaks", sys_naks}, {NULL, NULL}
};

static void p_srcadr(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "127.127.%u.%u", c->a->clock_type, c->a->unit); }
static void p_port(const m6_ctx *c, char *o, size_t n) { (void)c; snprintf(o, n, "123"); }
static void p_dstadr(const m6_ctx *c, char *o, size_t n) { (void)c; snprintf(o, n, "127.0.0.1"); }
static void p_leap(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%u", c->a->leap & 3u); }
static void p_hmode(const m6_ctx *c, char *o, size_t n) { (void)c; snprintf(o, n, "3"); }
static void p_pmode(const m6_ctx *c, char *o, size_t n) { (void)c; snprintf(o, n, "4"); }
static void p_stratum(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%u", c->a->stratum); }
static void p_poll(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%d", c->a->poll); }
static void p_precision(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%d", c->a->precision); }
static void zero3(const m6_ctx *c, char *o, size_t n) { (void)c; snprintf(o, n, "%.3f", 0.0); }
static void p_refid(const m6_ctx *c, char *o, size_t n) { put_refid(c->a->refid, o, n); }
static void p_update(const m6_ctx *c, char *o, size_t n) { put_ts(&c->a->update, o, n); }
static void p_reach(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "0x%x", c->a->reach); }
static void p_offset(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%.6f", ms(c->a->offset)); }
static void p_jitter(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%.6f", ms(c->a->jitter)); }
static void p_disp(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%.6f", ms(c->a->dispersion)); }
static void p_flash(const m6_ctx *c, char *o, size_t n) { (void)c; snprintf(o, n, "0x0"); }
static void p_srchost(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "\"%s(%u)\"", c->a->name, c->a->unit); }
static void p_cookies(const m6_ctx *c, char *o, size_t n) { (void)c; snprintf(o, n, "-1"); }
static void one(const m6_ctx *c, char *o, size_t n) { (void)c; snprintf(o, n, "1"); }

static const m6_var peer_vars[] = {
  {"srcadr", p_srcadr}, {"srcport", p_port}, {"dstadr", p_dstadr}, {"dstport", p_port},
  {"leap", p_leap}, {"hmode", p_hmode}, {"stratum", p_stratum}, {"ppoll", p_poll},
  {"hpoll", p_poll}, {"precision", p_precision}, {"rootdelay", zero3}, {"rootdisp", zero3},
  {"refid", p_refid}, {"reftime", p_update}, {"rec", p_update}, {"xmt", p_update},
  {"reach", p_reach}, {"unreach", zero_int}, {"delay", zero6}, {"offset", p_offset},
  {"jitter", p_jitter}, {"dispersion", p_disp}, {"keyid", zero_int}, {"pmode", p_pmode},
  {"flash", p_flash}, {"mode", zero_int}, {"headway", zero_int}, {"srchost", p_srchost},
  {"ntscookies", p_cookies},
  /* READSTAT's extras */
  {"config", one}, {"authenable", zero_int}, {"authentic", zero_int}, {"timer", zero_int},
  {NULL, NULL}
};

static const char *const peer_status_list[] = {
  "config", "authenable", "authentic", "srcadr", "srcport", "dstadr", "dstport", "leap", "hmode",
  "stratum", "ppoll", "hpoll", "precision", "rootdelay", "rootdisp", "refid", "reftime", "xmt",
  "reach", "unreach", "timer", NULL
};

static void c_name(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "\"%s\"", c->a->name); }
static void c_timecode(const m6_ctx *c, char *o, size_t n) { (void)c; snprintf(o, n, "\"\""); }
static void c_polls(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%llu", (unsigned long long)c->a->samples); }
static void c_errors(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "%llu", (unsigned long long)c->a->errors); }
static void c_device(const m6_ctx *c, char *o, size_t n) { snprintf(o, n, "\"%s\"", c->a->device); }

static const m6_var clock_vars[] = {
  {"name", c_name}, {"timecode", c_timecode}, {"poll", c_polls}, {"noreply", zero_int},
  {"badformat", c_errors}, {"baddata", zero_int}, {"stratum", p_stratum}, {"refid", p_refid},
  {"flags", zero_int}, {"device", c_device}, {NULL, NULL}
};

/* ---- the text ---- */

typedef struct {
  char *buf;
  size_t cap, len, line;
  bool overflow;
} m6_text;

/* Appends one "name=value" item the way ntpd's ctl_putdata lays text out. */
static void text_item(m6_text *t, const char *item) {
  size_t dlen = strlen(item);
  const char *sep = "";
  size_t line = t->line;
  if (t->len > 0) {
    bool wrap = dlen + t->line + 2 >= M6_LINE_MAX;
    sep = wrap ? ",\r\n" : ", ";
    line = wrap ? 0 : t->line + 2;
  }
  size_t slen = strlen(sep);
  if (t->len + slen + dlen + 2 > t->cap) { t->overflow = true; return; }
  memcpy(t->buf + t->len, sep, slen);
  memcpy(t->buf + t->len + slen, item, dlen);
  t->len += slen + dlen;
  t->line = line + dlen;
}

static const m6_var *find_var(const m6_var *vars, const char *name, size_t len) {
  for (size_t i = 0; vars[i].name; i++)
    if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0) return &vars[i];
  return NULL;
}

static void add_var(m6_text *t, const m6_ctx *c, const m6_var *v) {
  char value[M6_ITEM_MAX - 24], item[M6_ITEM_MAX];
  v->fn(c, value, sizeof value);
  snprintf(item, sizeof item, "%s=%s", v->name, value);
  text_item(t, item);
}

/* The request's list: names separated by commas, each maybe followed by "=value" (ignored). */
static int add_named(m6_text *t, const m6_ctx *c, const m6_var *vars, const char *names, size_t len) {
  size_t i = 0;
  while (i < len) {
    while (i < len && (names[i] == ' ' || names[i] == '\t' || names[i] == '\r' || names[i] == '\n' ||
                       names[i] == ',')) i++;
    size_t start = i;
    while (i < len && names[i] != ',' && names[i] != '=' && names[i] != ' ' && names[i] != '\t' &&
           names[i] != '\r' && names[i] != '\n') i++;
    size_t end = i;
    while (i < len && names[i] != ',') i++;          /* skip "=value" */
    if (end == start) continue;
    const m6_var *v = find_var(vars, names + start, end - start);
    if (!v) return M6_ERR_UNKNOWNVAR + 1;
    add_var(t, c, v);
  }
  return 0;
}

static int add_defaults(m6_text *t, const m6_ctx *c, m6_var_set set) {
  if (set == M6_VARS_PEER_STATUS) {
    for (size_t i = 0; peer_status_list[i]; i++)
      add_var(t, c, find_var(peer_vars, peer_status_list[i], strlen(peer_status_list[i])));
    return 0;
  }
  const m6_var *vars = set == M6_VARS_SYS ? sys_vars : set == M6_VARS_CLOCK ? clock_vars : peer_vars;
  for (size_t i = 0; vars[i].name; i++) {
    if (vars == peer_vars && !strcmp(vars[i].name, "config")) break;   /* READSTAT only */
    add_var(t, c, &vars[i]);
  }
  return 0;
}

int m6_format_vars(m6_var_set set, const m6_snapshot *s, const m6_assoc *a, const char *names,
                   size_t names_len, char *buf, size_t cap, size_t *out_len) {
  m6_text t = {.buf = buf, .cap = cap};
  m6_ctx c = {.s = s, .a = a};
  *out_len = 0;
  if (set != M6_VARS_SYS && !a) return M6_ERR_BADASSOC + 1;
  bool any = false;
  for (size_t i = 0; i < names_len; i++)
    if (names[i] != ' ' && names[i] != ',' && names[i] != '\r' && names[i] != '\n' && names[i] != '\t' &&
        names[i] != '\0') any = true;
  const m6_var *vars = set == M6_VARS_SYS ? sys_vars : set == M6_VARS_CLOCK ? clock_vars : peer_vars;
  int rc = any ? add_named(&t, &c, vars, names, names_len) : add_defaults(&t, &c, set);
  if (rc) return rc;
  if (t.overflow) return M6_ERR_UNSPEC + 1;
  if (t.len > 0) {
    if (t.len + 2 > cap) return M6_ERR_UNSPEC + 1;
    memcpy(buf + t.len, "\r\n", 2);
    t.len += 2;
  }
  *out_len = t.len;
  return 0;
}
