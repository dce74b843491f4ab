/* Configuration changes made by the VMM while the probe watches: a block
 * device grown (before DRIVER_OK and after), a network link taken down and
 * up again. The results channel is one-way, so the probe asks with a note
 * record ({"type":"note","want":"blk-resize",...}) that the runner answers
 * through QEMU's monitor (harness/vcharness/qmp.py), and waits, bounded, for
 * the field to move; the simulated front changes it in-process. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "checks_irq.h"
#include "clock.h"
#include "dev_note.h"
#include "refdev/device.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

#define NET_STATUS 6u
#define CHANGE_WAIT_MS 1000u /* the runner answers within tens of ms */

/* Waits (bounded) for the config field at off to read other than before. */
static bool moved(vp_tp *t, unsigned off, unsigned len, uint64_t before, uint64_t *now)
{
    double end = vp_now_ms() + CHANGE_WAIT_MS;
    do {
        *now = vp_tp_cfg(t, off, len);
        if (*now != before || t->io_err)
            return *now != before;
        struct timespec nap = {0, 200000};
        nanosleep(&nap, NULL);
    } while (vp_now_ms() < end);
    return false;
}

/* One change after DRIVER_OK: the generation moves, and a configuration
 * interrupt on vector 0 comes with ISR's configuration bit set. */
static void running(vp_isess *s, vp_irq *q, const char *want, unsigned off, unsigned len, const char *id,
                    const char *notify_req)
{
    vp_report *r = s->v.c->rep;
    char ex[48], ob[96], gen_id[64], notify_id[64], isr_id[64];
    uint16_t cb, qb;
    vp_isess_vectors(s, 0, VP_NO_VECTOR, &cb, &qb);
    uint64_t before = vp_tp_cfg(&s->t, off, len), after;
    uint8_t g0 = vp_tp_generation(&s->t);
    (void)vp_tp_isr(&s->t);
    vp_irq_clear(q);
    vp_note_ask(s->v.c, s->v.d, want);
    snprintf(gen_id, sizeof gen_id, "%s.generation", id);
    snprintf(notify_id, sizeof notify_id, "%s.notify", id);
    snprintf(isr_id, sizeof isr_id, "%s.isr", id);
    if (!moved(&s->t, off, len, before, &after)) {
        vp_check(r, id, "", VP_SKIP, NULL, NULL, "%s: the field did not change within %u ms (no runner answering)",
                 want, CHANGE_WAIT_MS);
        return;
    }
    uint32_t seen = vp_irq_wait(q, 1, VP_QUICK_WAIT_MS);
    uint8_t g1 = vp_tp_generation(&s->t), isr = vp_tp_isr(&s->t);
    snprintf(ex, sizeof ex, "not %u", g0);
    snprintf(ob, sizeof ob, "%u (field 0x%llx -> 0x%llx)", g1, (unsigned long long)before,
             (unsigned long long)after);
    vp_expect(r, gen_id, REQ_DEV_PCI_COMMON_6, g1 != g0, ex, ob, "after DRIVER_OK");
    if (notify_req)
        vp_expect(r, notify_id, notify_req, seen & 1, "vector 0 (config)", vp_irq_describe(seen, ob, sizeof ob),
                  "after DRIVER_OK");
    else /* no requirement asks for it */
        vp_check(r, notify_id, "", VP_INFO, NULL, vp_irq_describe(seen, ob, sizeof ob), "configuration interrupt");
    snprintf(ob, sizeof ob, "ISR 0x%02x", isr);
    if (seen & 1)
        vp_expect(r, isr_id, REQ_DEV_PCI_ISR_2, isr & 2, "config bit (0x2)", ob,
                  "read after the configuration interrupt");
}

static void blk(vp_ctx *c, vp_dev *d, vp_irq *q)
{
    vp_isess s;
    char ex[48], ob[96];
    if (!vp_isess_open(&s, c, d, VP_IS_MODERN, 0, 0, true, "config.blk_resize"))
        return;
    if (vp_tp_device_features(&s.t) >> VIRTIO_BLK_F_RO_BIT & 1) {
        /* the runner grows the disk image, which a read-only drive refuses */
        vp_check(c->rep, "config.blk_resize", "", VP_SKIP, NULL, NULL, "read-only device: no resize asked for");
        goto out;
    }
    /* before DRIVER_OK: the driver reads the configuration around the change */
    uint64_t before = vp_tp_cfg(&s.t, 0, 8), after;
    uint8_t g0 = vp_tp_generation(&s.t);
    vp_note_ask(c, d, "blk-resize");
    if (!moved(&s.t, 0, 8, before, &after)) {
        vp_check(c->rep, "config.blk_resize", "", VP_SKIP, NULL, NULL,
                 "capacity did not change within %u ms (no runner answering)", CHANGE_WAIT_MS);
        goto out;
    }
    uint8_t g1 = vp_tp_generation(&s.t);
    snprintf(ex, sizeof ex, "not %u", g0);
    snprintf(ob, sizeof ob, "%u (capacity %llu -> %llu)", g1, (unsigned long long)before, (unsigned long long)after);
    vp_expect(c->rep, "config.blk_resize.generation_before_driver_ok", REQ_DEV_PCI_COMMON_6, g1 != g0, ex, ob,
              "capacity read before and after the change, FEATURES_OK set, DRIVER_OK not yet");
    vp_drv_driver_ok(&s.v);
    running(&s, q, "blk-resize", 0, 8, "config.blk_resize", REQ_DEV_BLK_OP_2);
out:
    vp_isess_close(&s);
}

static void net(vp_ctx *c, vp_dev *d, vp_irq *q)
{
    vp_isess s;
    if (!vp_isess_open(&s, c, d, VP_IS_MODERN, 1ull << VIRTIO_NET_F_STATUS_BIT, 0, false, "config.net_link"))
        return;
    if (!(s.v.features >> VIRTIO_NET_F_STATUS_BIT & 1))
        vp_check(c->rep, "config.net_link", "", VP_SKIP, NULL, NULL, "STATUS not offered: no link state");
    else {
        running(&s, q, "net-link-down", NET_STATUS, 2, "config.net_link_down", NULL);
        running(&s, q, "net-link-up", NET_STATUS, 2, "config.net_link_up", NULL);
    }
    vp_isess_close(&s);
}

void vp_checks_config_change(vp_ctx *c, vp_dev *d, vp_irq *q)
{
    if (!c->opt.config_change && !c->plat->config_change)
        return;
    if (!strcmp(d->type, "blk"))
        blk(c, d, q);
    else if (!strcmp(d->type, "net"))
        net(c, d, q);
}
