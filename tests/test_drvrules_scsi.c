/* SCSI driver rules judged on request headers and the event queue
 * (refdev/src/drvrules_scsi.c): each breaks with its exact requirement; a
 * conforming driver's requests are reported kept with no fault. */
#include <stdlib.h>
#include <string.h>

#include "devharness.h"
#include "drvrules_obs.h"
#include "refdev/models.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"
#include "vc_test.h"

#define DISK_BYTES (1u << 20)
#define REQ_LEN (19u + 32u)
#define RESP_LEN (12u + 96u)

typedef struct rig {
    vc_th t;
    vc_dev *d;
    obs o;
    uint8_t *disk;
    uint64_t req, resp, ev;
} rig;

static void rig_init(rig *r, uint64_t f, uint16_t qsize)
{
    vc_th_mem(&r->t);
    r->disk = calloc(1, DISK_BYTES);
    vc_model_opts mo = { .disk = r->disk, .disk_bytes = DISK_BYTES };
    r->d = vc_scsi_create(&r->t.tm.mem, &mo);
    VC_CHECK(vc_th_start(&r->t, r->d, 1ull << VC_F_VERSION_1 | f, 3, qsize));
    obs_attach(&r->o, r->d);
    r->req = vc_testmem_alloc(&r->t.tm, REQ_LEN, 16);
    r->resp = vc_testmem_alloc(&r->t.tm, RESP_LEN, 16);
    r->ev = vc_testmem_alloc(&r->t.tm, 16, 16);
}

static void rig_free(rig *r)
{
    vc_model_free(r->d);
    vc_th_free(&r->t);
    free(r->disk);
}

/* A 6-byte CDB (op, control byte) to target 0 LUN lun with these header bytes. */
static void cmd(rig *r, uint8_t lun, uint8_t op, uint8_t control, uint8_t attr, uint8_t prio, uint8_t crn)
{
    uint8_t q[REQ_LEN] = { 1, 0, 0x40, lun };
    q[16] = attr;
    q[17] = prio;
    q[18] = crn;
    q[19] = op;
    q[19 + 5] = control;
    vc_gmem_write(&r->t.tm.mem, r->req, q, sizeof(q));
    vc_seg sg[2] = { { r->req, REQ_LEN, false }, { r->resp, RESP_LEN, true } };
    VC_CHECK(vc_th_roundtrip(&r->t, 2, sg, 1, 1, false) >= 0);
}

VC_TEST(conforming_request_kept)
{
    rig r;
    rig_init(&r, 0, 16);
    cmd(&r, 0, 0x00, 0, 0, 0, 0);
    cmd(&r, 0, 0x00, 0, 0, 0, 0);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_SCSI_REQ_1), 2);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_SCSI_CFG_2), 2);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_SCSI_EVENT_1), 0); /* no event can come without HOTPLUG or CHANGE */
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(task_attr_prio_crn_break_req1)
{
    const uint8_t bad[3][3] = { { 1, 0, 0 }, { 0, 3, 0 }, { 0, 0, 7 } };
    for (unsigned i = 0; i < 3; i++) {
        rig r;
        rig_init(&r, 0, 16);
        cmd(&r, 0, 0x00, 0, bad[i][0], bad[i][1], bad[i][2]);
        VC_CHECK_EQ(faults_of(r.d, REQ_DRV_SCSI_REQ_1), 1);
        VC_CHECK_EQ(r.d->nfaults, 1);
        rig_free(&r);
    }
}

VC_TEST(linked_run_beyond_queue_breaks_cfg2)
{
    rig r;
    rig_init(&r, 0, 4); /* cmd_per_lun is larger: the queue size bounds the run */
    for (unsigned i = 0; i < 4; i++)
        cmd(&r, 0, 0x00, 1, 0, 0, 0);
    cmd(&r, 1, 0x00, 1, 0, 0, 0); /* another LUN has its own run */
    VC_CHECK_EQ(r.d->nfaults, 0);
    cmd(&r, 0, 0x00, 1, 0, 0, 0); /* the fifth linked command to LUN 0 */
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_SCSI_CFG_2), 1);
    faults_clear(r.d);
    cmd(&r, 0, 0x00, 0, 0, 0, 0); /* still the run: it ends here */
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_SCSI_CFG_2), 1);
    faults_clear(r.d);
    cmd(&r, 0, 0x00, 1, 0, 0, 0); /* a new run */
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(event_queue_stock)
{
    rig r;
    rig_init(&r, 1ull << VIRTIO_SCSI_F_HOTPLUG_BIT, 16);
    cmd(&r, 0, 0x00, 0, 0, 0, 0);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_SCSI_EVENT_1), 1);
    cmd(&r, 0, 0x00, 0, 0, 0, 0);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_SCSI_EVENT_1), 1); /* once */
    rig_free(&r);

    rig_init(&r, 1ull << VIRTIO_SCSI_F_HOTPLUG_BIT, 16);
    vc_seg ev = { r.ev, 16, true };
    VC_CHECK(vc_th_post(&r.t, 1, &ev, 0, 1, 7));
    cmd(&r, 0, 0x00, 0, 0, 0, 0);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_SCSI_EVENT_1), 1);
    VC_CHECK_EQ(r.d->nfaults, 0);
    /* the device uses the buffer for an event; the driver does not post
     * another: the next request finds the queue empty */
    VC_CHECK(vc_scsi_send_event(r.d, 1, 0));
    cmd(&r, 0, 0x00, 0, 0, 0, 0);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_SCSI_EVENT_1), 1);
    rig_free(&r);
}

/* A packed request keeps seg_max (1 here) data segments each way. */
VC_TEST(packed_request_within_seg_max)
{
    rig r;
    rig_init(&r, 1ull << VC_F_RING_PACKED, 16);
    const uint8_t one[4] = { 1, 0, 0, 0 };
    memcpy(r.d->config + 4, one, 4); /* seg_max */
    uint8_t q[REQ_LEN] = { 1, 0, 0x40, 0 };
    q[19] = 0x28; /* READ(10) of one sector */
    q[19 + 8] = 1;
    vc_gmem_write(&r.t.tm.mem, r.req, q, sizeof(q));
    uint64_t data = vc_testmem_alloc(&r.t.tm, 1024, 512);
    for (unsigned nd = 1; nd <= 2; nd++) {
        vc_seg sg[4] = { { r.req, REQ_LEN, false }, { r.resp, RESP_LEN, true },
                         { data, 512 / nd, true }, { data + 256, 256, true } };
        VC_CHECK(vc_th_roundtrip(&r.t, 2, sg, 1, 1 + nd, false) >= 0);
        VC_CHECK_EQ(faults_of(r.d, REQ_DRV_PACKED_SG_1), nd == 2 ? 1u : 0u);
        VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_PACKED_SG_1), 1);
    }
    rig_free(&r);
}

int main(void) { return vc_test_main(); }
