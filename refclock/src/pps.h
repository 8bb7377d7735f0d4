/* pps.h - PPS pulse capture. The Linux implementation talks RFC 2783 over the /dev/ppsN ioctls of
 * <linux/pps.h>; the layer reaches it only through rcl_pps_ops so tests can simulate pulses.
 *
 * A pulse by itself only says "a second starts here"; which second comes from another source
 * (rcl_pps_label). */
#ifndef NTPAUTH_RCL_PPS_H
#define NTPAUTH_RCL_PPS_H

#include <stdbool.h>
#include <time.h>

#include "refclock/refclocks.h"

/* The Linux /dev/ppsN implementation. */
const rcl_pps_ops *rcl_pps_linux_ops(void);

/* A pulse labelled by an offset estimate (ref - sys) from another source. With x = edge + offset,
 * the reference second S is the whole second with x - S in [lo, hi) (hi - lo <= 1):
 *   [-0.4, 0.4)  an estimate of the true offset (the running clock, another selected source);
 *   [-0.9, 0.1)  an NMEA sentence, which names the pulse that came up to 0.9 s before it.
 * Returns false when no whole second qualifies. */
bool rcl_pps_label(const struct timespec *edge, double label_offset, double lo, double hi,
                   struct timespec *ref);

#endif
