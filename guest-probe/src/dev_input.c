/* Input device: the config select/subsel answers (name, IDs, event types,
 * an unsupported pair reading size 0), event buffers posted, and LED
 * status writes (caps lock on, then off) taken by the status queue. */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "dev_input.h"
#include "vc/req_ids.h"

enum { Q_EVENT = 0, Q_STATUS = 1 };
enum { C_SELECT = 0, C_SUBSEL = 1, C_SIZE = 2, C_U = 8 };
enum { ID_NAME = 1, ID_DEVIDS = 3, EV_BITS = 0x11 };
enum { EV_KEY = 1, EV_REL = 2, EV_ABS = 3, EV_LED = 0x11 };
#define INPUT_NEV 8u

unsigned vp_input_query(vp_drv *v, uint8_t sel, uint8_t sub, uint8_t *u)
{
    vp_tp_cfg_write(v->t, C_SELECT, 1, sel);
    vp_tp_cfg_write(v->t, C_SUBSEL, 1, sub);
    unsigned size = (unsigned)vp_tp_cfg(v->t, C_SIZE, 1);
    for (unsigned i = 0; i < size && i < 128; i++)
        u[i] = (uint8_t)vp_tp_cfg(v->t, C_U + i, 1);
    return size;
}

static bool status_write(vp_drv *v, uint64_t buf, uint16_t type, uint16_t code, uint32_t value)
{
    char err[128];
    uint8_t *e = vp_drv_host(v, buf, 8);
    e[0] = (uint8_t)type;
    e[1] = (uint8_t)(type >> 8);
    e[2] = (uint8_t)code;
    e[3] = (uint8_t)(code >> 8);
    for (unsigned i = 0; i < 4; i++)
        e[4 + i] = (uint8_t)(value >> (8 * i));
    vc_seg sg = {buf, 8, false};
    uint32_t used;
    vp_rt rt = vp_drv_roundtrip(v, Q_STATUS, &sg, 1, 0, false, &used, err, sizeof err);
    return vp_report_rt(v, value ? "input.status.led_on" : "input.status.led_off", REQ_DRV_INPUT_OP_3, rt, err);
}

void vp_devtest_input(vp_drv *v, vp_seen *seen)
{
    vp_report *r = v->c->rep;
    char err[128], ob[160];
    uint8_t u[129] = {0};
    if (!vp_drv_queues(v, Q_EVENT, Q_STATUS, "input.queue"))
        return;
    seen->ran = true;
    unsigned n = vp_input_query(v, ID_NAME, 0, u);
    u[n < 128 ? n : 128] = 0;
    unsigned text = 0; /* printable bytes before any terminating NULs */
    while (text < n && text < 128 && u[text] >= 0x20 && u[text] < 0x7f)
        text++;
    bool printable = text > 0;
    for (unsigned i = text; i < n && i < 128; i++)
        printable = printable && u[i] == 0;
    snprintf(ob, sizeof ob, "size %u '%s'", n, printable ? (char *)u : "(not text)");
    vp_expect(r, "input.config.name", "", printable, "a name", ob, NULL);
    seen->digest = vp_fnv1a(u, n < 128 ? n : 128, 2166136261u);
    n = vp_input_query(v, ID_DEVIDS, 0, u);
    snprintf(ob, sizeof ob, "size %u, bus 0x%04x", n, n >= 2 ? u[0] | u[1] << 8 : 0);
    vp_check(r, "input.config.devids", "", n == 0 || n == 8 ? VP_INFO : VP_FAIL, "size 0 or 8", ob, NULL);
    unsigned types = 0;
    static const uint8_t evs[3] = {EV_KEY, EV_REL, EV_ABS};
    for (unsigned i = 0; i < 3; i++)
        types |= (vp_input_query(v, EV_BITS, evs[i], u) > 0) << i;
    snprintf(ob, sizeof ob, "%s%s%s", types & 1 ? "EV_KEY " : "", types & 2 ? "EV_REL " : "",
             types & 4 ? "EV_ABS" : "");
    vp_expect(r, "input.config.ev_bits", "", types != 0, "key, relative or absolute events", ob, NULL);
    seen->value = types;
    n = vp_input_query(v, 0x7f, 0, u); /* no such select value */
    snprintf(ob, sizeof ob, "size %u", n);
    vp_expect(r, "input.config.unsupported", REQ_DEV_INPUT_INIT_1, n == 0, "size 0", ob, "select 0x7f");
    n = vp_input_query(v, EV_BITS, 0x1f, u); /* an event type no device has */
    snprintf(ob, sizeof ob, "size %u", n);
    vp_expect(r, "input.config.unsupported_subsel", REQ_DEV_INPUT_INIT_1, n == 0, "size 0", ob,
              "EV_BITS subsel 0x1f");
    if (types & 4)
        vp_input_abs_ranges(v);
    vp_drv_driver_ok(v);
    if (types & 4)
        vp_input_batches(v);
    uint64_t ev = vp_drv_alloc(v, 8 * INPUT_NEV, 8), st = vp_drv_alloc(v, 8, 8);
    if (!ev || !st) {
        vp_check(r, "input.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    for (unsigned i = 0; i < INPUT_NEV; i++) {
        vc_seg sg = {ev + 8 * i, 8, true};
        uint32_t t;
        if (!vp_report_rt(v, "input.event.post", REQ_DRV_INPUT_OP_1,
                          vp_drv_post(v, Q_EVENT, &sg, 0, 1, false, &t, err, sizeof err), err))
            return;
    }
    if (!status_write(v, st, EV_LED, 1, 1) || !status_write(v, st, EV_LED, 1, 0))
        return;
    vp_check(r, "input.status", "", VP_PASS, "LED writes used", "both used", NULL);
    seen->ok = true;
}
