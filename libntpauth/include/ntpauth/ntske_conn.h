/* ntpauth/ntske_conn.h - one NTS-KE connection (TLS 1.3 on TCP 4460) read from both directions.
 *
 * Fed the reassembled byte stream of each direction, it reads TLS records, takes the client
 * random from the ClientHello and the cipher suite from the ServerHello, and, when the key log
 * has the connection's handshake and traffic secrets, decrypts the records (RFC 8446 §5.2:
 * handshake keys until each side's Finished, then application keys) and parses the NTS-KE
 * messages inside (ntske.h). Memory is bounded: one record (16 KiB + 256) and one NTS-KE
 * message (16 KiB) per direction. */
#ifndef NTPAUTH_NTSKE_CONN_H
#define NTPAUTH_NTSKE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntpauth/ntske.h"
#include "ntpauth/nts.h"

typedef struct nta_ntske_conn nta_ntske_conn;

typedef enum {
  NTA_KE_ST_TLS = 0,        /* reading the handshake */
  NTA_KE_ST_NO_SECRETS,     /* the key log lacks this connection: records stay encrypted */
  NTA_KE_ST_DECRYPTING,
  NTA_KE_ST_FAILED          /* a record did not decrypt or did not parse (see reason) */
} nta_ntske_state;

typedef struct {
  nta_ntske_state state;
  bool have_random;
  uint8_t client_random[NTA_TLS_RANDOM_LEN];
  uint16_t suite;               /* TLS 1.3 cipher suite from the ServerHello, 0 unknown */
  int session;                  /* NTS session of this client random in the store, -1 none */
  bool have_request, have_response;
  nta_ntske_msg request, response;
  /* Copies of the response's cookies (the message buffer is reused). */
  uint8_t cookies[NTA_NTS_MAX_COOKIES][NTA_NTS_COOKIE_MAX];
  uint16_t cookie_len[NTA_NTS_MAX_COOKIES];
  uint8_t n_cookies;
  char reason[128];             /* for FAILED / NO_SECRETS */
} nta_ntske_info;

nta_ntske_conn *nta_ntske_conn_create(const nta_nts_store *st);
void nta_ntske_conn_destroy(nta_ntske_conn *c);
/* Appends stream bytes of one direction. Returns true when this call completed the NTS-KE
 * response (then the cookies in info() are ready to link). */
bool nta_ntske_conn_feed(nta_ntske_conn *c, bool from_server, const uint8_t *data, size_t len);
const nta_ntske_info *nta_ntske_conn_info(const nta_ntske_conn *c);

/* ---- TLS 1.3 record protection (RFC 8446 §5.2, §7.3), OpenSSL EVP ---- */
typedef struct {
  uint16_t suite;
  uint8_t key[32], iv[12];
  uint64_t seq;
} nta_tls13_dir;

/* Keys of one direction from a traffic secret: TLS_AES_128_GCM_SHA256 (0x1301),
 * TLS_AES_256_GCM_SHA384 (0x1302), TLS_CHACHA20_POLY1305_SHA256 (0x1303). */
nta_status nta_tls13_dir_init(nta_tls13_dir *d, uint16_t suite, const uint8_t *secret, size_t len);
/* Opens one record (5-byte header + ciphertext + tag) into pt (at least len bytes); gives the
 * inner content type and the plaintext length. Advances the sequence number on success. */
bool nta_tls13_open(nta_tls13_dir *d, const uint8_t *rec, size_t len, uint8_t *pt,
                    size_t *pt_len, uint8_t *inner_type);

#endif
