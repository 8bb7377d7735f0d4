/* metrics.c - Prometheus text exposition of the status (see metrics.h). */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ntpauth/textbuf.h"

static void family(nta_textbuf *t, const char *name, const char *type, const char *help) {
  nta_textbuf_add(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void refid_label(uint32_t refid, char out[5]) {
  size_t n = 0;
  for (int i = 0; i < 4; i++) {
    char c = (char)(refid >> (24 - 8 * i));
    if (c > 0x20 && c < 0x7f && c != '"' && c != '\\') out[n++] = c;
  }
  out[n] = '\0';
}

static void system_metrics(nta_textbuf *t, const metrics_input *in) {
  const srv_time_state *ts = &in->snap->ts;
  family(t, "ntpauth_server_info", "gauge", "Version of the running server.");
  nta_textbuf_add(t, "ntpauth_server_info{version=\"%s\"} 1\n", NTPAUTH_VERSION);
  family(t, "ntpauth_server_synchronised", "gauge", "1 when the server serves a synchronised time.");
  nta_textbuf_add(t, "ntpauth_server_synchronised %d\n", ts->synced ? 1 : 0);
  family(t, "ntpauth_server_leap", "gauge", "Leap indicator sent (3: unsynchronised).");
  nta_textbuf_add(t, "ntpauth_server_leap %u\n", ts->synced ? ts->leap & 3u : 3u);
  family(t, "ntpauth_server_stratum", "gauge", "Stratum sent (0 while unsynchronised).");
  nta_textbuf_add(t, "ntpauth_server_stratum %u\n", ts->synced ? ts->stratum : 0u);
  family(t, "ntpauth_server_offset_seconds", "gauge", "Correction added to the system clock.");
  nta_textbuf_add(t, "ntpauth_server_offset_seconds %.9f\n", ts->offset);
  family(t, "ntpauth_server_root_delay_seconds", "gauge", "Root delay sent.");
  nta_textbuf_add(t, "ntpauth_server_root_delay_seconds %.9f\n", ts->root_delay);
  family(t, "ntpauth_server_root_dispersion_seconds", "gauge", "Root dispersion sent.");
  nta_textbuf_add(t, "ntpauth_server_root_dispersion_seconds %.9f\n", ts->root_dispersion);
  family(t, "ntpauth_server_keys", "gauge", "Keys loaded from the keyfile.");
  nta_textbuf_add(t, "ntpauth_server_keys %zu\n", in->n_keys);
  family(t, "ntpauth_server_key_reloads_total", "counter", "SIGHUP key reloads by result.");
  nta_textbuf_add(t, "ntpauth_server_key_reloads_total{result=\"ok\"} %llu\n", (unsigned long long)in->reloads_ok);
  nta_textbuf_add(t, "ntpauth_server_key_reloads_total{result=\"failed\"} %llu\n",
      (unsigned long long)in->reloads_failed);
}

static void request_metrics(nta_textbuf *t, const metrics_input *in) {
  family(t, "ntpauth_server_requests_total", "counter", "NTP requests (modes 1-5, 7) received.");
  nta_textbuf_add(t, "ntpauth_server_requests_total %llu\n", (unsigned long long)cnt_total(in->counters));
  family(t, "ntpauth_server_verdicts_total", "counter", "NTP requests by authentication verdict.");
  for (int v = 0; v < NTA_V_COUNT; v++)
    nta_textbuf_add(t, "ntpauth_server_verdicts_total{verdict=\"%s\"} %llu\n", nta_verdict_name((nta_verdict)v),
        (unsigned long long)cnt_verdict(in->counters, (nta_verdict)v));
  family(t, "ntpauth_server_responses_total", "counter", "What NTP requests got.");
  for (int a = RSP_REPLY; a <= RSP_DROP; a++)
    nta_textbuf_add(t, "ntpauth_server_responses_total{action=\"%s\"} %llu\n", rsp_action_name((rsp_action)a),
        (unsigned long long)cnt_action(in->counters, (rsp_action)a));
  if (!in->control) return;
  const ctl_stats *c = in->control;
  family(t, "ntpauth_server_control_requests_total", "counter",
         "Mode 6 (ntpq) requests by outcome.");
  const struct { const char *name; uint64_t v; } rows[] = {
    {"answered", c->answered}, {"error", c->errors}, {"not_allowed", c->not_allowed},
    {"rate_limited", c->rate_limited}, {"dropped", c->dropped}};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    nta_textbuf_add(t, "ntpauth_server_control_requests_total{outcome=\"%s\"} %llu\n", rows[i].name,
        (unsigned long long)rows[i].v);
}

static void refclock_metrics(nta_textbuf *t, const m6_snapshot *s) {
  static const char *const names[] = {"reach", "selected", "offset_seconds", "jitter_seconds",
                                      "samples_total", "errors_total"};
  static const char *const help[] = {
    "Reachability register (8 polls, as ntpd).", "1 for the source being served.",
    "Offset of the last poll (reference - system clock).", "Jitter of the last poll.",
    "Samples received.", "Samples rejected and device errors."};
  for (size_t m = 0; m < 6; m++) {
    char fam[64];
    snprintf(fam, sizeof fam, "ntpauth_refclock_%s", names[m]);
    family(t, fam, m >= 4 ? "counter" : "gauge", help[m]);
    for (size_t i = 0; i < s->n_assoc; i++) {
      const m6_assoc *a = &s->assoc[i];
      char refid[5];
      refid_label(a->refid, refid);
      nta_textbuf_add(t, "%s{source=\"127.127.%u.%u\",driver=\"%s\",refid=\"%s\"} ", fam, a->clock_type,
          a->unit, a->name, refid);
      switch (m) {
      case 0: nta_textbuf_add(t, "%u\n", a->reach); break;
      case 1: nta_textbuf_add(t, "%d\n", a->id == s->sys_peer ? 1 : 0); break;
      case 2: nta_textbuf_add(t, "%.9f\n", a->offset); break;
      case 3: nta_textbuf_add(t, "%.9f\n", a->jitter); break;
      case 4: nta_textbuf_add(t, "%llu\n", (unsigned long long)a->samples); break;
      default: nta_textbuf_add(t, "%llu\n", (unsigned long long)a->errors); break;
      }
    }
  }
}

size_t metrics_format(const metrics_input *in, char *buf, size_t len) {
  nta_textbuf t = nta_textbuf_init(buf, len);
  system_metrics(&t, in);
  request_metrics(&t, in);
  refclock_metrics(&t, in->snap);
  return t.need;
}

nta_status metrics_write_file(const char *path, const char *text, size_t len, nta_diag *err) {
  char tmp[1100];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
    return nta_diag_set(err, NTA_ERR_ARG, "metrics-file %s: path too long", path);
  /* O_NOFOLLOW and O_EXCL after unlink: never write through a link someone planted. */
  unlink(tmp);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return nta_diag_set(err, NTA_ERR_IO, "metrics-file %s: %s", tmp, strerror(errno));
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, text + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += (size_t)n;
  }
  int e = errno;
  if (close(fd) != 0 || off < len) {
    unlink(tmp);
    return nta_diag_set(err, NTA_ERR_IO, "metrics-file %s: write: %s", tmp, strerror(e));
  }
  if (rename(tmp, path) != 0) {
    e = errno;
    unlink(tmp);
    return nta_diag_set(err, NTA_ERR_IO, "metrics-file %s: rename: %s", path, strerror(e));
  }
  return NTA_OK;
}
