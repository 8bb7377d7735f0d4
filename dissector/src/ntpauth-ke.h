/* dissector/ntpauth-ke.h - NTS-KE records (RFC 8915 §4) in the TLS application data of TCP 4460,
 * as their own protocol "ntpauth.ke" (fields ntpauth.ke.*). */
#ifndef NTPAUTH_PLUGIN_KE_H
#define NTPAUTH_PLUGIN_KE_H

/* Protocol, fields, subtrees, expert infos and the dissector handle. */
void ntpauth_ke_register(void);
/* Registers the handle as the TLS application-data dissector for TCP 4460. */
void ntpauth_ke_handoff(void);

#endif
