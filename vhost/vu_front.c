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

static bool has_reply(const vu_msg *m)
{
    return (m->flags & VU_FLAG_NEED_REPLY) || vu_request_replies(m->request);
}

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
        f->vq[q] = (vu_front_vq){ -1, -1, -1, false, false };
}

vu_err vu_front_connect(vu_front *f, const char *path, int timeout_ms)
{
    f->rlen = 0;
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
            /* who listens (0 when the kernel does not say: another PID namespace) */
            struct ucred c;
            socklen_t len = sizeof(c);
            f->peer_pid = getsockopt(s, SOL_SOCKET, SO_PEERCRED, &c, &len) == 0 && len == sizeof(c) && c.pid > 0
                              ? c.pid : 0;
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
    if (!has_reply(m))
        return VU_OK;
    return vu_front_recv_reply(f, m->request, reply);
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

/* Drains the eventfds (b may be -1) that hold something: one poll, and a
 * read only where there is something to read. */
static void drain_ready(int a, int b)
{
    struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
    if (poll(p, b >= 0 ? 2 : 1, 0) <= 0)
        return;
    for (unsigned i = 0; i < 2; i++)
        if (p[i].revents & POLLIN)
            drain(p[i].fd);
}

/* Requests sent together; the replies are read after, in order. */
typedef struct batch {
    vu_msg m[VU_BATCH_MAX];
    unsigned n;
} batch;

static void add(batch *b, vu_msg m)
{
    m.flags |= VU_VERSION;
    b->m[b->n++] = m;
}

/* Sends them all, the last one and the ring's size acknowledged with
 * REPLY_ACK (a back-end may refuse a queue size), else a GET_FEATURES behind
 * the last, then reads every reply into b->m[i] (replies carry no fds).
 * Acknowledging every message would cost the back-end a send each. */
static vu_err run_batch(vu_front *f, batch *b)
{
    if (f->proto & (1ull << VU_PF_REPLY_ACK)) {
        for (unsigned i = 0; i < b->n; i++)
            if (i + 1 == b->n || b->m[i].request == VU_SET_VRING_NUM)
                b->m[i].flags |= VU_FLAG_NEED_REPLY;
    } else if (!has_reply(&b->m[b->n - 1]))
        add(b, (vu_msg){ .request = VU_GET_FEATURES });
    unsigned sent;
    vu_err e = vu_send_batch(f->sock, b->m, b->n, f->timeout_ms, &sent);
    if (e != VU_OK)
        return fail(f, e, "sending %s", vu_request_name(b->m[sent < b->n ? sent : b->n - 1].request));
    for (unsigned i = 0; i < b->n; i++) {
        if (!has_reply(&b->m[i]))
            continue;
        bool ack = !vu_request_replies(b->m[i].request);
        vu_msg r;
        e = vu_front_recv_reply(f, b->m[i].request, &r);
        if (e != VU_OK)
            return e;
        if (ack && r.u.u64 != 0)
            return fail(f, VU_E_NACK, "%s", vu_request_name(b->m[i].request));
        b->m[i] = r;
    }
    return VU_OK;
}

/* The queue's set-up messages (see vu_front_vring_start). */
static vu_err ring_msgs(vu_front *f, batch *b, const vu_ring *r)
{
    if (r->q >= VU_FRONT_MAX_QUEUES)
        return fail(f, VU_E_VALUE, "queue %u", r->q);
    vu_front_vq *v = &f->vq[r->q];
    if (!make_eventfd(&v->kick) || !make_eventfd(&v->call) || !make_eventfd(&v->err))
        return fail(f, VU_E_IO, "eventfd");
    drain_ready(v->kick, -1); /* a kick the last ring never took */
    add(b, (vu_msg){ .request = VU_SET_VRING_NUM, .u.state = { r->q, r->size } });
    add(b, (vu_msg){ .request = VU_SET_VRING_BASE, .u.state = { r->q, r->packed ? 1u << 15 : 0 } });
    add(b, (vu_msg){ .request = VU_SET_VRING_ADDR,
                     .u.addr = { .index = r->q, .desc = r->desc, .used = r->used, .avail = r->avail } });
    add(b, (vu_msg){ .request = VU_SET_VRING_KICK, .u.u64 = r->q, .nfds = 1, .fds = { v->kick } });
    add(b, (vu_msg){ .request = VU_SET_VRING_CALL, .u.u64 = r->q, .nfds = 1, .fds = { v->call } });
    /* the error eventfd stays through ring restarts (QEMU too sets it once) */
    if (!v->err_set)
        add(b, (vu_msg){ .request = VU_SET_VRING_ERR, .u.u64 = r->q, .nfds = 1, .fds = { v->err } });
    v->err_set = true;
    /* rings start enabled unless protocol features are in use */
    if (f->features & (1ull << VU_F_PROTOCOL_FEATURES))
        add(b, (vu_msg){ .request = VU_SET_VRING_ENABLE, .u.state = { r->q, 1 } });
    return VU_OK;
}

/* After the ring is set up: libvhost-user signals the call eventfd when it
 * gets it (against a hang after a reconnection), which is no used-buffer
 * notification; nor is anything the last connection left there. */
static void ring_started(vu_front *f, unsigned q)
{
    f->vq[q].started = true;
    drain_ready(f->vq[q].call, f->vq[q].err);
}

vu_err vu_front_ring_start(vu_front *f, const vu_ring *r)
{
    batch b = { .n = 0 };
    vu_err e = ring_msgs(f, &b, r);
    if (e == VU_OK)
        e = run_batch(f, &b);
    if (e == VU_OK)
        ring_started(f, r->q);
    return e;
}

vu_err vu_front_vring_start(vu_front *f, unsigned q, uint16_t size, uint64_t desc, uint64_t avail,
                            uint64_t used)
{
    vu_ring r = { q, size, desc, avail, used, false };
    return vu_front_ring_start(f, &r);
}

vu_err vu_front_vring_restart(vu_front *f, const vu_ring *r, uint32_t *base)
{
    batch b = { .n = 0 };
    add(&b, (vu_msg){ .request = VU_GET_VRING_BASE, .u.state = { r->q, 0 } });
    vu_err e = ring_msgs(f, &b, r);
    if (e == VU_OK)
        e = run_batch(f, &b);
    if (e == VU_OK && b.m[0].u.state.index != r->q)
        e = fail(f, VU_E_MISMATCH, "GET_VRING_BASE answered for queue %u", b.m[0].u.state.index);
    if (e != VU_OK)
        return e;
    *base = b.m[0].u.state.num;
    ring_started(f, r->q);
    return VU_OK;
}

vu_err vu_front_reopen(vu_front *f, const char *path, int timeout_ms, const vu_front *known, uint64_t features,
                       const vu_guest_mem *mem, const vu_ring *r)
{
    vu_err e = vu_front_connect(f, path, timeout_ms);
    if (e != VU_OK)
        return e;
    bool same = f->peer_pid && f->peer_pid == known->peer_pid;
    f->dev_features = known->dev_features;
    f->proto_offered = known->proto_offered;
    f->proto = known->proto;
    f->max_queues = known->max_queues;
    uint64_t proto_bit = f->dev_features & (1ull << VU_F_PROTOCOL_FEATURES);
    if ((features | proto_bit) & ~f->dev_features)
        return fail(f, VU_E_VALUE, "features 0x%llx not all offered", (unsigned long long)features);
    f->features = features | proto_bit;
    batch b = { .n = 0 };
    if (!same)
        add(&b, (vu_msg){ .request = VU_GET_FEATURES });
    if (proto_bit && !same)
        add(&b, (vu_msg){ .request = VU_GET_PROTOCOL_FEATURES });
    if (proto_bit)
        add(&b, (vu_msg){ .request = VU_SET_PROTOCOL_FEATURES, .u.u64 = f->proto });
    add(&b, (vu_msg){ .request = VU_SET_OWNER });
    unsigned nq = b.n;
    if ((f->proto & (1ull << VU_PF_MQ)) && !same)
        add(&b, (vu_msg){ .request = VU_GET_QUEUE_NUM });
    add(&b, (vu_msg){ .request = VU_SET_FEATURES, .u.u64 = f->features });
    vu_msg mt = { .request = VU_SET_MEM_TABLE, .nfds = mem->n };
    mt.u.mem.nregions = mem->n;
    for (unsigned i = 0; i < mem->n; i++) {
        mt.u.mem.region[i] = mem->r[i];
        mt.fds[i] = mem->fd;
    }
    add(&b, mt);
    if (r && (e = ring_msgs(f, &b, r)) != VU_OK)
        return e;
    if ((e = run_batch(f, &b)) != VU_OK)
        return e;
    if (!same && (b.m[0].u.u64 != known->dev_features || (proto_bit && b.m[1].u.u64 != known->proto_offered) ||
                  ((f->proto & (1ull << VU_PF_MQ)) && b.m[nq].u.u64 != known->max_queues)))
        return fail(f, VU_E_MISMATCH, "the back-end's offers changed since the first connection");
    if (r)
        ring_started(f, r->q);
    return VU_OK;
}

vu_err vu_front_send_only(vu_front *f, vu_msg *m)
{
    m->flags |= VU_VERSION;
    vu_err e = vu_send(f->sock, m, false, f->timeout_ms);
    return e == VU_OK ? e : fail(f, e, "sending %s", vu_request_name(m->request));
}

/* Reads what the back-end sent until f->rbuf holds need bytes: a poll
 * first (a reply just asked for is rarely there yet), then one read of all
 * there is. A reply with fds is refused (they are closed). */
static vu_err fill(vu_front *f, size_t need, long long deadline)
{
    while (f->rlen < need) {
        long long left = deadline - vu_now_ms();
        struct pollfd p = { .fd = f->sock, .events = POLLIN };
        int r = poll(&p, 1, left > 0 ? (int)left : 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return VU_E_TIMEOUT;
        if (r < 0 || (p.revents & POLLNVAL))
            return VU_E_IO;
        union { char b[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)]; struct cmsghdr align; } ctl;
        struct iovec iov = { f->rbuf + f->rlen, sizeof(f->rbuf) - f->rlen };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
        ssize_t n = recvmsg(f->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n > 0 && mh.msg_controllen == 0 && !(mh.msg_flags & MSG_CTRUNC)) {
            f->rlen += (unsigned)n;
            continue;
        }
        if (n > 0) {
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                    for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        close(fd);
                    }
            return VU_E_FDS;
        }
        if (n == 0)
            return VU_E_CLOSED;
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return errno == ECONNRESET ? VU_E_CLOSED : VU_E_IO;
    }
    return VU_OK;
}

vu_err vu_front_recv_reply(vu_front *f, uint32_t request, vu_msg *reply)
{
    const char *name = vu_request_name(request);
    long long deadline = vu_now_ms() + f->timeout_ms;
    vu_err e = fill(f, VU_HDR_SIZE, deadline);
    if (e == VU_OK)
        e = vu_decode_header(f->rbuf, VU_HDR_SIZE, true, reply);
    /* the header's size is bounded by the request's layout (at most a full
     * memory table), so the whole reply fits the buffer */
    size_t len = VU_HDR_SIZE + (e == VU_OK ? reply->size : 0);
    if (e == VU_OK)
        e = fill(f, len, deadline);
    if (e == VU_OK)
        e = vu_decode(f->rbuf, len, NULL, 0, true, reply);
    if (e != VU_OK) {
        f->rlen = 0; /* out of step: the connection is given up */
        return fail(f, e, "reply to %s", name);
    }
    f->rlen -= (unsigned)len;
    memmove(f->rbuf, f->rbuf + len, f->rlen);
    if (reply->request != request)
        return fail(f, VU_E_MISMATCH, "reply to %s", name);
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

void vu_front_hang_up(vu_front *f)
{
    if (f->sock >= 0)
        close(f->sock);
    f->sock = -1;
    f->rlen = 0;
    for (unsigned q = 0; q < VU_FRONT_MAX_QUEUES; q++) {
        f->vq[q].started = false;
        f->vq[q].err_set = false;
    }
}

void vu_front_close(vu_front *f)
{
    vu_front_hang_up(f);
    for (unsigned q = 0; q < VU_FRONT_MAX_QUEUES; q++) {
        vu_front_vq *v = &f->vq[q];
        if (v->kick >= 0) close(v->kick);
        if (v->call >= 0) close(v->call);
        if (v->err >= 0) close(v->err);
        *v = (vu_front_vq){ -1, -1, -1, false, false };
    }
}
