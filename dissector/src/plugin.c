/* dissector/plugin.c - the four symbols Wireshark 4.0 looks for in a plugin, and nothing else.
 *
 * Every other symbol of ntpauth.so (including the statically linked core) is hidden by the
 * linker version script plugin.map, so the plugin cannot clash with Wireshark or other plugins. */
#include <epan/proto.h>
#include <ws_symbol_export.h>

#include "ntpauth-ke.h"
#include "packet-ntpauth.h"

/* 4.0 installs no header with a plugin version macro; ours is the project version. */
WS_DLL_PUBLIC_DEF const char plugin_version[] = NTPAUTH_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = 4;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = 0;

WS_DLL_PUBLIC_DEF void plugin_register(void);

void plugin_register(void) {
  static const proto_plugin plug = {
    .register_protoinfo = proto_register_ntpauth,
    .register_handoff = proto_reg_handoff_ntpauth,
  };
  static const proto_plugin plug_ke = {
    .register_protoinfo = ntpauth_ke_register,
    .register_handoff = ntpauth_ke_handoff,
  };
  proto_register_plugin(&plug);
  proto_register_plugin(&plug_ke);
}
