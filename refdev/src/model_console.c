/* Console: port 0 receive/transmit, and with MULTIPORT the control queues
 * and a second port. What the driver transmits is captured per port (the
 * host side reads it) and, with the loopback option, echoed back as input.
 * The host can resize a console (cols/rows with SIZE, a RESIZE message with
 * MULTIPORT) and unplug and plug a port again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "refdev/models.h"
#include "vc/spec_devices.h"
#include "vc/spec_features.h"

#define CON_PORTS 2u /* max_nr_ports */
#define CON_NQUEUES (4u + 2u * (CON_PORTS - 1u))
#define CON_QUEUE_MAX 64
#define CON_BUF 4096u
#define CON_OUTBOX 16u
#define CON_NAME_MAX 32u

/* feature bits, from specs/features.tsv */
enum {
    F_SIZE = VIRTIO_CONSOLE_F_SIZE_BIT,
    F_MULTIPORT = VIRTIO_CONSOLE_F_MULTIPORT_BIT,
    F_EMERG_WRITE = VIRTIO_CONSOLE_F_EMERG_WRITE_BIT,
};
enum { C_COLS = 0, C_ROWS = 2, C_MAX_PORTS = 4, C_EMERG_WR = 8, C_SIZE = 12 };
enum { Q_CTRL_RX = 2, Q_CTRL_TX = 3 };
enum {
    E_DEVICE_READY = 0, E_PORT_ADD = 1, E_PORT_REMOVE = 2, E_PORT_READY = 3, E_CONSOLE_PORT = 4,
    E_RESIZE = 5, E_PORT_OPEN = 6, E_PORT_NAME = 7,
};
#define CTRL_HDR 8u /* le32 id, le16 event, le16 value */

typedef struct con_buf {
    uint8_t b[CON_BUF];
    uint32_t n;
} con_buf;

typedef struct con_port {
    unsigned state; /* VC_CONSOLE_PORT_* */
    con_buf out;    /* transmitted by the driver, read by the host */
    con_buf in;     /* waiting for the driver's receive buffers */
    uint64_t out_lost, in_lost;
} con_port;

typedef struct con_msg {
    uint8_t b[CTRL_HDR + CON_NAME_MAX];
    uint32_t len;
} con_msg;

typedef struct console {
    vc_dev dev;
    bool loopback;
    bool detached;  /* the host has no port: nothing to announce */
    bool announced; /* ports added after DEVICE_READY */
    con_port port[CON_PORTS];
    con_msg outbox[CON_OUTBOX];
    unsigned nout;
} console;

static unsigned rx_queue(unsigned port) { return port == 0 ? 0 : 2 + 2 * port; }

static bool multiport(vc_dev *d) { return vc_dev_has(d, F_MULTIPORT); }

static void buf_add(con_buf *b, const uint8_t *p, uint32_t len, uint64_t *lost)
{
    uint32_t room = CON_BUF - b->n, take = len < room ? len : room;
    memcpy(b->b + b->n, p, take);
    b->n += take;
    *lost += len - take;
}

static void buf_drop(con_buf *b, uint32_t len)
{
    memmove(b->b, b->b + len, b->n - len);
    b->n -= len;
}

static void send_ctrl(console *m, uint32_t id, uint16_t event, uint16_t value, const char *name)
{
    if (m->nout == CON_OUTBOX)
        return; /* bounded: the driver is not reading its control queue */
    con_msg *msg = &m->outbox[m->nout++];
    vc_put32(msg->b, id);
    vc_put16(msg->b + 4, event);
    vc_put16(msg->b + 6, value);
    msg->len = CTRL_HDR;
    if (name) {
        size_t n = strlen(name);
        memcpy(msg->b + CTRL_HDR, name, n > CON_NAME_MAX ? CON_NAME_MAX : n);
        msg->len += (uint32_t)(n > CON_NAME_MAX ? CON_NAME_MAX : n);
    }
}

/* Receive buffers are device-writable only (drv.console_op.1). */
static bool rx_ok(vc_dev *d, unsigned q, const vc_chain *c)
{
    if (c->out_bytes == 0 && c->in_bytes > 0)
        return true;
    vc_dev_fault(d, "CONSOLE_RX_NOT_WRITABLE", REQ_DRV_CONSOLE_OP_1, (int)q, false,
                 "receive buffer with %llu readable and %llu writable bytes",
                 (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
    return false;
}

/* Moves pending control messages and port input into receive buffers. */
static void deliver(console *m)
{
    vc_dev *d = &m->dev;
    if (!(d->status & VC_STATUS_DRIVER_OK))
        return;
    while (multiport(d) && m->nout > 0) {
        vc_chain c = { 0 };
        if (!vc_dev_pop(d, Q_CTRL_RX, &c))
            break;
        if (!rx_ok(d, Q_CTRL_RX, &c)) {
            vc_dev_push(d, Q_CTRL_RX, &c, 0);
            continue;
        }
        con_msg *msg = &m->outbox[0];
        uint32_t w = (uint32_t)vc_chain_write(d->mem, &c, 0, msg->b, msg->len);
        vc_dev_push(d, Q_CTRL_RX, &c, w);
        memmove(m->outbox, m->outbox + 1, --m->nout * sizeof(*msg));
    }
    for (unsigned p = 0; p < CON_PORTS; p++) {
        con_port *port = &m->port[p];
        if (p > 0 && !multiport(d))
            break;
        while (port->in.n > 0) {
            vc_chain c = { 0 };
            if (!vc_dev_pop(d, rx_queue(p), &c))
                break;
            if (!rx_ok(d, rx_queue(p), &c)) {
                vc_dev_push(d, rx_queue(p), &c, 0);
                continue;
            }
            uint32_t w = (uint32_t)vc_chain_write(d->mem, &c, 0, port->in.b, port->in.n);
            vc_dev_push(d, rx_queue(p), &c, w);
            buf_drop(&port->in, w);
        }
    }
}

static uint32_t serve_tx(vc_dev *d, unsigned q, vc_chain *c)
{
    console *m = d->model;
    unsigned p = q == 1 ? 0 : (q - 3) / 2;
    if (c->in_bytes > 0)
        vc_dev_fault(d, "CONSOLE_TX_WRITABLE", REQ_DRV_CONSOLE_OP_2, (int)q, false,
                     "transmit buffer with %llu writable bytes", (unsigned long long)c->in_bytes);
    uint8_t chunk[512];
    for (uint64_t off = 0; off < c->out_bytes;) {
        uint64_t n = vc_chain_read(d->mem, c, off, chunk, sizeof(chunk));
        if (n == 0)
            break;
        buf_add(&m->port[p].out, chunk, (uint32_t)n, &m->port[p].out_lost);
        if (m->loopback)
            buf_add(&m->port[p].in, chunk, (uint32_t)n, &m->port[p].in_lost);
        off += n;
    }
    return 0;
}

static void port_ready(console *m, uint32_t id)
{
    m->port[id].state |= VC_CONSOLE_PORT_READY;
    if (id == 0) {
        m->port[0].state |= VC_CONSOLE_PORT_CONSOLE;
        send_ctrl(m, 0, E_CONSOLE_PORT, 1, NULL);
    } else {
        char name[CON_NAME_MAX];
        snprintf(name, sizeof(name), "vconform.port%u", (unsigned)id);
        send_ctrl(m, id, E_PORT_NAME, 1, name);
    }
    send_ctrl(m, id, E_PORT_OPEN, 1, NULL); /* the host end is connected */
}

static uint32_t serve_ctrl(vc_dev *d, unsigned q, vc_chain *c)
{
    console *m = d->model;
    uint8_t h[CTRL_HDR];
    if (c->in_bytes > 0 || c->out_bytes < CTRL_HDR || vc_chain_read(d->mem, c, 0, h, 8) != 8) {
        vc_dev_fault(d, "CONSOLE_CTRL_LAYOUT", REQ_DRV_IMPLIED_CONSOLE_CTRL_LAYOUT, (int)q, false,
                     "control message: %llu readable, %llu writable bytes",
                     (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
        return 0;
    }
    uint32_t id = vc_get32(h);
    uint16_t event = vc_get16(h + 4), value = vc_get16(h + 6);
    if (event == E_DEVICE_READY) {
        if (value == 1 && !m->announced) {
            m->announced = true;
            uint32_t ports = m->detached ? 0 : CON_PORTS; /* a detached host has none */
            for (uint32_t p = 0; p < ports; p++) { /* only new ports below max (dev.console_multiport.1) */
                m->port[p].state |= VC_CONSOLE_PORT_ADDED;
                send_ctrl(m, p, E_PORT_ADD, 0, NULL);
            }
        }
        return 0;
    }
    if (event != E_PORT_READY && event != E_PORT_OPEN) {
        vc_dev_fault(d, "CONSOLE_CTRL_EVENT", REQ_DRV_IMPLIED_CONSOLE_CTRL_LAYOUT, (int)q, false,
                     "event %u is not one a driver sends", event);
        return 0;
    }
    if (id >= CON_PORTS || !(m->port[id].state & VC_CONSOLE_PORT_ADDED)) {
        vc_dev_fault(d, "CONSOLE_CTRL_PORT", REQ_DRV_IMPLIED_CONSOLE_CTRL_LAYOUT, (int)q, false,
                     "event %u for port %u that was not added", event, (unsigned)id);
        return 0;
    }
    if (event == E_PORT_READY && value == 1)
        port_ready(m, id);
    else if (event == E_PORT_OPEN)
        m->port[id].state = value ? m->port[id].state | VC_CONSOLE_PORT_OPEN
                                  : m->port[id].state & ~VC_CONSOLE_PORT_OPEN;
    return 0;
}

static void notify(vc_dev *d, unsigned q)
{
    console *m = d->model;
    if (q >= 2 && !multiport(d)) {
        vc_dev_fault(d, "CONSOLE_NO_MULTIPORT", REQ_DRV_IMPLIED_CONSOLE_CTRL_LAYOUT, (int)q, false,
                     "queue %u used without MULTIPORT", q);
        return;
    }
    if (q == Q_CTRL_TX)
        vc_dev_serve(d, q, serve_ctrl);
    else if (q % 2 == 1)
        vc_dev_serve(d, q, serve_tx);
    deliver(m); /* new receive buffers, or new messages and echoed input */
}

static void emerg_write(console *m, const uint8_t *buf, uint32_t len)
{
    /* only the low byte counts (dev.console_init.2) */
    buf_add(&m->port[0].out, buf, 1, &m->port[0].out_lost);
}

static bool config_write_early(vc_dev *d, uint32_t off, uint32_t len)
{
    return off == C_EMERG_WR && len == 4 && (d->offered & (1ull << F_EMERG_WRITE));
}

static void config_write(vc_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    if (config_write_early(d, off, len)) { /* even before negotiation (dev.console_init.1) */
        emerg_write(d->model, buf, len);
        return;
    }
    vc_dev_fault(d, "DRV_CONFIG_READONLY", REQ_DRV_CFGSPACE_2, -1, false,
                 "write of %u bytes at %u", len, off);
}

static void driver_ok(vc_dev *d)
{
    console *m = d->model;
    if (!multiport(d))
        m->port[0].state = VC_CONSOLE_PORT_ADDED | VC_CONSOLE_PORT_READY | VC_CONSOLE_PORT_OPEN |
                           VC_CONSOLE_PORT_CONSOLE;
}

static void reset(vc_dev *d)
{
    console *m = d->model;
    m->announced = false;
    m->nout = 0;
    for (unsigned p = 0; p < CON_PORTS; p++)
        m->port[p].state = 0; /* captured output survives for the host to read */
}

static const vc_model_ops console_ops = {
    .name = "console",
    .device_id = VC_DEV_ID_CONSOLE,
    .config_write = config_write,
    .config_write_early = config_write_early,
    .driver_ok = driver_ok,
    .queue_notify = notify,
    .reset = reset,
};

vc_dev *vc_console_create(const vc_gmem *mem, const vc_model_opts *o)
{
    console *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    uint16_t qmax[CON_NQUEUES];
    for (unsigned i = 0; i < CON_NQUEUES; i++)
        qmax[i] = o && o->queue_max ? o->queue_max : CON_QUEUE_MAX;
    uint64_t f = VC_TRANSPORT_FEATURES | 1ull << F_SIZE | 1ull << F_MULTIPORT | 1ull << F_EMERG_WRITE;
    vc_dev_init(&m->dev, &console_ops, m, mem, f & ~(o ? o->features_off : 0), C_SIZE,
                CON_NQUEUES, qmax);
    m->loopback = o && o->loopback;
    m->detached = o && o->detached;
    uint8_t *c = m->dev.config;
    vc_put16(c + C_COLS, 80);
    vc_put16(c + C_ROWS, 25);
    vc_put32(c + C_MAX_PORTS, CON_PORTS);
    return &m->dev;
}

size_t vc_console_output(vc_dev *d, unsigned port, void *buf, size_t cap)
{
    console *m = d->model;
    if (port >= CON_PORTS)
        return 0;
    con_buf *b = &m->port[port].out;
    uint32_t n = b->n < cap ? b->n : (uint32_t)cap;
    memcpy(buf, b->b, n);
    buf_drop(b, n);
    return n;
}

bool vc_console_input(vc_dev *d, unsigned port, const void *buf, size_t len)
{
    console *m = d->model;
    if (port >= CON_PORTS || len > CON_BUF - m->port[port].in.n)
        return false;
    buf_add(&m->port[port].in, buf, (uint32_t)len, &m->port[port].in_lost);
    deliver(m);
    return true;
}

bool vc_console_resize(vc_dev *d, unsigned port, uint16_t cols, uint16_t rows)
{
    console *m = d->model;
    bool told = false;
    if (port == 0 && vc_dev_has(d, F_SIZE)) { /* the size in config applies to port 0 only */
        vc_put16(d->config + C_COLS, cols);
        vc_put16(d->config + C_ROWS, rows);
        vc_dev_config_changed(d);
        told = true;
    }
    if (multiport(d) && port < CON_PORTS && (m->port[port].state & VC_CONSOLE_PORT_ADDED)) {
        unsigned before = m->nout;
        send_ctrl(m, port, E_RESIZE, 0, NULL);
        if (m->nout > before) { /* struct virtio_console_resize after the header */
            con_msg *msg = &m->outbox[m->nout - 1];
            vc_put16(msg->b + CTRL_HDR, cols);
            vc_put16(msg->b + CTRL_HDR + 2, rows);
            msg->len += 4;
            told = true;
        }
        deliver(m);
    }
    return told;
}

bool vc_console_unplug(vc_dev *d, unsigned port)
{
    console *m = d->model;
    /* only a port that was added can be removed (dev.console_multiport.2) */
    if (!multiport(d) || port >= CON_PORTS || !(m->port[port].state & VC_CONSOLE_PORT_ADDED))
        return false;
    m->port[port].state = 0;
    send_ctrl(m, port, E_PORT_REMOVE, 0, NULL);
    deliver(m);
    return true;
}

bool vc_console_plug(vc_dev *d, unsigned port)
{
    console *m = d->model;
    /* only a new port below max_nr_ports (dev.console_multiport.1), once the driver listens */
    if (!multiport(d) || !m->announced || port >= CON_PORTS || (m->port[port].state & VC_CONSOLE_PORT_ADDED))
        return false;
    m->port[port].state = VC_CONSOLE_PORT_ADDED;
    send_ctrl(m, port, E_PORT_ADD, 0, NULL);
    deliver(m);
    return true;
}

unsigned vc_console_port_state(const vc_dev *d, unsigned port)
{
    const console *m = d->model;
    return port < CON_PORTS ? m->port[port].state : 0;
}
