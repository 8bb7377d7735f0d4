/* select.c - source selection and the served clock model (holdover with growing dispersion). */
#include "select.h"

#include <math.h>
#include <string.h>

#include "refclock/timeutil.h"

bool rcl_candidate_eligible(const rcl_candidate *c) {
  return !c->noselect && c->usable && c->src->have_estimate && c->src->reach != 0 && c->src->leap != 3;
}

double rcl_candidate_distance(const rcl_candidate *c, const struct timespec *now) {
  double age = rcl_ts_diff(now, &c->src->est_sys);
  if (age < 0) age = 0;
  return ldexp(1.0, c->precision) + c->src->jitter + RCL_PHI * age;
}

int rcl_select(const rcl_candidate *c, size_t n, const struct timespec *now) {
  int best = -1;
  double best_dist = 0;
  bool best_prefer = false;
  for (size_t i = 0; i < n; i++) {
    if (!rcl_candidate_eligible(&c[i])) continue;
    double dist = rcl_candidate_distance(&c[i], now);
    bool better = best < 0 || (c[i].prefer && !best_prefer) ||
                  (c[i].prefer == best_prefer && dist < best_dist);
    if (better) { best = (int)i; best_dist = dist; best_prefer = c[i].prefer; }
  }
  return best;
}

void rcl_model_init(rcl_model *m) {
  memset(m, 0, sizeof *m);
  m->selected = -1;
}

void rcl_model_update(rcl_model *m, const rcl_candidate *c, size_t n, const struct timespec *now) {
  int best = rcl_select(c, n, now);
  m->selected = best;
  if (best < 0) {
    m->holdover = m->have;
    return;
  }
  const rcl_source *s = c[best].src;
  m->have = true;
  m->holdover = false;
  m->refid = c[best].refid;
  m->leap = s->leap;
  m->precision = c[best].precision;
  m->offset = s->offset;
  m->jitter = s->jitter;
  m->update_sys = s->est_sys;
}

double rcl_model_dispersion(const rcl_model *m, const struct timespec *now) {
  double age = rcl_ts_diff(now, &m->update_sys);
  if (age < 0) age = 0;
  return ldexp(1.0, m->precision) + m->jitter + RCL_PHI * age;
}

void rcl_model_state(const rcl_model *m, const struct timespec *now, srv_time_state *out) {
  memset(out, 0, sizeof *out);
  out->precision = (int8_t)(m->have ? m->precision : -20);
  out->offset = m->have ? m->offset : 0.0;
  double disp = m->have ? rcl_model_dispersion(m, now) : 0.0;
  if (!m->have || disp > RCL_MAX_DISPERSION) {
    out->synced = false;
    out->leap = 3;
    out->stratum = 0;
    out->refid = ((uint32_t)'I' << 24) | ((uint32_t)'N' << 16) | ((uint32_t)'I' << 8) | 'T';
    out->root_dispersion = m->have ? disp : 0.0;
    return;
  }
  out->synced = true;
  out->leap = (uint8_t)(m->leap & 3);
  out->stratum = 1;
  out->refid = m->refid;
  out->ref_time = rcl_ts_add(&m->update_sys, m->offset);
  out->root_delay = 0.0;
  out->root_dispersion = disp;
}
