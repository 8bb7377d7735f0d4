/* ntpauth/ntske.h - NTS Key Establishment messages (RFC 8915 §4) once TLS is removed.
 *
 * An NTS-KE message is a sequence of records: a critical bit and a 15-bit type, a 16-bit body
 * length, the body; it ends with an End of Message record. The client sends its proposals
 * (next protocols, AEAD algorithms), the server its choice, cookies, and optionally another NTP
 * server and port, or an error. */
#ifndef NTPAUTH_NTSKE_H
#define NTPAUTH_NTSKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntpauth/nts.h"
#include "ntpauth/status.h"

enum {
  NTA_KE_END = 0,
  NTA_KE_NEXT_PROTOCOL = 1,
  NTA_KE_ERROR = 2,
  NTA_KE_WARNING = 3,
  NTA_KE_AEAD = 4,
  NTA_KE_COOKIE = 5,
  NTA_KE_SERVER = 6,
  NTA_KE_PORT = 7
};

#define NTA_KE_LIST_MAX 8

typedef struct {
  bool complete;                 /* End of Message seen */
  size_t used;                   /* bytes up to and including End of Message */
  uint16_t n_records, n_unknown;
  bool unknown_critical;         /* an unknown record with the critical bit */
  uint8_t n_protocols, n_aeads;
  uint16_t protocols[NTA_KE_LIST_MAX], aeads[NTA_KE_LIST_MAX];
  bool has_error, has_warning, has_server, has_port;
  uint16_t error, warning, port;
  char server[256];              /* printable ASCII; others as '?' */
  uint16_t n_cookies;
  uint8_t n_cookies_kept;
  nta_span cookies[NTA_NTS_MAX_COOKIES];  /* offsets into the parsed buffer */
} nta_ntske_msg;

/* Parses one message from buf. NTA_OK when it ends with End of Message (m->used bytes);
 * NTA_ERR_RANGE when more bytes are needed; NTA_ERR_PARSE with a reason for a broken record
 * (a list record of odd length, a bad End of Message, a port that is not 2 bytes). */
nta_status nta_ntske_parse(const uint8_t *buf, size_t len, nta_ntske_msg *m, nta_diag *why);

/* Where one record lies: header at `off`, body at off + 4. */
typedef struct {
  uint16_t type;                 /* without the critical bit */
  bool critical;
  size_t off;
  uint16_t body_len;
} nta_ntske_record;

/* The record whose header starts at buf[off] (for walking a message record by record, e.g. in
 * a tree view): NTA_OK, or NTA_ERR_RANGE when its header or body runs past len. Whether bodies
 * are well formed is nta_ntske_parse()'s to say. */
nta_status nta_ntske_record_at(const uint8_t *buf, size_t len, size_t off, nta_ntske_record *rec);

/* Names (RFC 8915 §4.1 and its IANA registries): record types ("Unknown" for others), next
 * protocols, AEAD algorithms, error codes. */
const char *nta_ntske_record_name(uint16_t type);
const char *nta_ntske_protocol_name(uint16_t id);
const char *nta_ntske_aead_name(uint16_t id);
const char *nta_ntske_error_name(uint16_t code);

/* One line: "next protocol NTPv4, AEAD AES-SIV-CMAC-256, 8 cookies of 100 bytes, server
 * ntp.example port 123, error 1 (bad request)". */
void nta_ntske_describe(const nta_ntske_msg *m, char *out, size_t outlen);

#endif
