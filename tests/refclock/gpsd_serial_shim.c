/* gpsd_serial_shim.so - LD_PRELOAD adapter for the real-gpsd test.
 *
 * gpsd classifies its device by the major number from stat() and never feeds NTP SHM from a pty
 * (its guard against running inside its own test harness). CI has no serial hardware, so for the
 * one path named in NTPAUTH_SHIM_SERIAL_PATH this shim reports the major of a real serial port
 * (4, ttyS). Everything else gpsd does -- reading, NMEA decoding, the SHM writer -- is the
 * unmodified Debian binary. Test-only; never installed. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

typedef int (*stat_fn)(const char *, struct stat *);

int stat(const char *path, struct stat *st) {
  static stat_fn real_stat;
  if (!real_stat) real_stat = (stat_fn)dlsym(RTLD_NEXT, "stat");
  if (!real_stat) return -1;
  int r = real_stat(path, st);
  const char *want = getenv("NTPAUTH_SHIM_SERIAL_PATH");
  if (r == 0 && want && strcmp(path, want) == 0 && S_ISCHR(st->st_mode))
    st->st_rdev = makedev(4, 80); /* /dev/ttyS16 */
  return r;
}
