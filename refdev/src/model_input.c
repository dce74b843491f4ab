/* Input device: a keyboard (keys, LEDs) or a tablet (buttons, absolute
 * axes). Config select/subsel answers, an event queue the host fills with
 * whole updates, a status queue that takes LED changes. */
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "refdev/held.h"
#include "refdev/models.h"
#include "vc/spec_devices.h"

#define IN_QUEUE_MAX 64
#define EVENT_SIZE 8u /* le16 type, le16 code, le32 value */

enum { C_SELECT = 0, C_SUBSEL = 1, C_SIZE_OFF = 2, C_UNION = 8, C_UNION_LEN = 128, C_SIZE = 136 };
enum { S_UNSET = 0, S_ID_NAME = 1, S_ID_SERIAL = 2, S_ID_DEVIDS = 3, S_PROP_BITS = 0x10,
       S_EV_BITS = 0x11, S_ABS_INFO = 0x12 };
enum { EV_SYN = 0, EV_KEY = 1, EV_ABS = 3, EV_LED = 0x11 };
enum { Q_EVENT = 0, Q_STATUS = 1 };

typedef struct input {
    vc_dev dev;
    int kind; /* VC_INPUT_KEYBOARD or VC_INPUT_TABLET */
    vc_held events;
    unsigned leds;
    uint64_t delivered, dropped;
} input;

static void set_bit(uint8_t *bm, unsigned bit) { bm[bit / 8] |= (uint8_t)(1u << (bit % 8)); }

/* Bitmap of supported codes for event type t; returns its size in bytes. */
static uint8_t ev_bits(const input *m, unsigned t, uint8_t *bm)
{
    if (m->kind == VC_INPUT_KEYBOARD && t == EV_KEY)
        for (unsigned k = 1; k < 128; k++) /* KEY_ESC .. the main block */
            set_bit(bm, k);
    else if (m->kind == VC_INPUT_KEYBOARD && t == EV_LED)
        for (unsigned k = 0; k < 3; k++) /* num, caps, scroll lock */
            set_bit(bm, k);
    else if (m->kind == VC_INPUT_TABLET && t == EV_KEY)
        for (unsigned k = 0x110; k <= 0x112; k++) /* left, right, middle button */
            set_bit(bm, k);
    else if (m->kind == VC_INPUT_TABLET && t == EV_ABS)
        for (unsigned k = 0; k < 2; k++) /* ABS_X, ABS_Y */
            set_bit(bm, k);
    uint8_t size = 0;
    for (unsigned i = 0; i < C_UNION_LEN; i++)
        if (bm[i])
            size = (uint8_t)(i + 1);
    return size;
}

/* Fills size and the union for the current select/subsel (dev.input_init.1:
 * anything unsupported reads size 0). */
static void answer(input *m)
{
    uint8_t *c = m->dev.config;
    uint8_t sel = c[C_SELECT], sub = c[C_SUBSEL], size = 0, *u = c + C_UNION;
    memset(c + C_SIZE_OFF, 0, C_SIZE - C_SIZE_OFF);
    const char *s = NULL;
    switch (sel) {
    case S_ID_NAME:
        s = m->kind == VC_INPUT_KEYBOARD ? "vconform keyboard" : "vconform tablet";
        break;
    case S_ID_SERIAL:
        s = "vconform-0001";
        break;
    case S_ID_DEVIDS:
        if (sub == 0) {
            vc_put16(u, 0x06); /* BUS_VIRTUAL */
            vc_put16(u + 2, 0x0627);
            vc_put16(u + 4, m->kind == VC_INPUT_KEYBOARD ? 1 : 3);
            vc_put16(u + 6, 1);
            size = 8;
        }
        break;
    case S_PROP_BITS:
        if (sub == 0 && m->kind == VC_INPUT_TABLET) {
            set_bit(u, 1); /* INPUT_PROP_DIRECT */
            size = 1;
        }
        break;
    case S_EV_BITS:
        size = ev_bits(m, sub, u);
        break;
    case S_ABS_INFO:
        if (m->kind == VC_INPUT_TABLET && sub < 2) {
            vc_put32(u, 0);
            vc_put32(u + 4, 32767);
            size = 20;
        }
        break;
    }
    if (s && sub == 0) {
        size = (uint8_t)strlen(s);
        memcpy(u, s, size);
    }
    c[C_SIZE_OFF] = size;
}

static void config_write(vc_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    /* only select and subsel are writable (drv.input_init.2) */
    if (off + len > C_SIZE_OFF) {
        vc_dev_fault(d, "INPUT_CONFIG_WRITE", REQ_DRV_INPUT_INIT_2, -1, false,
                     "write of %u bytes at %u", len, off);
        return;
    }
    memcpy(d->config + off, buf, len);
    answer(d->model);
}

static bool event_buf_ok(vc_dev *d, unsigned q, const vc_chain *c)
{
    if (c->out_bytes == 0 && c->in_bytes >= EVENT_SIZE)
        return true;
    vc_dev_fault(d, "INPUT_EVENT_BUFFER", REQ_DRV_INPUT_OP_2, (int)q, false,
                 "event buffer with %llu readable and %llu writable bytes",
                 (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
    return false;
}

static uint32_t serve_status(vc_dev *d, unsigned q, vc_chain *c)
{
    input *m = d->model;
    if (c->in_bytes > 0 || c->out_bytes < EVENT_SIZE || c->out_bytes % EVENT_SIZE) {
        vc_dev_fault(d, "INPUT_STATUS_BUFFER", REQ_DRV_INPUT_OP_3, (int)q, false,
                     "status buffer with %llu readable and %llu writable bytes",
                     (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
        return 0;
    }
    for (uint64_t off = 0; off < c->out_bytes; off += EVENT_SIZE) {
        uint8_t e[EVENT_SIZE];
        if (vc_chain_read(d->mem, c, off, e, EVENT_SIZE) != EVENT_SIZE)
            break;
        uint16_t type = vc_get16(e), code = vc_get16(e + 2);
        uint32_t value = vc_get32(e + 4);
        if (type == EV_LED && code < 3 && m->kind == VC_INPUT_KEYBOARD)
            m->leds = value ? m->leds | 1u << code : m->leds & ~(1u << code);
        /* other events (sound, repeat) have nothing to drive here */
    }
    return 0;
}

static void notify(vc_dev *d, unsigned q)
{
    input *m = d->model;
    if (q == Q_EVENT)
        vc_held_fill(&m->events, d, q, event_buf_ok);
    else
        vc_dev_serve(d, q, serve_status);
}

static void reset(vc_dev *d)
{
    input *m = d->model;
    vc_held_clear(&m->events);
    m->leds = 0;
    memset(d->config, 0, C_SIZE);
}

static void queue_reset(vc_dev *d, unsigned q)
{
    if (q == Q_EVENT)
        vc_held_clear(&((input *)d->model)->events);
}

static void destroy(vc_dev *d)
{
    vc_held_free(&((input *)d->model)->events);
}

static const vc_model_ops input_ops = {
    .name = "input",
    .device_id = VC_DEV_ID_INPUT,
    .config_write = config_write,
    .queue_notify = notify,
    .reset = reset,
    .queue_reset = queue_reset,
    .destroy = destroy,
};

vc_dev *vc_input_create(const vc_gmem *mem, const vc_model_opts *o)
{
    input *m = calloc(1, sizeof(*m));
    uint16_t qmax = o && o->queue_max ? o->queue_max : IN_QUEUE_MAX;
    if (!m || !vc_held_init(&m->events, qmax, qmax)) {
        if (m)
            vc_held_free(&m->events);
        free(m);
        return NULL;
    }
    uint16_t qm[2] = { qmax, qmax };
    m->kind = o ? o->input_kind : VC_INPUT_KEYBOARD;
    vc_dev_init(&m->dev, &input_ops, m, mem, VC_TRANSPORT_FEATURES & ~(o ? o->features_off : 0),
                C_SIZE, 2, qm);
    return &m->dev;
}

bool vc_input_send(vc_dev *d, const vc_input_event *ev, unsigned n)
{
    input *m = d->model;
    if (d->status & VC_STATUS_DRIVER_OK)
        vc_held_fill(&m->events, d, Q_EVENT, event_buf_ok);
    /* an update goes whole or not at all (dev.input_op.1, dev.input_op.3) */
    if (m->events.n < n || !(d->status & VC_STATUS_DRIVER_OK)) {
        m->dropped += n;
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        uint8_t e[EVENT_SIZE];
        vc_put16(e, ev[i].type);
        vc_put16(e + 2, ev[i].code);
        vc_put32(e + 4, ev[i].value);
        vc_chain *c = vc_held_at(&m->events, 0);
        uint32_t w = (uint32_t)vc_chain_write(d->mem, c, 0, e, EVENT_SIZE);
        vc_held_push(&m->events, d, Q_EVENT, w);
    }
    m->delivered += n;
    return true;
}

unsigned vc_input_leds(const vc_dev *d)
{
    return ((const input *)d->model)->leds;
}
