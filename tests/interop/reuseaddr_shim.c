/* reuseaddr_shim.c - LD_PRELOAD shim used by the interop captures only.
 *
 * ntpd binds the wildcard address on port 123 and every loopback address it knows, and turns
 * SO_REUSEADDR off on its sockets; chronyd binds its server socket without SO_REUSEADDR. So the
 * two cannot serve port 123 in one network namespace. With this shim preloaded into both,
 * every socket gets SO_REUSEADDR before bind() and keeps it, so chronyd can own 127.0.0.2:123
 * next to ntpd's 0.0.0.0:123 and 127.0.0.1:123; the kernel delivers to the most specific
 * socket. Nothing else about the daemons changes. */
#include <dlfcn.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*setsockopt_fn)(int, int, int, const void *, socklen_t);

static setsockopt_fn real_setsockopt(void) {
  static setsockopt_fn fn;
  if (!fn)
    fn = (setsockopt_fn)dlsym(RTLD_NEXT, "setsockopt");
  return fn;
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
  setsockopt_fn fn = real_setsockopt();
  if (!fn)
    return -1;
  if (level == SOL_SOCKET && name == SO_REUSEADDR) {
    int one = 1;   /* ignore requests to turn it off */
    return fn(fd, level, name, &one, sizeof one);
  }
  return fn(fd, level, name, value, len);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  static bind_fn real_bind;
  if (!real_bind)
    real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
  setsockopt_fn fn = real_setsockopt();
  if (!real_bind || !fn)
    return -1;
  int one = 1;
  (void)fn(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  /* fails harmlessly on AF_UNIX etc. */
  return real_bind(fd, addr, len);
}
