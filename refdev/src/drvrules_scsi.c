/* SCSI requests: driver rules on the request header and on the event queue
 * that the model does not need to serve them (refdev/drvrules.h). */
#include <string.h>

#include "le.h"
#include "refdev/drvrules.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

enum { Q_EVENT = 1, Q_REQUEST = 2 };
enum { C_SEG_MAX = 4, C_CMD_PER_LUN = 12, C_CDB_SIZE = 24 };
#define REQ_FIXED 19u /* lun[8], id, task_attr, prio, crn */
#define CDB_MAX 32u
#define CDB_LINK 1u   /* control byte: the command is linked to the next */

/* Length of a CDB by its operation code's group; 0 when the group has no
 * fixed length (variable or vendor specific). */
static unsigned cdb_len(uint8_t op, const uint8_t *cdb)
{
    switch (op >> 5) {
    case 0: return 6;
    case 1:
    case 2: return 10;
    case 3: return op == 0x7f ? 8u + cdb[7] : 0;
    case 4: return 16;
    case 5: return 12;
    default: return 0;
    }
}

/* Linked commands in a row to one LUN stay within cmd_per_lun and the
 * queue size. */
static void linked(vc_dev *d, unsigned q, const uint8_t *lun, const uint8_t *cdb, unsigned cdb_size)
{
    unsigned n = cdb_len(cdb[0], cdb);
    if (n == 0 || n > cdb_size || n > CDB_MAX)
        return; /* no control byte to read */
    vc_drvstate *s = &d->drv;
    unsigned i;
    for (i = 0; i < s->scsi_nlinks && memcmp(s->scsi_link[i].lun, lun, 8); i++)
        ;
    if (i == s->scsi_nlinks) {
        if (i == VC_DRV_SCSI_LUNS)
            i = 0; /* more LUNs than followed: the oldest run is forgotten */
        else
            s->scsi_nlinks++;
        memcpy(s->scsi_link[i].lun, lun, 8);
        s->scsi_link[i].run = 0;
    }
    uint32_t run = ++s->scsi_link[i].run; /* this command's place in the run */
    if (!(cdb[n - 1] & CDB_LINK))
        s->scsi_link[i].run = 0; /* the run ends with an unlinked command */
    uint32_t limit = vc_get32(d->config + C_CMD_PER_LUN);
    if (d->q[q].size < limit)
        limit = d->q[q].size;
    vc_drv_rule(d, run <= limit, "SCSI_LINKED_RUN", REQ_DRV_SCSI_CFG_2, (int)q,
                "command %u of a linked run, limit %u", run, limit);
}

/* While events can come (HOTPLUG or CHANGE), the event queue has a buffer
 * the device can use: one it holds or one still in the ring. Reported once. */
static void stocked(vc_dev *d, unsigned q)
{
    if (!(vc_dev_has(d, VIRTIO_SCSI_F_HOTPLUG_BIT) || vc_dev_has(d, VIRTIO_SCSI_F_CHANGE_BIT)) ||
        d->nqueues <= Q_EVENT || !d->q[Q_EVENT].enabled || d->drv.scsi_unstocked)
        return;
    bool ok = d->q[Q_EVENT].vq.ninflight > 0 || vc_drv_ring_has_avail(d, Q_EVENT);
    if (!vc_drv_rule(d, ok, "SCSI_EVENTQ_EMPTY", REQ_DRV_SCSI_EVENT_1, (int)q,
                     "a request while the event queue has no buffer"))
        d->drv.scsi_unstocked = true;
}

bool vc_drvrules_scsi_segs_ok(const vc_dev *d, unsigned q, const vc_chain *c, uint32_t *seg_max)
{
    /* requests: seg_max data segments each way (a bidirectional command
     * has both), besides the request header and the response */
    *seg_max = q >= Q_REQUEST ? vc_get32(d->config + C_SEG_MAX) : 0;
    return c->n_out <= (uint64_t)*seg_max + 1 && c->nseg - c->n_out <= (uint64_t)*seg_max + 1;
}

void vc_drvrules_scsi(vc_dev *d, unsigned q, const vc_chain *c)
{
    if (q < Q_REQUEST)
        return;
    unsigned cdb_size = vc_get32(d->config + C_CDB_SIZE);
    uint8_t hdr[REQ_FIXED], cdb[CDB_MAX] = { 0 };
    unsigned take = cdb_size < CDB_MAX ? cdb_size : CDB_MAX;
    if (c->out_bytes < REQ_FIXED + (uint64_t)cdb_size ||
        vc_chain_read(d->mem, c, 0, hdr, REQ_FIXED) != REQ_FIXED ||
        vc_chain_read(d->mem, c, REQ_FIXED, cdb, take) != take)
        return; /* the model's drv.implied.scsi_req_layout */
    /* task_attr SIMPLE, no priority, no command reference number */
    vc_drv_rule(d, hdr[16] == 0 && hdr[17] == 0 && hdr[18] == 0, "SCSI_REQ_ATTR", REQ_DRV_SCSI_REQ_1,
                (int)q, "task_attr %u, prio %u, crn %u", hdr[16], hdr[17], hdr[18]);
    linked(d, q, hdr, cdb, take);
    stocked(d, q);
}
