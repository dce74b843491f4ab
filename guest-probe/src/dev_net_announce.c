/* Guest announcement (GUEST_ANNOUNCE): the probe asks the runner for a
 * host-side announcement (QMP announce-self; the reference device's front
 * in-process), waits, bounded, for the ANNOUNCE bit in the configuration
 * status, acknowledges it over the control queue, and reads status the
 * moment the acknowledgement is used: the bit must be clear by then. */
#include <stdio.h>
#include <time.h>

#include "checks.h"
#include "clock.h"
#include "dev_net.h"
#include "dev_note.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

#define C_STATUS 6u
#define S_ANNOUNCE 2u
#define CL_ANNOUNCE 3u
#define ANNOUNCE_ACK 0u
#define WAIT_MS 1000u /* the runner answers within tens of ms */

void vp_net_announce(vp_drv *v, unsigned ctrl_q, uint64_t buf)
{
    vp_report *r = v->c->rep;
    char err[128], ob[64];
    if (!(v->features >> VIRTIO_NET_F_GUEST_ANNOUNCE_BIT & 1) || !(v->features >> VIRTIO_NET_F_STATUS_BIT & 1))
        return;
    if (!vp_note_ask(v->c, v->d, "net-announce")) {
        vp_check(r, "net.announce", "", VP_SKIP, NULL, NULL, "no runner to announce from the host");
        return;
    }
    double end = vp_now_ms() + WAIT_MS;
    unsigned st = 0;
    for (;;) {
        st = (unsigned)vp_tp_cfg(v->t, C_STATUS, 2);
        if (st & S_ANNOUNCE || v->t->io_err || vp_now_ms() > end)
            break;
        struct timespec nap = {0, 200000};
        nanosleep(&nap, NULL);
    }
    if (!(st & S_ANNOUNCE)) {
        vp_check(r, "net.announce", "", VP_SKIP, NULL, NULL,
                 "ANNOUNCE not set within %u ms of the request (status 0x%x)", WAIT_MS, st);
        return;
    }
    uint8_t *h = vp_drv_host(v, buf, 4);
    h[0] = CL_ANNOUNCE;
    h[1] = ANNOUNCE_ACK;
    h[2] = 0xee; /* the ack, written by the device */
    vc_seg sg[2] = {{buf, 2, false}, {buf + 2, 1, true}};
    uint32_t used;
    vp_rt rt = vp_drv_roundtrip(v, ctrl_q, sg, 1, 1, false, &used, err, sizeof err);
    if (!vp_report_rt(v, "net.ctrl", REQ_DRV_IMPLIED_NET_CTRL_LAYOUT, rt, err))
        return;
    unsigned after = (unsigned)vp_tp_cfg(v->t, C_STATUS, 2);
    snprintf(ob, sizeof ob, "status 0x%x, ack %u", after, h[2]);
    vp_expect(r, "net.announce.ack_clears", REQ_DEV_NET_CTRL_ANNOUNCE_1, !(after & S_ANNOUNCE) && h[2] == 0,
              "ANNOUNCE clear, ack 0 (OK)", ob, "read once the ANNOUNCE_ACK command was used");
}
