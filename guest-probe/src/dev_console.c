/* Console device: with MULTIPORT, the control handshake (DEVICE_READY, the
 * device's PORT_ADDs, PORT_READY answered by PORT_NAME and PORT_OPEN) on the
 * first port beyond 0, then a line written to that port; without it, the
 * line goes to port 0. The runner checks that the line reached the host.
 * A device whose host side has no port announces none, and conforms: the
 * PORT_ADD count is judged only against --console-ports when given. */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "dev_note.h"
#include "refdev/device.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

#define CTL_BUF 128u
#define CTL_NBUF 8u
#define CON_PORTS 2u /* ports whose queues the probe sets up: 0 and 1 */
enum { Q_CIN = 2, Q_COUT = 3 };
enum { DEVICE_READY = 0, PORT_ADD = 1, PORT_REMOVE = 2, PORT_READY = 3, CONSOLE_PORT = 4, RESIZE = 5,
       PORT_OPEN = 6, PORT_NAME = 7 };

static unsigned rxq(unsigned port) { return port ? 2 + 2 * port : 0; }
static unsigned txq(unsigned port) { return port ? 3 + 2 * port : 1; }

typedef struct con {
    vp_drv *v;
    uint64_t added; /* ports the device announced (PORT_ADD) and has not removed since */
    uint64_t cin, cout; /* control buffers: CTL_NBUF receive, one send */
    uint32_t tok[CTL_NBUF];
} con;

static bool ctl_send(con *c, uint32_t id, uint16_t event, uint16_t value)
{
    char err[128];
    uint8_t *m = vp_drv_host(c->v, c->cout, 8);
    for (unsigned i = 0; i < 4; i++)
        m[i] = (uint8_t)(id >> (8 * i));
    m[4] = (uint8_t)event;
    m[5] = (uint8_t)(event >> 8);
    m[6] = (uint8_t)value;
    m[7] = (uint8_t)(value >> 8);
    vc_seg sg = {c->cout, 8, false};
    uint32_t used;
    vp_rt rt = vp_drv_roundtrip(c->v, Q_COUT, &sg, 1, 0, false, &used, err, sizeof err);
    return vp_report_rt(c->v, "console.ctrl.send", REQ_DRV_IMPLIED_CONSOLE_CTRL_LAYOUT, rt, err);
}

static bool ctl_post(con *c, unsigned i)
{
    char err[128];
    vc_seg sg = {c->cin + i * CTL_BUF, CTL_BUF, true};
    vp_rt rt = vp_drv_post(c->v, Q_CIN, &sg, 0, 1, false, &c->tok[i], err, sizeof err);
    return vp_report_rt(c->v, "console.ctrl.post", "", rt, err);
}

/* Next control message from the device within wait_ms: 1 got one, 0 none
 * in time, -1 error (reported). The buffer goes straight back to the device. */
static int ctl_recv(con *c, unsigned wait_ms, uint32_t *id, uint16_t *event, uint16_t *value, char *name,
                    size_t namelen)
{
    char err[128], ob[64];
    uint32_t t, len;
    vp_rt rt = vp_drv_wait(c->v, Q_CIN, wait_ms, &t, &len, err, sizeof err);
    if (rt == VP_RT_TIMEOUT)
        return 0;
    if (!vp_report_rt(c->v, "console.ctrl.recv", "", rt, err))
        return -1;
    unsigned i = 0;
    while (i < CTL_NBUF && c->tok[i] != t)
        i++;
    if (i == CTL_NBUF || len < 8 || len > CTL_BUF) {
        snprintf(ob, sizeof ob, "token 0x%x, %u bytes", t, len);
        vp_check(c->v->c->rep, "console.ctrl.message", REQ_DEV_VQ_USED_2, VP_FAIL, "a posted buffer, 8+ bytes",
                 ob, NULL);
        return -1;
    }
    const uint8_t *m = vp_drv_host(c->v, c->cin + i * CTL_BUF, CTL_BUF);
    *id = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
    *event = (uint16_t)(m[4] | m[5] << 8);
    *value = (uint16_t)(m[6] | m[7] << 8);
    if (name) {
        size_t n = len - 8 < namelen - 1 ? len - 8 : namelen - 1;
        memcpy(name, m + 8, n);
        name[n] = 0;
    }
    return ctl_post(c, i) ? 1 : -1;
}

/* Writes the marker line to port's transmit queue. */
static bool write_line(vp_drv *v, unsigned port, uint64_t buf, const char *tail)
{
    vp_report *r = v->c->rep;
    char err[128], line[96];
    snprintf(line, sizeof line, "vconform-probe console %s %s%s\n", v->d->fn->addr, v->who, tail);
    size_t n = strlen(line);
    memcpy(vp_drv_host(v, buf, n), line, n);
    vc_seg sg = {buf, (uint32_t)n, false};
    uint32_t used;
    vp_rt rt = vp_drv_roundtrip(v, txq(port), &sg, 1, 0, false, &used, err, sizeof err);
    if (!vp_report_rt(v, "console.write", REQ_DRV_CONSOLE_OP_2, rt, err))
        return false;
    line[n - 1] = 0;
    char ex[16];
    snprintf(ex, sizeof ex, "port %u", port);
    vp_check(r, "console.write", "", VP_PASS, ex, line, "the host side must receive this line");
    return true;
}

/* Collects the PORT_ADDs that answer DEVICE_READY: until a port we set up
 * beyond 0 came (*port) and, with --console-ports N, N of them, or nothing
 * more comes in time. false after a reported failure. */
static bool await_ports(con *c, unsigned nports, unsigned *adds, uint32_t *port)
{
    vp_drv *v = c->v;
    char ex[32], ob[32];
    int want = v->c->opt.console_ports, got = 0;
    unsigned wait_ms = v->c->opt.timeout_ms;
    if (v->d->console_silent && want <= 0 && wait_ms > VP_QUICK_WAIT_MS)
        wait_ms = VP_QUICK_WAIT_MS; /* an earlier personality heard nothing: see that it still holds */
    uint32_t id;
    uint16_t ev, val;
    *adds = 0;
    *port = UINT32_MAX;
    while ((*port == UINT32_MAX || (want >= 0 && *adds < (unsigned)want)) &&
           (got = ctl_recv(c, wait_ms, &id, &ev, &val, NULL, 0)) > 0) {
        if (ev != PORT_ADD)
            continue;
        ++*adds;
        uint32_t maxp = (uint32_t)vp_tp_cfg(v->t, 4, 4);
        snprintf(ob, sizeof ob, "port %u", id);
        snprintf(ex, sizeof ex, "< %u", maxp);
        if (!vp_expect(v->c->rep, "console.port_add.in_range", REQ_DEV_CONSOLE_MULTIPORT_1, id < maxp, ex, ob,
                       NULL))
            return false;
        if (id < 64)
            c->added |= 1ull << id;
        if (id >= 1 && id < nports)
            *port = id;
    }
    v->d->console_silent = *adds == 0;
    return got >= 0;
}

/* Judges the PORT_ADD count: exactly --console-ports when the runner says
 * how many ports it gave the device, else only noted (a device with no port
 * announces none). false when the count is wrong. */
static bool port_adds(vp_drv *v, unsigned adds, bool port1)
{
    int want = v->c->opt.console_ports;
    char ex[48], ob[64];
    snprintf(ob, sizeof ob, "%u PORT_ADD(s)%s", adds, adds && !port1 ? ", none for port 1" : "");
    if (want < 0) {
        vp_check(v->c->rep, "console.port_add", "", adds ? VP_PASS : VP_SKIP, "PORT_ADDs for the host's ports", ob,
                 adds ? NULL : "the device may have no port (--console-ports N tells the probe how many)");
        return true;
    }
    snprintf(ex, sizeof ex, "%d PORT_ADD(s) (--console-ports)", want);
    return vp_expect(v->c->rep, "console.port_add", "", adds == (unsigned)want, ex, ob,
                     want ? NULL : "no port on the host side");
}

/* emerg_wr takes a write whenever EMERG_WRITE is offered, also before the
 * device is set up: here before its queues and DRIVER_OK. Nothing may
 * break: no NEEDS_RESET, the status as it was, the configuration intact. */
#define EMERG_BYTE 0x1eu /* a byte nothing else writes to a port */

static void emerg_write(vp_drv *v)
{
    char ob[96];
    if (!(v->offered >> VIRTIO_CONSOLE_F_EMERG_WRITE_BIT & 1)) {
        vp_check(v->c->rep, "console.emerg_write", "", VP_SKIP, NULL, NULL, "EMERG_WRITE not offered");
        return;
    }
    uint8_t st0 = vp_tp_status(v->t);
    uint32_t maxp0 = (uint32_t)vp_tp_cfg(v->t, 4, 4);
    vp_tp_cfg_write(v->t, 8, 4, EMERG_BYTE);
    uint8_t st = vp_tp_status(v->t);
    uint32_t maxp = (uint32_t)vp_tp_cfg(v->t, 4, 4);
    snprintf(ob, sizeof ob, "status 0x%02x -> 0x%02x, max_nr_ports %u -> %u", st0, st, maxp0, maxp);
    if (!vp_expect(v->c->rep, "console.emerg_write", REQ_DEV_CONSOLE_INIT_1,
                   st == st0 && !(st & (VC_STATUS_NEEDS_RESET | VC_STATUS_FAILED)) && maxp == maxp0 && !v->t->io_err,
                   "taken: status and configuration unchanged", ob, "a byte to emerg_wr before DRIVER_OK"))
        return;
    /* --console-ports 2: the runner gave a data port and a console port,
     * which has a log on the host side for the byte (PROTOCOL.md) */
    if (v->c->opt.console_ports >= 2) {
        snprintf(ob, sizeof ob, "byte 0x%02x", EMERG_BYTE);
        vp_check(v->c->rep, "console.emerg_write.host", REQ_DEV_CONSOLE_INIT_2, VP_PASS,
                 "the byte in the console port's host-side output", ob,
                 "the runner looks for it in the console port's chardev output");
    }
}

/* The runner unplugs the data port and plugs it again (once per device):
 * the device must remove only a port it added, then announce it again. */
static void port_cycle(con *c, uint32_t port)
{
    static char done[sizeof c->v->d->fn->addr];
    vp_drv *v = c->v;
    vp_report *r = v->c->rep;
    char ob[96], ex[48];
    if (!strcmp(done, v->d->fn->addr))
        return;
    snprintf(done, sizeof done, "%s", v->d->fn->addr);
    if (!vp_note_ask(v->c, v->d, "console-port-cycle")) {
        vp_check(r, "console.port_remove", "", VP_SKIP, NULL, NULL, "no runner unplugs a port");
        return;
    }
    uint32_t id, removed = UINT32_MAX, readded = UINT32_MAX;
    uint16_t ev, val;
    int got;
    while (readded == UINT32_MAX &&
           (got = ctl_recv(c, v->c->opt.timeout_ms, &id, &ev, &val, NULL, 0)) > 0) {
        if (ev == PORT_REMOVE) {
            bool known = id < 64 && c->added >> id & 1;
            snprintf(ob, sizeof ob, "PORT_REMOVE for port %u (%s)", id, known ? "added" : "never added");
            vp_expect(r, "console.port_remove", REQ_DEV_CONSOLE_MULTIPORT_2, known, "a port the device added", ob,
                      "the runner unplugged a port");
            if (known)
                c->added &= ~(1ull << id);
            removed = id;
        } else if (ev == PORT_ADD && removed != UINT32_MAX) {
            uint32_t maxp = (uint32_t)vp_tp_cfg(v->t, 4, 4);
            snprintf(ob, sizeof ob, "port %u", id);
            snprintf(ex, sizeof ex, "< %u", maxp);
            vp_expect(r, "console.port_add.again", REQ_DEV_CONSOLE_MULTIPORT_1, id < maxp, ex, ob,
                      "the runner plugged the port again");
            if (id < 64)
                c->added |= 1ull << id;
            readded = id;
        }
    }
    if (got < 0)
        return;
    if (removed == UINT32_MAX) {
        vp_check(r, "console.port_remove", "", VP_SKIP, NULL, NULL,
                 "no PORT_REMOVE within %u ms (the runner may not have unplugged port %u)", v->c->opt.timeout_ms, port);
        return;
    }
    snprintf(ob, sizeof ob, "removed port %u, added %s", removed, readded == UINT32_MAX ? "none" : "again");
    vp_check(r, "console.port_cycle", "", readded != UINT32_MAX ? VP_INFO : VP_SKIP, NULL, ob, NULL);
}

void vp_devtest_console(vp_drv *v, vp_seen *seen)
{
    vp_report *r = v->c->rep;
    char err[128], ob[192];
    bool multi = v->features >> VIRTIO_CONSOLE_F_MULTIPORT_BIT & 1;
    unsigned nports = 1;
    if (multi) {
        uint32_t maxp = (uint32_t)vp_tp_cfg(v->t, 4, 4);
        snprintf(ob, sizeof ob, "%u", maxp);
        if (!vp_expect(r, "console.max_nr_ports", "", maxp >= 1, ">= 1", ob, NULL))
            return;
        nports = maxp < CON_PORTS ? maxp : CON_PORTS;
    }
    unsigned nq = multi ? 2 + 2 * nports : 2;
    emerg_write(v);
    if (!vp_drv_queues(v, 0, nq - 1, "console.queue"))
        return;
    vp_drv_driver_ok(v);
    con c = {.v = v};
    c.cin = vp_drv_alloc(v, CTL_NBUF * CTL_BUF, 64);
    c.cout = vp_drv_alloc(v, 8, 8);
    uint64_t rx = vp_drv_alloc(v, 256, 64), tx = vp_drv_alloc(v, 128, 64);
    if (!c.cin || !c.cout || !rx || !tx) {
        vp_check(r, "console.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    seen->ran = true;
    seen->value = nports;
    for (unsigned p = 0; p < nports; p++) { /* a receive buffer per port, as drivers keep */
        vc_seg sg = {rx + p * 128, 128, true};
        uint32_t t;
        if (!vp_report_rt(v, "console.rx.post", REQ_DRV_CONSOLE_OP_1,
                          vp_drv_post(v, rxq(p), &sg, 0, 1, false, &t, err, sizeof err), err))
            return;
    }
    if (!multi) {
        seen->ok = write_line(v, 0, tx, "");
        return;
    }
    for (unsigned i = 0; i < CTL_NBUF; i++)
        if (!ctl_post(&c, i))
            return;
    if (!ctl_send(&c, 0, DEVICE_READY, 1))
        return;
    unsigned adds;
    uint32_t port, id;
    uint16_t ev, val;
    if (!await_ports(&c, nports, &adds, &port))
        return;
    bool counted = port_adds(v, adds, port != UINT32_MAX);
    if (port == UINT32_MAX) {
        vp_check(r, "console.write", "", VP_SKIP, NULL, NULL, "%s",
                 adds ? "no PORT_ADD for port 1: no port to write to" : "no port announced: nothing to write to");
        seen->ok = counted;
        return;
    }
    if (!ctl_send(&c, port, PORT_READY, 1))
        return;
    /* the device answers PORT_READY with the port's name and whether the
     * host side is open (both optional, in any order, after CONSOLE_PORT) */
    char name[CTL_BUF] = "", msg[CTL_BUF];
    bool open = false;
    unsigned stray = 0; /* answers naming another port, or events a device does not send */
    int got;
    while (!open && (got = ctl_recv(&c, v->c->opt.timeout_ms, &id, &ev, &val, msg, sizeof msg)) > 0) {
        bool known = ev == PORT_OPEN || ev == PORT_NAME || ev == CONSOLE_PORT || ev == PORT_ADD || ev == RESIZE;
        stray += !known || ((ev == PORT_OPEN || ev == PORT_NAME || ev == CONSOLE_PORT) && id != port);
        if (id == port && ev == PORT_OPEN)
            open = val == 1;
        if (id == port && ev == PORT_NAME)
            memcpy(name, msg, sizeof name);
    }
    if (got < 0)
        return;
    snprintf(ob, sizeof ob, "name '%.64s', host side %s, %u message(s) for another port or of another kind", name,
             open ? "open" : "not open", stray);
    /* the runner's port has a name and a host end that is always open */
    if (v->c->opt.console_ports > 0)
        vp_expect(r, "console.port_ready", "", name[0] && open && !stray,
                  "PORT_NAME and PORT_OPEN 1 for the port readied, nothing else", ob, "answers to PORT_READY");
    else
        vp_check(r, "console.port_ready", "", VP_INFO, NULL, ob, NULL);
    if (!ctl_send(&c, port, PORT_OPEN, 1))
        return;
    seen->ok = write_line(v, port, tx, "") && counted;
    /* closed and opened again by the driver: the port still carries data */
    if (!seen->ok || !ctl_send(&c, port, PORT_OPEN, 0) || !ctl_send(&c, port, PORT_OPEN, 1))
        return;
    seen->ok = write_line(v, port, tx, " reopened");
    if (seen->ok)
        port_cycle(&c, port);
}
