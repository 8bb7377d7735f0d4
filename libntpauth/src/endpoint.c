/* endpoint.c - printing endpoints. */
#include "ntpauth/endpoint.h"

#include <arpa/inet.h>
#include <stdio.h>

void nta_endpoint_addr_str(const nta_endpoint *ep, char *out, size_t outlen) {
  if (!out || outlen == 0) return;
  if (!ep || !inet_ntop(ep->family == 6 ? AF_INET6 : AF_INET, ep->addr, out, (socklen_t)outlen))
    snprintf(out, outlen, "?");
}
