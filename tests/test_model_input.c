/* Input model: config select/subsel answers, whole updates on the event
 * queue, LED status, and malformed buffers and config writes. */
#include <string.h>

#include "devharness.h"
#include "refdev/models.h"
#include "vc_test.h"

#define F_V1 (1ull << VC_F_VERSION_1)
#define F_PACKED (1ull << VC_F_RING_PACKED)

typedef struct rig {
    vc_th t;
    vc_dev *d;
    uint64_t buf;
} rig;

static void rig_init(rig *r, uint64_t f, int kind)
{
    vc_th_mem(&r->t);
    vc_model_opts o = { .input_kind = kind };
    r->d = vc_input_create(&r->t.tm.mem, &o);
    VC_CHECK(vc_th_start(&r->t, r->d, f, 2, 16));
    r->buf = vc_testmem_alloc(&r->t.tm, 4096, 4096);
}

static void rig_free(rig *r)
{
    vc_model_free(r->d);
    vc_th_free(&r->t);
}

/* Selects and returns size; the union lands in u (128 bytes). */
static uint8_t query(vc_dev *d, uint8_t sel, uint8_t sub, uint8_t *u)
{
    vc_dev_config_write(d, 0, &sel, 1);
    vc_dev_config_write(d, 1, &sub, 1);
    uint8_t size = 0;
    vc_dev_config_read(d, 2, &size, 1);
    vc_dev_config_read(d, 8, u, 128);
    return size;
}

VC_TEST(keyboard_config)
{
    rig r;
    rig_init(&r, F_V1, VC_INPUT_KEYBOARD);
    uint8_t u[129] = { 0 };
    uint8_t n = query(r.d, 1, 0, u);
    VC_CHECK_EQ(n, strlen("vconform keyboard"));
    VC_CHECK_STR((char *)u, "vconform keyboard");
    VC_CHECK_EQ(query(r.d, 3, 0, u), 8); /* ID_DEVIDS */
    VC_CHECK_EQ(u[0], 6);               /* BUS_VIRTUAL */
    VC_CHECK_EQ(query(r.d, 0x11, 1, u), 16); /* EV_BITS/EV_KEY: keys 1..127 */
    VC_CHECK_EQ(u[0], 0xfe);
    VC_CHECK_EQ(query(r.d, 0x11, 0x11, u), 1); /* EV_LED */
    VC_CHECK_EQ(u[0], 0x07);
    VC_CONFORMS(REQ_DEV_INPUT_INIT_1); /* unsupported pairs read size 0 */
    VC_CHECK_EQ(query(r.d, 0x11, 3, u), 0); /* no EV_ABS on a keyboard */
    VC_CHECK_EQ(query(r.d, 0x12, 0, u), 0);
    VC_CHECK_EQ(query(r.d, 0x7f, 0, u), 0);
    VC_CHECK_EQ(query(r.d, 1, 5, u), 0);
    VC_CONFORMS(NULL);
    VC_CHECK_EQ(r.d->nfaults, 0);
    uint8_t junk = 1;
    vc_dev_config_write(r.d, 2, &junk, 1); /* size is not writable (drv.input_init.2) */
    VC_CHECK(vc_th_fault(&r.t, "INPUT_CONFIG_WRITE"));
    rig_free(&r);
}

VC_TEST(tablet_config)
{
    rig r;
    rig_init(&r, F_V1, VC_INPUT_TABLET);
    uint8_t u[129] = { 0 };
    VC_CHECK_EQ(query(r.d, 0x12, 1, u), 20); /* ABS_INFO ABS_Y */
    uint32_t max;
    memcpy(&max, u + 4, 4);
    VC_CHECK_EQ(max, 32767);
    VC_CHECK_EQ(query(r.d, 0x11, 3, u), 1); /* EV_ABS: X and Y */
    VC_CHECK_EQ(u[0], 3);
    VC_CHECK_EQ(query(r.d, 0x11, 1, u), 35); /* BTN_LEFT..BTN_MIDDLE at 0x110 */
    rig_free(&r);
}

static void events_case(uint64_t f)
{
    rig r;
    rig_init(&r, f, VC_INPUT_KEYBOARD);
    vc_input_event upd[2] = { { 1, 30, 1 }, { 0, 0, 0 } }; /* KEY_A down, SYN_REPORT */
    vc_seg sg = { r.buf, 8, true };
    VC_CHECK(vc_th_post(&r.t, 0, &sg, 0, 1, 0));
    VC_CONFORMS(REQ_DEV_INPUT_OP_2); /* one buffer: the update is dropped whole */
    VC_CHECK(!vc_input_send(r.d, upd, 2));
    uint32_t tok, len;
    VC_CHECK(!vc_th_used(&r.t, 0, &tok, &len));
    VC_CONFORMS(REQ_DEV_INPUT_OP_3); /* and later delivered whole */
    vc_seg sg2 = { r.buf + 8, 8, true };
    VC_CHECK(vc_th_post(&r.t, 0, &sg2, 0, 1, 1));
    VC_CHECK(vc_input_send(r.d, upd, 2));
    for (uint32_t i = 0; i < 2; i++) {
        VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
        VC_CHECK_EQ(tok, i);
        VC_CHECK_EQ(len, 8);
    }
    uint8_t e[8];
    vc_gmem_read(&r.t.tm.mem, r.buf, e, 8);
    VC_CHECK_EQ(e[0], 1);
    VC_CHECK_EQ(e[2], 30);
    VC_CHECK_EQ(e[4], 1);
    VC_CONFORMS(NULL);
    /* caps lock on through the status queue */
    uint8_t led[8] = { 0x11, 0, 1, 0, 1, 0, 0, 0 };
    vc_gmem_write(&r.t.tm.mem, r.buf + 64, led, 8);
    vc_seg st = { r.buf + 64, 8, false };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 1, &st, 1, 0, false), 0);
    VC_CHECK_EQ(vc_input_leds(r.d), 2);
    VC_CHECK_EQ(r.d->nfaults, 0);
    /* malformed: a short event buffer, a writable status buffer */
    vc_seg small = { r.buf + 128, 4, true };
    VC_CHECK(vc_th_post(&r.t, 0, &small, 0, 1, 9));
    VC_CHECK(vc_th_fault(&r.t, "INPUT_EVENT_BUFFER"));
    VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
    VC_CHECK_EQ(len, 0);
    vc_seg wst = { r.buf + 128, 8, true };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 1, &wst, 0, 1, false), 0);
    VC_CHECK(vc_th_fault(&r.t, "INPUT_STATUS_BUFFER"));
    rig_free(&r);
}

VC_TEST(events_split) { events_case(F_V1); }
VC_TEST(events_packed) { events_case(F_V1 | F_PACKED); }

VC_TEST(reset_drops_held_buffers)
{
    rig r;
    rig_init(&r, F_V1, VC_INPUT_KEYBOARD);
    vc_seg sg = { r.buf, 8, true };
    vc_th_post(&r.t, 0, &sg, 0, 1, 0);
    vc_dev_reset(r.d);
    vc_input_event ev = { 1, 2, 1 };
    VC_CHECK(!vc_input_send(r.d, &ev, 1)); /* nothing held across a reset */
    rig_free(&r);
}

int main(void) { return vc_test_main(); }
