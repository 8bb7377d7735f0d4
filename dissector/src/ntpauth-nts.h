/* dissector/ntpauth-nts.h - NTS (RFC 8915) in the plugin: key sources as preferences, the
 * per-capture tracker, and the NTS items of a packet's tree. */
#ifndef NTPAUTH_PLUGIN_NTS_H
#define NTPAUTH_PLUGIN_NTS_H

#include <stdbool.h>

#include <epan/packet.h>

#include "ntpauth/nts_verify.h"
#include "ntpauth/ntske.h"
#include "ntpauth/verify.h"

/* Fields, subtree, expert infos and the two preferences (on the protocol's module, which
 * ntpauth_keys_register created). */
void ntpauth_nts_register(int proto);
/* Before each capture file: reloads the keys when a preference changed, restarts the tracker. */
void ntpauth_nts_init(void);
void ntpauth_nts_cleanup(void);
void ntpauth_nts_shutdown(void);

/* For a packet nta_verify() called `nts`: the NTS verdict (first pass: the tracker; later passes:
 * what it said then). Updates vr (verdict, reason, algorithm) and returns the frame's NTS
 * information, or NULL for packets that are not NTS. */
const nta_nts_info *ntpauth_nts_apply(packet_info *pinfo, const nta_packet *pkt,
                                      const guint8 *bytes, guint len, nta_verify_result *vr);
/* The key store's session of a TLS client random (32 bytes), -1 none; a session's name. */
int ntpauth_nts_session_of_random(const guint8 *client_random);
const char *ntpauth_nts_session_name(int session);
/* The cookies of a complete NTS-KE response (msg: its bytes) in this frame, for the tracker
 * (first pass only): later requests name the frame that delivered their cookie. `session`: the
 * connection's session, -1 when unknown. */
void ntpauth_nts_ke_cookies(packet_info *pinfo, const guint8 *msg, const nta_ntske_msg *m,
                            int session);
/* The NTS items under the ntpauth tree. */
void ntpauth_nts_add_items(proto_tree *at, packet_info *pinfo, tvbuff_t *tvb,
                           const nta_nts_info *info);

#endif
