/* query.h - ntpauth-query internals shared by the plain client and the scenarios. */
#ifndef NTPAUTH_QUERY_H
#define NTPAUTH_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ntpauth/keyring.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"

#define Q_BUF 1024

typedef struct {
  int version;
  bool symmetric;                 /* mode 1 instead of 3 */
  const nta_key *key;             /* sign with a keyring key ... */
  nta_mac *foreign_mac;           /* ... or with a MAC state the server does not know */
  uint32_t foreign_key_id;
  size_t digest_len;
  bool corrupt_mac;               /* flip a digest bit after signing: a wrong secret */
  const uint8_t *efs;             /* extension fields placed before the MAC */
  size_t efs_len;
  bool raw;                       /* send raw_bytes as they are (garbage) */
  const uint8_t *raw_bytes;
  size_t raw_len;
} q_request_spec;

typedef struct {
  bool sent, got_reply;
  uint8_t request[Q_BUF];
  size_t request_len;
  uint8_t reply[Q_BUF];
  size_t reply_len;
  uint64_t t1;
  nta_packet pkt;
  nta_verify_result vr;
  bool crypto_nak, kod, has_timing;
  char kiss[5];
  char refid[64];
  double offset, delay;
  char note[160];
} q_result;

bool q_resolve(const char *text, uint16_t default_port, struct sockaddr_storage *out,
               socklen_t *out_len, char *err, size_t errlen);
size_t q_build_request(const q_request_spec *spec, uint64_t xmt, uint8_t *buf, size_t cap);
bool q_exchange_many(const struct sockaddr_storage *addr, socklen_t alen, const nta_keyring *kr,
                     const q_request_spec *specs, q_result *results, size_t n, double timeout,
                     char *err, size_t errlen);
/* "good", "no_auth", "crypto_nak", "kod", "no_reply", "bad_mac", "unauthenticated_reply", ... */
const char *q_outcome(const q_request_spec *spec, const q_result *r);
void q_print_result(const char *target, const char *scenario, bool pass, const q_request_spec *spec,
                    const q_result *r, bool json);

const char *q_scenario_help(void);
int q_run_scenarios(const char *name, const char *target, const char *host6, const nta_keyring *kr,
                    double timeout, bool json);

#endif
