/* The balloon test's shared pieces, for the statistics and free page checks
 * beside it. */
#ifndef VP_DEV_BALLOON_H
#define VP_DEV_BALLOON_H

#include "checks.h"

enum { VP_BAL_Q_INFLATE = 0, VP_BAL_Q_DEFLATE = 1, VP_BAL_Q_STATS = 2 };
#define VP_BAL_STATS_LEN 30u /* three 10-byte entries */

/* dev_balloon_stats.c: the entries of statistics buffer round (0 first):
 * total and free memory around a tag no device knows, in an order that
 * changes per round. */
void vp_balloon_stats_fill(uint8_t *buf, unsigned round);
/* dev_balloon_stats.c: with the first buffer (round 0) held by the device
 * at buf, asks the runner to poll twice: the device gives the buffer back
 * each time, takes the next, and the host reads what the driver sent. */
void vp_balloon_stats_poll(vp_drv *v, uint64_t buf, uint32_t token);
/* dev_balloon_free.c: free page hinting and reporting where offered (the
 * session is reset and set up again with them). */
void vp_balloon_free_pages(vp_drv *v);

#endif
