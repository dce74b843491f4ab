/* vhost-user transport: bounded sends and receives with fd passing. */
#define _GNU_SOURCE
#include "vu_sock.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

long long vu_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

long long vu_now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

void vu_msg_close_fds(vu_msg *m)
{
    for (unsigned i = 0; i < m->nfds; i++)
        if (m->fds[i] >= 0)
            close(m->fds[i]);
    m->nfds = 0;
}

/* Waits until sock is ready for events or the deadline passes. */
static vu_err wait_ready(int sock, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - vu_now_ms();
        if (left < 0)
            left = 0;
        struct pollfd p = { .fd = sock, .events = events };
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return (p.revents & events) ? VU_OK : (p.revents & POLLHUP) ? VU_E_CLOSED : VU_E_IO;
        if (n == 0)
            return VU_E_TIMEOUT;
        if (errno != EINTR)
            return VU_E_IO;
    }
}

typedef union fd_ctl {
    char b[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
    struct cmsghdr align;
} fd_ctl;

/* Points mh's control at ctl holding fds (none: no control). */
static void attach_fds(struct msghdr *mh, fd_ctl *ctl, const int *fds, unsigned nfds)
{
    if (!nfds)
        return;
    memset(ctl, 0, sizeof(*ctl));
    mh->msg_control = ctl->b;
    mh->msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr *c = CMSG_FIRSTHDR(mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
}

static vu_err send_errno(int err)
{
    return err == EPIPE || err == ECONNRESET ? VU_E_CLOSED : VU_E_IO;
}

/* Sends len bytes from off on, the fds with byte 0 (when off is 0). */
static vu_err send_bytes(int sock, const uint8_t *buf, size_t off, size_t len, const int *fds, unsigned nfds,
                         long long deadline)
{
    vu_err e;
    fd_ctl ctl;
    while (off < len) {
        struct iovec iov = { (void *)(buf + off), len - off };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (off == 0) /* the fds travel with the first byte */
            attach_fds(&mh, &ctl, fds, nfds);
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if ((e = wait_ready(sock, POLLOUT, deadline)) != VU_OK)
                return e;
            continue;
        }
        return send_errno(errno);
    }
    return VU_OK;
}

vu_err vu_send(int sock, vu_msg *m, bool reply, int timeout_ms)
{
    uint8_t buf[VU_MAX_MSG];
    size_t len;
    vu_err e = vu_encode(m, reply, buf, sizeof(buf), &len);
    if (e != VU_OK)
        return e;
    return send_bytes(sock, buf, 0, len, m->fds, m->nfds, vu_now_ms() + timeout_ms);
}

vu_err vu_send_batch(int sock, vu_msg *m, unsigned n, int timeout_ms, unsigned *sent)
{
    uint8_t buf[VU_BATCH_MAX * VU_MAX_MSG];
    size_t at[VU_BATCH_MAX + 1];
    *sent = 0;
    if (n > VU_BATCH_MAX)
        return VU_E_VALUE;
    at[0] = 0;
    for (unsigned i = 0; i < n; i++) {
        size_t len;
        vu_err e = vu_encode(&m[i], false, buf + at[i], VU_MAX_MSG, &len);
        if (e != VU_OK)
            return e;
        at[i + 1] = at[i] + len;
    }
    /* groups: a message with fds and those without fds after it */
    unsigned first[VU_BATCH_MAX + 1], ng = 0;
    for (unsigned i = 0; i < n; i++)
        if (i == 0 || m[i].nfds)
            first[ng++] = i;
    first[ng] = n;
    struct mmsghdr mv[VU_BATCH_MAX];
    struct iovec iov[VU_BATCH_MAX];
    fd_ctl ctl[VU_BATCH_MAX];
    memset(mv, 0, sizeof(mv[0]) * ng);
    for (unsigned g = 0; g < ng; g++) {
        unsigned i = first[g];
        iov[g] = (struct iovec){ buf + at[i], at[first[g + 1]] - at[i] };
        mv[g].msg_hdr.msg_iov = &iov[g];
        mv[g].msg_hdr.msg_iovlen = 1;
        attach_fds(&mv[g].msg_hdr, &ctl[g], m[i].fds, m[i].nfds);
    }
    /* One system call for all of them: a back-end woken by the first bytes
     * runs (it preempts us) only when the call returns, and finds the whole
     * batch, where a call per group woke it once per group. */
    long long deadline = vu_now_ms() + timeout_ms;
    for (unsigned g = 0; g < ng;) {
        int k = sendmmsg(sock, mv + g, ng - g, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            vu_err e = wait_ready(sock, POLLOUT, deadline);
            if (e != VU_OK)
                return e;
            continue;
        }
        if (k <= 0)
            return send_errno(errno);
        /* a group cut short (the socket filled up) is finished on its own;
         * one cut short before the last sent would have the stream out of order */
        for (int j = 0; j < k; j++) {
            unsigned gg = g + (unsigned)j;
            size_t len = iov[gg].iov_len;
            if (mv[gg].msg_len < len && j + 1 < k)
                return VU_E_IO;
            if (mv[gg].msg_len < len) {
                vu_err e = send_bytes(sock, iov[gg].iov_base, mv[gg].msg_len, len, NULL, 0, deadline);
                if (e != VU_OK)
                    return e;
            }
            *sent = first[gg + 1];
        }
        g += (unsigned)k;
    }
    return VU_OK;
}

/* Takes the fds of one control message into m; true when they all fit. */
static bool take_fds(struct msghdr *mh, vu_msg *m)
{
    bool fit = !(mh->msg_flags & MSG_CTRUNC);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (m->nfds < VU_MAX_FDS)
                m->fds[m->nfds++] = fd;
            else {
                close(fd);
                fit = false;
            }
        }
    }
    return fit;
}

/* Reads exactly len bytes before the deadline, collecting fds on the way. */
static vu_err read_exact(int sock, uint8_t *buf, size_t len, long long deadline, vu_msg *m,
                         bool *fds_ok)
{
    size_t off = 0;
    while (off < len) {
        union { char b[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)]; struct cmsghdr align; } ctl;
        struct iovec iov = { buf + off, len - off };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                             .msg_controllen = sizeof(ctl.b) };
        ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n > 0) {
            if (!take_fds(&mh, m))
                *fds_ok = false;
            off += (size_t)n;
            continue;
        }
        if (n == 0)
            return VU_E_CLOSED;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return errno == ECONNRESET ? VU_E_CLOSED : VU_E_IO;
        vu_err e = wait_ready(sock, POLLIN, deadline);
        if (e != VU_OK)
            return e;
    }
    return VU_OK;
}

vu_err vu_recv(int sock, vu_msg *m, bool reply, int timeout_ms)
{
    uint8_t buf[VU_MAX_MSG];
    long long deadline = vu_now_ms() + timeout_ms;
    vu_msg got = { .nfds = 0 };
    bool fds_ok = true;
    vu_err e = read_exact(sock, buf, VU_HDR_SIZE, deadline, &got, &fds_ok);
    if (e == VU_OK)
        e = vu_decode_header(buf, VU_HDR_SIZE, reply, m);
    /* the header's size is bounded by the request's layout: at most a full
     * memory table, so the payload always fits buf */
    if (e == VU_OK)
        e = read_exact(sock, buf + VU_HDR_SIZE, m->size, deadline, &got, &fds_ok);
    if (e == VU_OK && !fds_ok)
        e = VU_E_FDS;
    if (e == VU_OK)
        e = vu_decode(buf, VU_HDR_SIZE + m->size, got.fds, got.nfds, reply, m);
    if (e != VU_OK) {
        vu_msg_close_fds(&got);
        m->nfds = 0;
    }
    return e;
}
