/* netio.c - UDP sockets with kernel timestamps and batched I/O (see netio.h). */
#include "netio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NET_CMSG_SPACE 256
#define NET_RCVBUF (2 * 1024 * 1024)

nta_status net_open(const cfg_listen *l, net_socket *out, nta_diag *err) {
  int af = l->family == 4 ? AF_INET : AF_INET6;
  int one = 1;
  memset(out, 0, sizeof *out);
  out->fd = -1;
  snprintf(out->name, sizeof out->name, "%s", l->text);
  int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return nta_diag_set(err, NTA_ERR_IO, "listen %s: socket: %s", l->text, strerror(errno));
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) goto fail;
  /* Room for bursts: the default (~200 kB) holds only a few hundred datagrams. As root the
   * limit in net.core.rmem_max does not apply; otherwise take what the kernel allows. */
  int rcvbuf = NET_RCVBUF;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (af == AF_INET) {
    if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) goto fail;
  } else {
    /* Keep IPv4 traffic off IPv6 sockets so [::]:123 and 0.0.0.0:123 can coexist. */
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) goto fail;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) < 0) goto fail;
  }
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof ss);
  if (af == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(l->port);
    memcpy(&sin->sin_addr, l->addr, 4);
    sl = sizeof *sin;
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(l->port);
    memcpy(&sin6->sin6_addr, l->addr, 16);
    sl = sizeof *sin6;
  }
  if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
    int e = errno;
    close(fd);
    return nta_diag_set(err, NTA_ERR_IO, "listen %s: bind: %s", l->text, strerror(e));
  }
  static const uint8_t zero[16];
  out->fd = fd;
  out->wildcard = memcmp(l->addr, zero, l->family == 4 ? 4 : 16) == 0;
  out->family = l->family;
  out->port = l->port;
  return NTA_OK;
fail: {
    int e = errno;
    close(fd);
    return nta_diag_set(err, NTA_ERR_IO, "listen %s: setsockopt: %s", l->text, strerror(e));
  }
}

void net_close(net_socket *s) {
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

static void endpoint_from_sockaddr(const struct sockaddr_storage *ss, nta_endpoint *ep) {
  memset(ep, 0, sizeof *ep);
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    ep->family = 4;
    memcpy(ep->addr, &sin->sin_addr, 4);
    ep->port = ntohs(sin->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    ep->family = 6;
    memcpy(ep->addr, &sin6->sin6_addr, 16);
    ep->port = ntohs(sin6->sin6_port);
  }
}

static void read_cmsgs(struct msghdr *mh, net_packet *p) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
        c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
      memcpy(&p->rx_time, CMSG_DATA(c), sizeof p->rx_time);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
               c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      memcpy(p->local.addr, &pi.ipi_addr, 4);
      p->local.family = 4;
      p->ifindex = pi.ipi_ifindex;
      p->have_local = true;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      memcpy(p->local.addr, &pi.ipi6_addr, 16);
      p->local.family = 6;
      p->ifindex = (int)pi.ipi6_ifindex;
      p->have_local = true;
    }
  }
}

size_t net_recv_batch(const net_socket *s, net_batch *b, int *err_no) {
  static __thread struct mmsghdr msgs[NET_BATCH];
  static __thread struct iovec iov[NET_BATCH];
  static __thread struct sockaddr_storage peers[NET_BATCH];
  static __thread union { char buf[NET_CMSG_SPACE]; struct cmsghdr align; } ctl[NET_BATCH];
  for (size_t i = 0; i < NET_BATCH; i++) {
    iov[i].iov_base = b->pkts[i].data;
    iov[i].iov_len = NET_BUF;
    memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
    msgs[i].msg_hdr.msg_name = &peers[i];
    msgs[i].msg_hdr.msg_namelen = sizeof peers[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_control = ctl[i].buf;
    msgs[i].msg_hdr.msg_controllen = sizeof ctl[i].buf;
  }
  /* MSG_TRUNC: msg_len is the datagram's real length even when it did not fit. */
  int n = recvmmsg(s->fd, msgs, NET_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
  *err_no = 0;
  if (n <= 0) {
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) *err_no = errno;
    b->n = 0;
    return 0;
  }
  for (int i = 0; i < n; i++) {
    net_packet *p = &b->pkts[i];
    p->orig_len = msgs[i].msg_len;
    p->len = p->orig_len < NET_BUF ? p->orig_len : NET_BUF;
    p->truncated = p->orig_len > NET_BUF || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    p->rx_time.tv_sec = 0;
    p->rx_time.tv_nsec = 0;
    p->have_local = false;
    p->ifindex = 0;
    memset(&p->local, 0, sizeof p->local);
    endpoint_from_sockaddr(&peers[i], &p->peer);
    read_cmsgs(&msgs[i].msg_hdr, p);
    if (p->rx_time.tv_sec == 0) clock_gettime(CLOCK_REALTIME, &p->rx_time);  /* no kernel stamp */
    if (!p->have_local) p->local.family = s->family;
    p->local.port = s->port;
  }
  b->n = (size_t)n;
  return b->n;
}

size_t net_send_batch(const net_socket *s, const net_reply *r, size_t n, int *err_no) {
  static __thread struct mmsghdr msgs[NET_BATCH];
  static __thread struct iovec iov[NET_BATCH];
  static __thread struct sockaddr_storage peers[NET_BATCH];
  static __thread union { char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))]; struct cmsghdr align; } ctl[NET_BATCH];
  *err_no = 0;
  if (n > NET_BATCH) n = NET_BATCH;
  for (size_t i = 0; i < n; i++) {
    const net_packet *q = r[i].request;
    struct msghdr *mh = &msgs[i].msg_hdr;
    memset(mh, 0, sizeof *mh);
    memset(&peers[i], 0, sizeof peers[i]);
    iov[i].iov_base = (void *)r[i].data;
    iov[i].iov_len = r[i].len;
    mh->msg_iov = &iov[i];
    mh->msg_iovlen = 1;
    mh->msg_name = &peers[i];
    if (q->peer.family == 4) {
      struct sockaddr_in *sin = (struct sockaddr_in *)&peers[i];
      sin->sin_family = AF_INET;
      sin->sin_port = htons(q->peer.port);
      memcpy(&sin->sin_addr, q->peer.addr, 4);
      mh->msg_namelen = sizeof *sin;
    } else {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&peers[i];
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(q->peer.port);
      memcpy(&sin6->sin6_addr, q->peer.addr, 16);
      mh->msg_namelen = sizeof *sin6;
    }
    if (q->have_local && s->wildcard) {
      /* Answer from the address the request came to (wildcard sockets). */
      memset(ctl[i].buf, 0, sizeof ctl[i].buf);
      mh->msg_control = ctl[i].buf;
      struct cmsghdr *c;
      if (q->local.family == 4) {
        mh->msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
        c = CMSG_FIRSTHDR(mh);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
        struct in_pktinfo pi;
        memset(&pi, 0, sizeof pi);
        memcpy(&pi.ipi_spec_dst, q->local.addr, 4);
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
      } else {
        mh->msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
        c = CMSG_FIRSTHDR(mh);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
        struct in6_pktinfo pi;
        memset(&pi, 0, sizeof pi);
        memcpy(&pi.ipi6_addr, q->local.addr, 16);
        pi.ipi6_ifindex = (unsigned)q->ifindex;
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
      }
    }
  }
  size_t sent = 0, failed = 0;
  while (sent + failed < n) {
    size_t at = sent + failed;
    int k = sendmmsg(s->fd, msgs + at, (unsigned)(n - at), MSG_DONTWAIT);
    if (k < 0) {
      if (errno == EINTR) continue;
      *err_no = errno;
      failed++;   /* skip the datagram that failed and send the rest */
      continue;
    }
    if (k == 0) break;
    sent += (size_t)k;
  }
  return sent;
}
