/* Console model through the driver side: port 0 transmit capture and
 * loopback, emergency write, the multiport control handshake, and each
 * malformed request class. */
#include <string.h>

#include "devharness.h"
#include "refdev/models.h"
#include "vc_test.h"

#define F_V1 (1ull << VC_F_VERSION_1)
#define F_PACKED (1ull << VC_F_RING_PACKED)
#define F_MULTIPORT (1ull << 1)
#define F_EMERG (1ull << 2)

typedef struct rig {
    vc_th t;
    vc_dev *d;
    uint64_t buf;
} rig;

static void rig_init(rig *r, uint64_t features, bool loopback)
{
    vc_th_mem(&r->t);
    vc_model_opts o = { .loopback = loopback };
    r->d = vc_console_create(&r->t.tm.mem, &o);
    VC_CHECK(vc_th_start(&r->t, r->d, features, features & F_MULTIPORT ? 6 : 2, 16));
    r->buf = vc_testmem_alloc(&r->t.tm, 1 << 16, 4096);
}

static void rig_free(rig *r)
{
    vc_model_free(r->d);
    vc_th_free(&r->t);
}

static long send_bytes(rig *r, unsigned q, const char *s)
{
    uint64_t a = r->buf + 0x8000;
    vc_gmem_write(&r->t.tm.mem, a, s, strlen(s));
    vc_seg sg = { a, (uint32_t)strlen(s), false };
    return vc_th_roundtrip(&r->t, q, &sg, 1, 0, false);
}

static void port0_case(uint64_t f)
{
    rig r;
    rig_init(&r, f, true);
    vc_seg rx = { r.buf, 64, true };
    VC_CHECK(vc_th_post(&r.t, 0, &rx, 0, 1, 7));
    VC_CHECK_EQ(send_bytes(&r, 1, "hello"), 0);
    char out[16] = { 0 };
    VC_CHECK_EQ(vc_console_output(r.d, 0, out, sizeof(out)), 5);
    VC_CHECK_STR(out, "hello");
    uint32_t tok = 0, len = 0;
    VC_CHECK(vc_th_used(&r.t, 0, &tok, &len)); /* echoed into the receive buffer */
    VC_CHECK_EQ(tok, 7);
    VC_CHECK_EQ(len, 5);
    char in[6] = { 0 };
    vc_gmem_read(&r.t.tm.mem, r.buf, in, 5);
    VC_CHECK_STR(in, "hello");
    /* host input waits for a buffer, then arrives */
    VC_CHECK(vc_console_input(r.d, 0, "xyz", 3));
    VC_CHECK(!vc_th_used(&r.t, 0, &tok, &len));
    VC_CHECK(vc_th_post(&r.t, 0, &rx, 0, 1, 8));
    VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
    VC_CHECK_EQ(len, 3);
    VC_CHECK_EQ(vc_console_port_state(r.d, 0) & VC_CONSOLE_PORT_CONSOLE, VC_CONSOLE_PORT_CONSOLE);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(port0_split) { port0_case(F_V1); }
VC_TEST(port0_packed) { port0_case(F_V1 | F_PACKED); }

VC_TEST(emergency_write_before_setup)
{
    vc_th t;
    vc_th_mem(&t);
    vc_dev *d = vc_console_create(&t.tm.mem, NULL);
    vc_dev_set_status(d, VC_STATUS_ACKNOWLEDGE);
    uint32_t v = 'Z' | 0x7700u;
    VC_CONFORMS(REQ_DEV_CONSOLE_INIT_1);
    VC_CHECK(vc_dev_config_write(d, 8, &v, 4));
    char out[4] = { 0 };
    VC_CONFORMS(REQ_DEV_CONSOLE_INIT_2);
    VC_CHECK_EQ(vc_console_output(d, 0, out, sizeof(out)), 1);
    VC_CHECK_EQ(out[0], 'Z'); /* the low byte only */
    VC_CONFORMS(NULL);
    VC_CHECK_EQ(d->nfaults, 0);
    uint16_t cols = 1;
    vc_dev_config_write(d, 0, &cols, 2);
    t.dev = d;
    VC_CHECK(vc_th_fault(&t, "DRV_CONFIG_READONLY"));
    vc_model_free(d);
    vc_th_free(&t);
}

/* Reads one control message from the control receive queue. */
static bool ctrl_recv(rig *r, uint32_t *id, uint16_t *event, uint16_t *value, char *name)
{
    uint32_t tok, len;
    if (!vc_th_used(&r->t, 2, &tok, &len) || len < 8)
        return false;
    uint8_t b[64] = { 0 };
    uint64_t at = r->buf + 0x1000 + tok * 64;
    vc_gmem_read(&r->t.tm.mem, at, b, len < 64 ? len : 64);
    memcpy(id, b, 4);
    memcpy(event, b + 4, 2);
    memcpy(value, b + 6, 2);
    if (name)
        memcpy(name, b + 8, len - 8 < 40 ? len - 8 : 40);
    /* put the buffer back */
    vc_seg sg = { at, 64, true };
    vc_th_post(&r->t, 2, &sg, 0, 1, tok);
    return true;
}

static void ctrl_send(rig *r, uint32_t id, uint16_t event, uint16_t value)
{
    uint8_t m[8];
    memcpy(m, &id, 4);
    memcpy(m + 4, &event, 2);
    memcpy(m + 6, &value, 2);
    uint64_t a = r->buf + 0x9000;
    vc_gmem_write(&r->t.tm.mem, a, m, 8);
    vc_seg sg = { a, 8, false };
    VC_CHECK_EQ(vc_th_roundtrip(&r->t, 3, &sg, 1, 0, false), 0);
}

static void multiport_case(uint64_t f)
{
    rig r;
    rig_init(&r, f | F_MULTIPORT, false);
    for (uint32_t i = 0; i < 8; i++) {
        vc_seg sg = { r.buf + 0x1000 + i * 64, 64, true };
        vc_th_post(&r.t, 2, &sg, 0, 1, i);
    }
    uint32_t id;
    uint16_t ev, val;
    char name[41] = { 0 };
    ctrl_send(&r, 0, 0, 1); /* DEVICE_READY */
    VC_CONFORMS(REQ_DEV_CONSOLE_MULTIPORT_1);
    for (uint32_t p = 0; p < 2; p++) {
        VC_CHECK(ctrl_recv(&r, &id, &ev, &val, NULL));
        VC_CHECK_EQ(ev, 1); /* PORT_ADD, ports below max_nr_ports */
        VC_CHECK_EQ(id, p);
    }
    VC_CHECK(!ctrl_recv(&r, &id, &ev, &val, NULL));
    VC_CONFORMS(NULL);
    ctrl_send(&r, 0, 3, 1); /* PORT_READY port 0 */
    VC_CHECK(ctrl_recv(&r, &id, &ev, &val, NULL));
    VC_CHECK_EQ(ev, 4); /* CONSOLE_PORT */
    VC_CHECK(ctrl_recv(&r, &id, &ev, &val, NULL));
    VC_CHECK_EQ(ev, 6); /* PORT_OPEN from the host */
    VC_CHECK_EQ(val, 1);
    ctrl_send(&r, 1, 3, 1);
    VC_CHECK(ctrl_recv(&r, &id, &ev, &val, name));
    VC_CHECK_EQ(ev, 7); /* PORT_NAME */
    VC_CHECK_EQ(id, 1);
    VC_CHECK_STR(name, "vconform.port1");
    VC_CHECK(ctrl_recv(&r, &id, &ev, &val, NULL));
    VC_CHECK_EQ(ev, 6);
    ctrl_send(&r, 1, 6, 1); /* the guest opens port 1 */
    VC_CHECK(vc_console_port_state(r.d, 1) & VC_CONSOLE_PORT_OPEN);
    VC_CHECK_EQ(send_bytes(&r, 5, "on port 1"), 0);
    char out[16] = { 0 };
    VC_CHECK_EQ(vc_console_output(r.d, 1, out, sizeof(out)), 9);
    VC_CHECK_STR(out, "on port 1");
    VC_CHECK_EQ(r.d->nfaults, 0);
    /* malformed control messages */
    ctrl_send(&r, 5, 3, 1);
    VC_CHECK(vc_th_fault(&r.t, "CONSOLE_CTRL_PORT"));
    ctrl_send(&r, 0, 99, 0);
    VC_CHECK(vc_th_fault(&r.t, "CONSOLE_CTRL_EVENT"));
    vc_seg shortmsg = { r.buf + 0x9000, 4, false };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 3, &shortmsg, 1, 0, false), 0);
    VC_CHECK(vc_th_fault(&r.t, "CONSOLE_CTRL_LAYOUT"));
    rig_free(&r);
}

VC_TEST(multiport_split) { multiport_case(F_V1); }
VC_TEST(multiport_packed) { multiport_case(F_V1 | F_PACKED); }

/* Brings multiport up: control buffers posted, DEVICE_READY, both PORT_ADDs read. */
static void multiport_up(rig *r)
{
    for (uint32_t i = 0; i < 8; i++) {
        vc_seg sg = { r->buf + 0x1000 + i * 64, 64, true };
        vc_th_post(&r->t, 2, &sg, 0, 1, i);
    }
    uint32_t id;
    uint16_t ev, val;
    ctrl_send(r, 0, 0, 1);
    for (uint32_t p = 0; p < 2; p++)
        VC_CHECK(ctrl_recv(r, &id, &ev, &val, NULL));
}

VC_TEST(resize)
{
    rig r;
    rig_init(&r, F_V1 | F_MULTIPORT | 1ull /* SIZE */, false);
    multiport_up(&r);
    uint32_t gen0 = r.d->config_generation;
    VC_CHECK(vc_console_resize(r.d, 0, 132, 43));
    uint16_t cols = 0, rows = 0;
    vc_dev_config_read(r.d, 0, &cols, 2);
    vc_dev_config_read(r.d, 2, &rows, 2);
    VC_CHECK_EQ(cols, 132);
    VC_CHECK_EQ(rows, 43);
    VC_CHECK(r.d->config_generation != gen0);
    uint32_t id;
    uint16_t ev, val;
    char tail[41] = { 0 };
    VC_CHECK(ctrl_recv(&r, &id, &ev, &val, tail));
    VC_CHECK_EQ(ev, 5); /* RESIZE for port 0, then cols and rows */
    VC_CHECK_EQ(id, 0);
    VC_CHECK_EQ((uint8_t)tail[0] | (uint8_t)tail[1] << 8, 132);
    VC_CHECK_EQ((uint8_t)tail[2] | (uint8_t)tail[3] << 8, 43);
    /* port 1: a message only, the config keeps port 0's size */
    VC_CHECK(vc_console_resize(r.d, 1, 40, 10));
    vc_dev_config_read(r.d, 0, &cols, 2);
    VC_CHECK_EQ(cols, 132);
    VC_CHECK(ctrl_recv(&r, &id, &ev, &val, tail));
    VC_CHECK_EQ(id, 1);
    VC_CHECK_EQ(ev, 5);
    VC_CHECK(!vc_console_resize(r.d, 7, 1, 1)); /* no such port */
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
    /* without SIZE and MULTIPORT there is nobody to tell */
    rig_init(&r, F_V1, false);
    VC_CHECK(!vc_console_resize(r.d, 0, 100, 30));
    rig_free(&r);
}

VC_TEST(port_unplug_and_plug)
{
    rig r;
    rig_init(&r, F_V1 | F_MULTIPORT, false);
    VC_CHECK(!vc_console_plug(r.d, 1)); /* not before DEVICE_READY */
    multiport_up(&r);
    uint32_t id;
    uint16_t ev, val;
    VC_CONFORMS(REQ_DEV_CONSOLE_MULTIPORT_2);
    VC_CHECK(vc_console_unplug(r.d, 1));
    VC_CHECK(ctrl_recv(&r, &id, &ev, &val, NULL));
    VC_CHECK_EQ(ev, 2); /* PORT_REMOVE */
    VC_CHECK_EQ(id, 1);
    VC_CHECK(!vc_console_unplug(r.d, 1)); /* removed already: nothing sent */
    VC_CHECK(!ctrl_recv(&r, &id, &ev, &val, NULL));
    VC_CONFORMS(REQ_DEV_CONSOLE_MULTIPORT_1);
    VC_CHECK(!vc_console_plug(r.d, 0)); /* still there */
    VC_CHECK(!vc_console_plug(r.d, 2)); /* max_nr_ports is 2 */
    VC_CHECK(vc_console_plug(r.d, 1));
    VC_CHECK(ctrl_recv(&r, &id, &ev, &val, NULL));
    VC_CHECK_EQ(ev, 1);
    VC_CHECK_EQ(id, 1);
    VC_CONFORMS(NULL);
    ctrl_send(&r, 1, 3, 1); /* PORT_READY on the new port: answered */
    VC_CHECK(ctrl_recv(&r, &id, &ev, &val, NULL));
    VC_CHECK_EQ(ev, 7);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(malformed_buffers)
{
    rig r;
    rig_init(&r, F_V1, false);
    vc_seg both[2] = { { r.buf, 4, false }, { r.buf + 8, 4, true } };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 1, both, 1, 1, false), 0);
    VC_CHECK(vc_th_fault(&r.t, "CONSOLE_TX_WRITABLE")); /* drv.console_op.2 */
    VC_CHECK(vc_th_post(&r.t, 0, both, 1, 1, 1));
    VC_CHECK(vc_console_input(r.d, 0, "a", 1));
    VC_CHECK(vc_th_fault(&r.t, "CONSOLE_RX_NOT_WRITABLE")); /* drv.console_op.1 */
    uint32_t tok, len;
    VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
    VC_CHECK_EQ(len, 0);
    /* control queues without MULTIPORT */
    vc_th_queue(&r.t, 3, 16);
    vc_dev_notify(r.d, 3);
    VC_CHECK(vc_th_fault(&r.t, "CONSOLE_NO_MULTIPORT"));
    VC_CHECK(!(vc_dev_status(r.d) & VC_STATUS_NEEDS_RESET)); /* all survivable */
    rig_free(&r);
}

int main(void) { return vc_test_main(); }
