/* dissector/packet-ntpauth.h - registration entry points of the ntpauth postdissector. */
#ifndef NTPAUTH_PACKET_NTPAUTH_H
#define NTPAUTH_PACKET_NTPAUTH_H

void proto_register_ntpauth(void);
void proto_reg_handoff_ntpauth(void);

#endif
