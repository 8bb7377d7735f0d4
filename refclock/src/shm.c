/* shm.c - ntpd SHM segments: attach/create, the count-protocol reader, and a gpsd-style writer. */
#include "refclock/shm.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

_Static_assert(sizeof(struct rcl_shm_time) == 96 || sizeof(time_t) != 8,
               "SHM record must match ntpd's 96-byte layout on 64-bit Linux");
_Static_assert(offsetof(struct rcl_shm_time, valid) == 48 || sizeof(time_t) != 8, "valid at 48");

nta_status rcl_shm_attach(int unit, volatile struct rcl_shm_time **out, nta_diag *err) {
  key_t key = (key_t)(RCL_SHM_KEY_BASE + unit);
  int perm = unit <= 1 ? 0600 : 0666;
  int id = shmget(key, sizeof(struct rcl_shm_time), IPC_CREAT | perm);
  if (id < 0)
    return nta_diag_set(err, NTA_ERR_IO, "SHM unit %d (key 0x%08x): shmget: %s", unit, (unsigned)key,
                        strerror(errno));
  void *p = shmat(id, NULL, 0);
  if (p == (void *)-1)
    return nta_diag_set(err, NTA_ERR_IO, "SHM unit %d (key 0x%08x): shmat: %s", unit, (unsigned)key,
                        strerror(errno));
  *out = p;
  return NTA_OK;
}

void rcl_shm_detach(volatile struct rcl_shm_time *seg) {
  if (seg) shmdt((const void *)seg);
}

bool rcl_shm_remove(int unit) {
  int id = shmget((key_t)(RCL_SHM_KEY_BASE + unit), 0, 0);
  return id >= 0 && shmctl(id, IPC_RMID, NULL) == 0;
}

static struct timespec pick_time(time_t sec, int usec, unsigned nsec) {
  /* The ns field is only trusted when it agrees with the us field (older writers leave it 0). */
  struct timespec t = {.tv_sec = sec, .tv_nsec = (long)usec * 1000};
  if (nsec < 1000000000u && (unsigned)usec == nsec / 1000) t.tv_nsec = (long)nsec;
  return t;
}

rcl_shm_result rcl_shm_read(volatile struct rcl_shm_time *seg, rcl_shm_sample *out, char *why, size_t why_len) {
  if (why && why_len) why[0] = '\0';
  if (!seg->valid) return RCL_SHM_NONE;
  int mode = seg->mode;
  int count_before = seg->count;
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  struct rcl_shm_time copy;
  memcpy(&copy, (const void *)seg, sizeof copy);
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  int count_after = seg->count;
  seg->valid = 0;
  if (mode != 0 && mode != 1) {
    if (why) snprintf(why, why_len, "SHM mode %d unknown", mode);
    return RCL_SHM_BAD;
  }
  /* A copy taken while the writer was between its two count increments can see the same count
   * twice; the writer clears valid first, so such a copy also shows valid == 0 (chrony checks
   * the copied valid flag the same way). */
  if (mode == 1 && (count_before != count_after || copy.count != count_before || !copy.valid)) {
    if (why) snprintf(why, why_len, "SHM CLASH: record changed while reading");
    return RCL_SHM_CLASH;
  }
  if (copy.clockTimeStampUSec < 0 || copy.clockTimeStampUSec >= 1000000 ||
      copy.receiveTimeStampUSec < 0 || copy.receiveTimeStampUSec >= 1000000) {
    if (why) snprintf(why, why_len, "SHM microsecond field out of range");
    return RCL_SHM_BAD;
  }
  if (copy.leap < 0 || copy.leap > 3) {
    if (why) snprintf(why, why_len, "SHM leap %d out of range", copy.leap);
    return RCL_SHM_BAD;
  }
  out->ref = pick_time(copy.clockTimeStampSec, copy.clockTimeStampUSec, copy.clockTimeStampNSec);
  out->sys = pick_time(copy.receiveTimeStampSec, copy.receiveTimeStampUSec, copy.receiveTimeStampNSec);
  out->leap = copy.leap;
  out->precision = copy.precision;
  return RCL_SHM_SAMPLE;
}

void rcl_shm_write(volatile struct rcl_shm_time *seg, int mode, const struct timespec *ref,
                   const struct timespec *sys, int leap, int precision) {
  seg->valid = 0;
  seg->count++;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  seg->mode = mode;
  seg->clockTimeStampSec = ref->tv_sec;
  seg->clockTimeStampUSec = (int)(ref->tv_nsec / 1000);
  seg->clockTimeStampNSec = (unsigned)ref->tv_nsec;
  seg->receiveTimeStampSec = sys->tv_sec;
  seg->receiveTimeStampUSec = (int)(sys->tv_nsec / 1000);
  seg->receiveTimeStampNSec = (unsigned)sys->tv_nsec;
  seg->leap = leap;
  seg->precision = precision;
  seg->nsamples = 3;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  seg->count++;
  seg->valid = 1;
}
