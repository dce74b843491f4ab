/* The back-end's answers to the front-end's requests (see vd_back.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vd_back.h"
#include "vu_sock.h"

/* Protocol features offered: MQ (the queue count, for introspection),
 * REPLY_ACK, RESET_DEVICE, STATUS (to record what QEMU says of the device
 * status), and CONFIG for the types whose front-end reads config from us. */
uint64_t vd_back_proto_offered(const vd_back *b)
{
    uint64_t p = 1ull << VU_PF_MQ | 1ull << VU_PF_REPLY_ACK | 1ull << VU_PF_RESET_DEVICE |
                 1ull << VU_PF_STATUS;
    return b->type->config ? p | 1ull << VU_PF_CONFIG : p;
}

bool vd_back_init(vd_back *b, const vd_type *t, const vc_model_opts *o, vd_log *log)
{
    memset(b, 0, sizeof(*b));
    b->type = t;
    b->log = log;
    b->mode = "none";
    for (unsigned i = 0; i < VD_MAX_RINGS; i++) /* before anything can fail: destroy closes them */
        b->ring[i].kick = b->ring[i].call = b->ring[i].err = -1;
    vd_mem_init(&b->mem);
    vc_model_opts opts = *o;
    opts.features_off |= t->features_off;
    if (!opts.queue_max)
        opts.queue_max = t->queue_max;
    b->dev = vc_model_create(t->name, &b->mem.gmem, &opts);
    if (!b->dev)
        return false;
    b->dev->offered |= t->features_on;
    b->nrings = b->dev->nqueues < VD_MAX_RINGS ? b->dev->nqueues : VD_MAX_RINGS;
    vd_ring_attach(b);
    return true;
}

void vd_back_destroy(vd_back *b)
{
    for (unsigned i = 0; i < VD_MAX_RINGS; i++) {
        vd_ring_close_fds(&b->ring[i]);
        free(b->ring[i].snap);
        b->ring[i].snap = NULL;
    }
    vc_model_free(b->dev);
    b->dev = NULL;
    vd_mem_clear(&b->mem);
}

void vd_back_end(vd_back *b, const char *reason)
{
    for (unsigned i = 0; i < b->nrings; i++)
        if (b->ring[i].started || b->ring[i].live)
            vd_ring_stop(b, i);
    vd_log_end(b->log, reason, b->session, b->faults);
}

/* An eventfd (or a pipe) we may read and write without blocking; anything
 * else (a file would poll readable for ever) is refused. */
static bool event_fd_ok(int fd)
{
    char path[64], link[64] = "";
    struct stat st;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    if (n > 0)
        link[n] = 0;
    bool ok = !strcmp(link, "anon_inode:[eventfd]") || (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode));
    int fl = fcntl(fd, F_GETFL);
    return ok && fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

/* SET_VRING_KICK, CALL, ERR: the fd replaces the ring's old one. */
static bool set_vring_fd(vd_back *b, vu_msg *m)
{
    unsigned qi = (unsigned)(m->u.u64 & VU_VRING_IDX_MASK);
    int fd = m->nfds ? m->fds[0] : -1;
    const char *what = m->request == VU_SET_VRING_KICK ? "kick" : m->request == VU_SET_VRING_CALL ? "call" : "error";
    if (qi >= b->nrings) {
        vd_front_fault(b, "RING_INDEX", "%s fd for ring %u: the device has %u", what, qi, b->nrings);
        return false;
    }
    if (fd >= 0 && !event_fd_ok(fd)) {
        vd_front_fault(b, "EVENT_FD", "%s fd of ring %u is not an eventfd or pipe", what, qi);
        return false;
    }
    m->nfds = 0; /* the ring owns it now */
    vd_ring *r = &b->ring[qi];
    int *slot = m->request == VU_SET_VRING_KICK ? &r->kick : m->request == VU_SET_VRING_CALL ? &r->call : &r->err;
    if (*slot >= 0)
        close(*slot);
    *slot = fd;
    /* QEMU sends a ring's call fd after its kick fd: a chain served in
     * between (available before the ring started) is notified now */
    if (m->request == VU_SET_VRING_CALL && fd >= 0 && r->call_missed) {
        uint64_t one = 1;
        r->call_missed = write(fd, &one, sizeof(one)) != sizeof(one);
    }
    if (m->request == VU_SET_VRING_KICK) {
        if (fd < 0) /* polling instead of kicks: the back-end serves only on kicks */
            vd_front_fault(b, "KICK_POLLING", "ring %u: no kick fd (polling) is not supported", qi);
        r->started = true;
        vd_ring_try_start(b, qi);
    }
    return true;
}

/* A new memory table: rings running over the old one must still map to
 * the same guest addresses, or they stop. */
static bool set_mem_table(vd_back *b, vu_msg *m)
{
    char why[160];
    if (!vd_mem_set(&b->mem, &m->u.mem, m->fds, why, sizeof(why))) {
        vd_front_fault(b, "MEM_TABLE", "%s", why);
        for (unsigned i = 0; i < b->nrings; i++)
            if (b->ring[i].live)
                vd_ring_stop(b, i);
        return false;
    }
    for (unsigned i = 0; i < b->nrings; i++) {
        vd_ring *r = &b->ring[i];
        const vc_dev_queue *q = &b->dev->q[i];
        uint64_t desc = 0, avail = 0, used = 0;
        if (!r->live)
            continue;
        if (!vd_mem_gpa(&b->mem, r->desc, 1, &desc) || !vd_mem_gpa(&b->mem, r->avail, 1, &avail) ||
            !vd_mem_gpa(&b->mem, r->used, 1, &used) || desc != q->desc || avail != q->driver ||
            used != q->device) {
            vd_front_fault(b, "RING_MOVED", "ring %u no longer maps where it ran", i);
            vd_ring_stop(b, i);
        }
    }
    for (unsigned i = 0; i < b->nrings; i++)
        vd_ring_try_start(b, i);
    return true;
}

/* GET_CONFIG: the bytes asked for; past the model's config, zeroes. */
static void get_config(vd_back *b, const vu_msg *m, vu_msg *reply)
{
    const vu_config *c = &m->u.config;
    if (!b->type->config) {
        vd_front_fault(b, "CONFIG", "GET_CONFIG for a %s device, whose config is the front-end's", b->type->name);
        reply->size = 0; /* an empty reply is the failure answer */
        return;
    }
    reply->u.config = (vu_config){ .offset = c->offset, .size = c->size, .flags = c->flags };
    for (uint32_t i = 0; i < c->size; i++)
        if (c->offset + i < b->dev->config_size)
            reply->u.config.data[i] = b->dev->config[c->offset + i];
}

/* SET_CONFIG: QEMU writes back its whole copy (input) or one field (blk);
 * the bytes that differ from the device's are what the driver wrote. */
static bool set_config(vd_back *b, const vu_msg *m)
{
    const vu_config *c = &m->u.config;
    vc_dev *d = b->dev;
    if (!b->type->config) {
        vd_front_fault(b, "CONFIG", "SET_CONFIG for a %s device, whose config is the front-end's", b->type->name);
        return false;
    }
    if (c->offset + c->size > d->config_size) {
        vd_front_fault(b, "CONFIG", "SET_CONFIG of %u bytes at %u, past the %u-byte config", c->size, c->offset,
                       d->config_size);
        return false;
    }
    if (c->flags & VU_CONFIG_F_MIGRATION) {
        memcpy(d->config + c->offset, c->data, c->size);
        return true;
    }
    uint32_t lo = c->size, hi = 0;
    for (uint32_t i = 0; i < c->size; i++)
        if (c->data[i] != d->config[c->offset + i]) {
            lo = i < lo ? i : lo;
            hi = i + 1;
        }
    if (lo >= hi)
        return true;
    vd_rules_seen(&b->rules, b->type->config_rule);
    if (d->ops->config_write)
        d->ops->config_write(d, c->offset + lo, c->data + lo, hi - lo);
    vd_drain_faults(b);
    return true;
}

/* SET_STATUS "as defined in the Virtio specification": a status a driver
 * could have written, bits only added until a reset to 0. */
static void set_status(vd_back *b, uint64_t s)
{
    const uint64_t early = VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER;
    vd_log_status(b->log, b->session, s);
    if (s & ~b->status & (VC_STATUS_FEATURES_OK | VC_STATUS_DRIVER_OK) && (s & early) != early)
        vd_front_fault(b, "STATUS_ORDER", "status 0x%llx: FEATURES_OK or DRIVER_OK without ACKNOWLEDGE and DRIVER",
                       (unsigned long long)s);
    else if (s && (b->status & ~s & 0xff))
        vd_front_fault(b, "STATUS_CLEARED", "status 0x%llx after 0x%llx clears bits without a reset",
                       (unsigned long long)s, (unsigned long long)b->status);
    b->status = s;
}

static bool ring_index(vd_back *b, uint32_t qi, const char *req)
{
    if (qi < b->nrings)
        return true;
    vd_front_fault(b, "RING_INDEX", "%s for ring %u: the device has %u", req, qi, b->nrings);
    return false;
}

bool vd_back_handle(vd_back *b, vu_msg *m, vu_msg *reply, bool *has_reply)
{
    memset(reply, 0, sizeof(*reply));
    reply->request = m->request;
    reply->flags = VU_VERSION | VU_FLAG_REPLY;
    *has_reply = vu_request_replies(m->request);
    bool ok = true, go_on = true;
    uint32_t qi = m->u.state.index; /* STATE and ADDR payloads start with it */
    switch (m->request) {
    case VU_GET_FEATURES:
        reply->u.u64 = b->dev->offered | 1ull << VU_F_PROTOCOL_FEATURES;
        break;
    case VU_SET_FEATURES:
        b->features = m->u.u64;
        b->features_set = true;
        for (unsigned i = 0; i < b->nrings; i++)
            vd_ring_try_start(b, i);
        break;
    case VU_GET_PROTOCOL_FEATURES:
        reply->u.u64 = vd_back_proto_offered(b);
        break;
    case VU_SET_PROTOCOL_FEATURES:
        b->proto = m->u.u64;
        if (b->proto & ~vd_back_proto_offered(b))
            vd_front_fault(b, "PROTOCOL_FEATURES", "acknowledged 0x%llx, offered 0x%llx",
                           (unsigned long long)b->proto, (unsigned long long)vd_back_proto_offered(b));
        vd_log_protocol(b->log, b->dev->offered | 1ull << VU_F_PROTOCOL_FEATURES, vd_back_proto_offered(b),
                        b->proto);
        break;
    case VU_SET_OWNER:
        break;
    case VU_RESET_OWNER: /* deprecated: taken as "stop every ring" */
    case VU_RESET_DEVICE:
        for (unsigned i = 0; i < b->nrings; i++)
            vd_ring_stop(b, i);
        break;
    case VU_SET_MEM_TABLE:
        ok = go_on = set_mem_table(b, m);
        break;
    case VU_SET_VRING_NUM:
        if ((ok = ring_index(b, qi, "SET_VRING_NUM")))
            b->ring[qi].num = m->u.state.num;
        break;
    case VU_SET_VRING_ADDR:
        if ((ok = ring_index(b, m->u.addr.index, "SET_VRING_ADDR"))) {
            vd_ring *r = &b->ring[m->u.addr.index];
            r->desc = m->u.addr.desc;
            r->avail = m->u.addr.avail;
            r->used = m->u.addr.used;
            r->addr_set = true;
        }
        break;
    case VU_SET_VRING_BASE:
        if ((ok = ring_index(b, qi, "SET_VRING_BASE")))
            b->ring[qi].base = m->u.state.num;
        break;
    case VU_GET_VRING_BASE:
        reply->u.state = (vu_state){ qi, 0 };
        if ((ok = ring_index(b, qi, "GET_VRING_BASE")))
            reply->u.state.num = vd_ring_stop(b, qi);
        break;
    case VU_SET_VRING_KICK:
    case VU_SET_VRING_CALL:
    case VU_SET_VRING_ERR:
        ok = set_vring_fd(b, m);
        break;
    case VU_GET_QUEUE_NUM:
        reply->u.u64 = b->nrings;
        break;
    case VU_SET_VRING_ENABLE:
        if (!(ok = ring_index(b, qi, "SET_VRING_ENABLE")))
            break;
        if (m->u.state.num > 1)
            vd_front_fault(b, "RING_ENABLE", "SET_VRING_ENABLE %u for ring %u", m->u.state.num, qi);
        b->ring[qi].enabled = m->u.state.num != 0;
        if (b->ring[qi].enabled)
            vd_back_kick(b, qi); /* starts it, or serves what waited */
        break;
    case VU_GET_CONFIG:
        get_config(b, m, reply);
        break;
    case VU_SET_CONFIG:
        ok = set_config(b, m);
        break;
    case VU_SET_STATUS:
        set_status(b, m->u.u64);
        break;
    case VU_GET_STATUS:
        reply->u.u64 = b->status;
        break;
    default: /* memory slots: never offered */
        vd_front_fault(b, "NOT_OFFERED", "%s, whose protocol feature was not offered", vu_request_name(m->request));
        reply->u.u64 = 0;
        ok = false;
        break;
    }
    vu_msg_close_fds(m); /* what was not kept */
    if (!*has_reply && (m->flags & VU_FLAG_NEED_REPLY) && (b->proto & 1ull << VU_PF_REPLY_ACK)) {
        reply->request = m->request;
        reply->u.u64 = ok ? 0 : 1;
        *has_reply = true;
    }
    return go_on;
}
