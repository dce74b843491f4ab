/* vhost-user front-end (see vu_front.h). */
#define _GNU_SOURCE
#include "vu_front.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vu_sock.h"

static vu_err fail(vu_front *f, vu_err e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static vu_err fail(vu_front *f, vu_err e, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(f->why, sizeof(f->why), "%s: %s", what, vu_err_text(e));
    return e;
}

void vu_front_init(vu_front *f, int timeout_ms)
{
    memset(f, 0, sizeof(*f));
    f->sock = -1;
    f->timeout_ms = timeout_ms;
    for (unsigned q = 0; q < VU_FRONT_MAX_QUEUES; q++)
        f->vq[q] = (vu_front_vq){ -1, -1, -1, false };
}

vu_err vu_front_connect(vu_front *f, const char *path, int timeout_ms)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(a.sun_path))
        return fail(f, VU_E_VALUE, "socket path too long");
    strcpy(a.sun_path, path);
    long long deadline = vu_now_ms() + timeout_ms;
    for (;;) {
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
            return fail(f, VU_E_IO, "socket");
        if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
            f->sock = s;
            return VU_OK;
        }
        int err = errno;
        close(s);
        if ((err != ENOENT && err != ECONNREFUSED && err != EAGAIN) || vu_now_ms() >= deadline)
            return fail(f, err == ENOENT || err == ECONNREFUSED ? VU_E_CLOSED : VU_E_IO,
                        "connect %s (%s)", path, strerror(err));
        nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
    }
}

vu_err vu_front_request(vu_front *f, vu_msg *m, vu_msg *reply)
{
    const char *name = vu_request_name(m->request);
    vu_err e = vu_send(f->sock, m, false, f->timeout_ms);
    if (e != VU_OK)
        return fail(f, e, "sending %s", name ? name : "?");
    bool has_reply = (m->flags & VU_FLAG_NEED_REPLY) || vu_request_replies(m->request);
    if (!has_reply)
        return VU_OK;
    e = vu_recv(f->sock, reply, true, f->timeout_ms);
    if (e != VU_OK)
        return fail(f, e, "reply to %s", name);
    if (reply->request != m->request) {
        vu_msg_close_fds(reply);
        return fail(f, VU_E_MISMATCH, "reply to %s", name);
    }
    if (reply->nfds) { /* no reply we ask for carries fds */
        vu_msg_close_fds(reply);
        return fail(f, VU_E_FDS, "reply to %s", name);
    }
    return VU_OK;
}

/* A request without a payload of its own, answered with a u64. */
static vu_err ask_u64(vu_front *f, uint32_t request, uint64_t *v)
{
    vu_msg m = { .request = request, .flags = VU_VERSION }, r;
    vu_err e = vu_front_request(f, &m, &r);
    if (e == VU_OK)
        *v = r.u.u64;
    return e;
}

/* Sends a request that has no reply of its own. last: wait until the
 * back-end has handled it (and, back-ends read in order, all before it):
 * an acknowledgement with REPLY_ACK, else a GET_FEATURES round trip. */
static vu_err post(vu_front *f, vu_msg *m, bool last)
{
    bool ack = last && (f->proto & (1ull << VU_PF_REPLY_ACK));
    if (ack)
        m->flags |= VU_FLAG_NEED_REPLY;
    vu_msg r;
    vu_err e = vu_front_request(f, m, &r);
    if (e != VU_OK || !last)
        return e;
    if (ack)
        return r.u.u64 == 0 ? VU_OK : fail(f, VU_E_NACK, "%s", vu_request_name(m->request));
    uint64_t ignored;
    return ask_u64(f, VU_GET_FEATURES, &ignored);
}

vu_err vu_front_hello(vu_front *f)
{
    vu_err e = ask_u64(f, VU_GET_FEATURES, &f->dev_features);
    if (e != VU_OK)
        return e;
    if (f->dev_features & (1ull << VU_F_PROTOCOL_FEATURES)) {
        if ((e = ask_u64(f, VU_GET_PROTOCOL_FEATURES, &f->proto_offered)) != VU_OK)
            return e;
        vu_msg m = { .request = VU_SET_PROTOCOL_FEATURES, .flags = VU_VERSION,
                     .u.u64 = f->proto_offered & VU_FRONT_PROTO };
        if ((e = post(f, &m, false)) != VU_OK)
            return e;
        f->proto = m.u.u64;
    }
    vu_msg own = { .request = VU_SET_OWNER, .flags = VU_VERSION };
    if ((e = post(f, &own, true)) != VU_OK)
        return e;
    if (f->proto & (1ull << VU_PF_MQ)) {
        uint64_t n;
        if ((e = ask_u64(f, VU_GET_QUEUE_NUM, &n)) != VU_OK)
            return e;
        f->max_queues = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    }
    return VU_OK;
}

vu_err vu_front_set_features(vu_front *f, uint64_t features)
{
    uint64_t proto_bit = f->dev_features & (1ull << VU_F_PROTOCOL_FEATURES);
    if ((features | proto_bit) & ~f->dev_features)
        return fail(f, VU_E_VALUE, "features 0x%llx not all offered (0x%llx)",
                    (unsigned long long)features, (unsigned long long)f->dev_features);
    vu_msg m = { .request = VU_SET_FEATURES, .flags = VU_VERSION, .u.u64 = features | proto_bit };
    vu_err e = post(f, &m, true);
    if (e == VU_OK)
        f->features = m.u.u64;
    return e;
}

vu_err vu_front_set_mem(vu_front *f, const vu_guest_mem *mem)
{
    vu_msg m = { .request = VU_SET_MEM_TABLE, .flags = VU_VERSION, .nfds = mem->n };
    m.u.mem.nregions = mem->n;
    for (unsigned i = 0; i < mem->n; i++) {
        m.u.mem.region[i] = mem->r[i];
        m.fds[i] = mem->fd; /* the same memfd, one copy per region */
    }
    return post(f, &m, true);
}

static bool make_eventfd(int *fd)
{
    if (*fd < 0)
        *fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return *fd >= 0;
}

static uint64_t drain(int fd)
{
    uint64_t v = 0;
    if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
        return 0;
    return v;
}

vu_err vu_front_vring_start(vu_front *f, unsigned q, uint16_t size, uint64_t desc, uint64_t avail,
                            uint64_t used)
{
    if (q >= VU_FRONT_MAX_QUEUES)
        return fail(f, VU_E_VALUE, "queue %u", q);
    vu_front_vq *v = &f->vq[q];
    if (!make_eventfd(&v->kick) || !make_eventfd(&v->call) || !make_eventfd(&v->err))
        return fail(f, VU_E_IO, "eventfd");
    drain(v->kick);
    drain(v->call);
    drain(v->err);
    vu_msg m[7] = {
        { .request = VU_SET_VRING_NUM, .u.state = { q, size } },
        { .request = VU_SET_VRING_BASE, .u.state = { q, 0 } },
        { .request = VU_SET_VRING_ADDR, .u.addr = { .index = q, .desc = desc, .used = used, .avail = avail } },
        { .request = VU_SET_VRING_KICK, .u.u64 = q, .nfds = 1, .fds = { v->kick } },
        { .request = VU_SET_VRING_CALL, .u.u64 = q, .nfds = 1, .fds = { v->call } },
        { .request = VU_SET_VRING_ERR, .u.u64 = q, .nfds = 1, .fds = { v->err } },
        { .request = VU_SET_VRING_ENABLE, .u.state = { q, 1 } },
    };
    /* rings start enabled unless protocol features are in use */
    unsigned n = (f->features & (1ull << VU_F_PROTOCOL_FEATURES)) ? 7 : 6;
    for (unsigned i = 0; i < n; i++) {
        m[i].flags = VU_VERSION;
        vu_err e = post(f, &m[i], i + 1 == n);
        if (e != VU_OK)
            return e;
    }
    v->started = true;
    return VU_OK;
}

vu_err vu_front_vring_stop(vu_front *f, unsigned q, uint32_t *base)
{
    vu_msg m = { .request = VU_GET_VRING_BASE, .flags = VU_VERSION, .u.state = { q, 0 } }, r;
    vu_err e = vu_front_request(f, &m, &r);
    if (e == VU_OK && r.u.state.index != q)
        e = fail(f, VU_E_MISMATCH, "GET_VRING_BASE answered for queue %u", r.u.state.index);
    if (e == VU_OK) {
        *base = r.u.state.num;
        if (q < VU_FRONT_MAX_QUEUES)
            f->vq[q].started = false;
    }
    return e;
}

vu_err vu_front_get_config(vu_front *f, uint32_t off, uint32_t len, uint8_t *out)
{
    if (!(f->proto & (1ull << VU_PF_CONFIG)))
        return fail(f, VU_E_VALUE, "GET_CONFIG without the CONFIG protocol feature");
    vu_msg m = { .request = VU_GET_CONFIG, .flags = VU_VERSION, .u.config = { off, len, 0, { 0 } } }, r;
    vu_err e = vu_front_request(f, &m, &r);
    if (e != VU_OK)
        return e;
    if (r.size == 0)
        return fail(f, VU_E_NACK, "GET_CONFIG");
    if (r.u.config.size != len || r.u.config.offset != off)
        return fail(f, VU_E_MISMATCH, "GET_CONFIG answered %u bytes at %u", r.u.config.size,
                    r.u.config.offset);
    memcpy(out, r.u.config.data, len);
    return VU_OK;
}

void vu_front_kick(vu_front *f, unsigned q)
{
    uint64_t one = 1;
    if (q < VU_FRONT_MAX_QUEUES && f->vq[q].kick >= 0 &&
        write(f->vq[q].kick, &one, sizeof(one)) != (ssize_t)sizeof(one))
        snprintf(f->why, sizeof(f->why), "kick: %s", strerror(errno));
}

uint64_t vu_front_calls(vu_front *f, unsigned q)
{
    return q < VU_FRONT_MAX_QUEUES ? drain(f->vq[q].call) : 0;
}

uint64_t vu_front_errors(vu_front *f, unsigned q)
{
    return q < VU_FRONT_MAX_QUEUES ? drain(f->vq[q].err) : 0;
}

bool vu_front_hung_up(vu_front *f)
{
    if (f->sock < 0)
        return true;
    struct pollfd p = { .fd = f->sock, .events = POLLIN };
    if (poll(&p, 1, 0) <= 0)
        return false;
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
        return true;
    char c; /* readable: a back-end has nothing to say unasked, so only EOF */
    return recv(f->sock, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

void vu_front_close(vu_front *f)
{
    if (f->sock >= 0)
        close(f->sock);
    f->sock = -1;
    for (unsigned q = 0; q < VU_FRONT_MAX_QUEUES; q++) {
        vu_front_vq *v = &f->vq[q];
        if (v->kick >= 0) close(v->kick);
        if (v->call >= 0) close(v->call);
        if (v->err >= 0) close(v->err);
        *v = (vu_front_vq){ -1, -1, -1, false };
    }
}
