/* mode6.h - the server's answer to one NTP control message (mode 6, RFC 9327), as a pure
 * function, read-only, as ntpsec's ntpd answers:
 *   READSTAT  association 0: the list of (association id, status word); else that association's
 *             status variables
 *   READVAR   association 0: system variables; else the association's (mode6_vars.h)
 *   READCLOCK the reference clock's variables (association 0: the selected one)
 *   0         an empty reply carrying the system status
 *   writes (WRITEVAR, WRITECLOCK, CONFIGURE, SAVECONFIG, READ_ORDLIST_A): permission denied;
 *   anything else (MRU list, nonces, traps, unknown opcodes): bad opcode.
 * Replies longer than one datagram are split into fragments of 468 data bytes with the More bit
 * and the byte offset set. A request with a MAC that verifies gets every fragment (and error
 * replies) signed with the same key and digest length; a MAC that does not verify, or no MAC
 * with `require_auth`, gets a bare permission error and no data. Who may ask is not decided
 * here (control.c). */
#ifndef NTPAUTH_SERVER_MODE6_H
#define NTPAUTH_SERVER_MODE6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mode6_vars.h"
#include "ntpauth/keyring.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"

#define M6_DATA_MAX 468         /* data bytes per fragment, as ntpd */
#define M6_MAX_FRAGS 8
#define M6_FRAG_MAX (NTA_CTL_HEADER_LEN + M6_DATA_MAX + 4 + NTA_MAC_MAX)

/* Opcodes. */
enum { M6_OP_UNSPEC = 0, M6_OP_READSTAT = 1, M6_OP_READVAR = 2, M6_OP_WRITEVAR = 3,
       M6_OP_READCLOCK = 4, M6_OP_WRITECLOCK = 5, M6_OP_CONFIGURE = 8, M6_OP_SAVECONFIG = 9,
       M6_OP_READ_ORDLIST_A = 11 };

typedef struct {
  bool require_auth;    /* refuse requests without a valid MAC */
} m6_policy;

typedef enum {
  M6_ANSWER = 0,        /* data reply in frags */
  M6_ERROR,             /* error reply (one 12-byte fragment, plus MAC when signed) */
  M6_DROP               /* nothing to send */
} m6_outcome;

typedef struct {
  m6_outcome outcome;
  uint8_t error_code;          /* M6_ERROR: M6_ERR_* */
  nta_packet pkt;              /* the parsed request */
  nta_verify_result vr;        /* its verdict (malformed when it did not parse) */
  bool signed_reply;
  size_t n_frags;
  size_t frag_len[M6_MAX_FRAGS];
  uint8_t frag[M6_MAX_FRAGS][M6_FRAG_MAX];
} m6_result;

/* True when the datagram is a mode 6 message (the daemon's dispatch test). */
bool m6_is_control(const uint8_t *buf, size_t len);

/* Decides and builds the reply. `kr` may be NULL (no keys). Returns res->outcome. */
m6_outcome m6_respond(const uint8_t *buf, size_t len, const m6_snapshot *snap,
                      const m6_policy *pol, const nta_keyring *kr, m6_result *res);

/* "answer", "error", "drop". */
const char *m6_outcome_name(m6_outcome o);

#endif
