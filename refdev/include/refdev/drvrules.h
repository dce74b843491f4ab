/* Driver rules judged by the reference device on the contents of each
 * chain the driver makes available, beyond what the ring walk and the
 * models enforce: request headers, net header fields, buffer sizes, per
 * device type (refdev/src/drvrules_<type>.c).
 *
 * Every check says when it ran: a kept rule goes to the device's on_rule
 * observer (a vhost-user back-end counts what it judged a real driver on),
 * a broken one is a fault naming the rule. A rule that does not apply to a
 * chain (a flush rule on a read) is not reported at all, so an observer
 * counts only rules that could have failed on what the driver wrote. The
 * device still serves the chain as the model decides: these checks record,
 * they do not refuse. */
#ifndef REFDEV_DRVRULES_H
#define REFDEV_DRVRULES_H

#include <stdbool.h>

#include "refdev/device.h"

/* The rule req was evaluated on what the driver wrote and kept. */
void vc_drv_kept(vc_dev *d, const char *req);
/* Evaluated: kept when ok, else a fault (code, req, queue, detail); returns ok. */
bool vc_drv_rule(vc_dev *d, bool ok, const char *code, const char *req, int q, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Called by the device core for each chain taken (vc_dev_pop): the rules of
 * the device's type. */
void vc_drvrules_chain(vc_dev *d, unsigned q, const vc_chain *c);

/* Called by the device core just before it returns a chain (vc_dev_push):
 * for rules that follow what the device holds. */
void vc_drvrules_used(vc_dev *d, unsigned q, const vc_chain *c);

/* Per type (dispatched by vc_drvrules_chain and vc_drvrules_used). */
void vc_drvrules_blk(vc_dev *d, unsigned q, const vc_chain *c);
void vc_drvrules_net(vc_dev *d, unsigned q, const vc_chain *c);
void vc_drvrules_net_used(vc_dev *d, unsigned q, const vc_chain *c);
/* net: a transmit header's checksum and GSO fields (h: the hs-byte header
 * read from chain c) against the frame's own headers. */
void vc_drvrules_net_offload(vc_dev *d, unsigned q, const vc_chain *c, unsigned hs, const uint8_t *h);
void vc_drvrules_scsi(vc_dev *d, unsigned q, const vc_chain *c);

/* Whether chain c keeps to the device's own limit on segments (seg_max
 * data segments besides the headers); *seg_max is 0 when the device sets
 * none for that queue. */
bool vc_drvrules_blk_segs_ok(const vc_dev *d, const vc_chain *c, uint32_t *seg_max);
bool vc_drvrules_scsi_segs_ok(const vc_dev *d, unsigned q, const vc_chain *c, uint32_t *seg_max);

/* True when queue q has a buffer the driver made available and the device
 * has not taken yet (read-only: nothing is popped). */
bool vc_drv_ring_has_avail(const vc_dev *d, unsigned q);

#endif
