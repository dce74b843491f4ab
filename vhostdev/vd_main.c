/* vconform-vhost-dev: the reference device served to QEMU as a vhost-user
 * back-end; every driver fault it sees is written to a JSON Lines log.
 *
 *   vconform-vhost-dev --socket PATH --device rng|blk|scsi|input|net [options]
 *
 * It listens on PATH (created under a temporary name and renamed into
 * place once listening, so a front-end that finds the path can connect),
 * serves one connection (--connections N: N, each on a fresh device; 0 no
 * limit) and exits when the front-end hangs up, or on SIGTERM. Exit status: 0 no driver fault, 1 driver faults logged, 2 could
 * not run. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vd_back.h"
#include "vd_opts.h"
#include "vu_sock.h"

#define MSG_TIMEOUT_MS 2000 /* for the rest of a message once its first byte came */

static volatile sig_atomic_t stop_signal;
static bool trace; /* --trace: every request on standard error */

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void catch_signals(void)
{
    struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: poll returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Listens on path: bound under a temporary name, then renamed. */
static int listen_at(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    char tmp[sizeof(a.sun_path)];
    if (snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >= (int)sizeof(tmp)) {
        fprintf(stderr, "vconform-vhost-dev: socket path too long (unix sockets take %zu bytes)\n",
                sizeof(a.sun_path) - 12);
        return -1;
    }
    memcpy(a.sun_path, tmp, strlen(tmp) + 1);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(tmp);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 1) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "vconform-vhost-dev: %s: %s\n", path, strerror(errno));
        if (s >= 0)
            close(s);
        unlink(tmp);
        return -1;
    }
    return s;
}

/* Waits for the front-end; -1 on a signal or after timeout_ms (0: none). */
static int accept_one(int ls, int timeout_ms)
{
    long long end = vu_now_ms() + timeout_ms;
    while (!stop_signal) {
        struct pollfd p = { .fd = ls, .events = POLLIN };
        long long left = timeout_ms ? end - vu_now_ms() : -1;
        if (timeout_ms && left <= 0)
            return -1;
        if (poll(&p, 1, (int)left) > 0)
            return accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    }
    return -1;
}

/* One message from the front-end, answered. false: the connection ends
 * (why says so). */
static bool serve_message(vd_back *b, int conn, char *why, size_t cap)
{
    vu_msg m, reply;
    vu_err e = vu_recv(conn, &m, false, MSG_TIMEOUT_MS);
    if (e == VU_E_CLOSED) {
        snprintf(why, cap, "the front-end closed the connection");
        return false;
    }
    if (e != VU_OK) {
        const char *name = vu_request_name(m.request);
        vd_front_fault(b, vu_err_name(e), "request %u (%s): %s", m.request, name ? name : "unknown",
                       vu_err_text(e));
        snprintf(why, cap, "bad message from the front-end (%s): disconnected", vu_err_name(e));
        return false;
    }
    if (trace)
        fprintf(stderr, "vconform-vhost-dev: %s flags 0x%x u64 0x%llx nfds %u\n", vu_request_name(m.request),
                m.flags, (unsigned long long)m.u.u64, m.nfds);
    bool has_reply, go_on = vd_back_handle(b, &m, &reply, &has_reply);
    if (has_reply && (e = vu_send(conn, &reply, true, MSG_TIMEOUT_MS)) != VU_OK) {
        snprintf(why, cap, "cannot answer the front-end: %s", vu_err_text(e));
        return false;
    }
    if (!go_on)
        snprintf(why, cap, "the front-end's request could not be served: disconnected");
    return go_on;
}

/* The poll loop: the connection first (ring set-up before kicks), then the
 * rings' kick eventfds. */
static void serve(vd_back *b, int conn, char *why, size_t cap)
{
    for (;;) {
        struct pollfd p[1 + VD_MAX_RINGS];
        unsigned ring_of[1 + VD_MAX_RINGS], n = 1;
        p[0] = (struct pollfd){ .fd = conn, .events = POLLIN };
        for (unsigned i = 0; i < b->nrings; i++)
            if (b->ring[i].kick >= 0) {
                ring_of[n] = i;
                p[n++] = (struct pollfd){ .fd = b->ring[i].kick, .events = POLLIN };
            }
        if (stop_signal) {
            snprintf(why, cap, "signal %d", (int)stop_signal);
            return;
        }
        if (poll(p, n, vd_back_tick_ms(b)) < 0) {
            if (errno == EINTR)
                continue;
            snprintf(why, cap, "poll: %s", strerror(errno));
            return;
        }
        if (p[0].revents) {
            if (!serve_message(b, conn, why, cap))
                return;
            continue; /* the rings may have changed under the other entries */
        }
        for (unsigned k = 1; k < n; k++) {
            unsigned q = ring_of[k];
            if (p[k].revents & (POLLERR | POLLHUP | POLLNVAL)) {
                vd_back_kick_gone(b, q);
            } else if (p[k].revents & POLLIN) {
                uint64_t v;
                if (read(b->ring[q].kick, &v, sizeof(v)) < 0 && errno != EAGAIN)
                    vd_back_kick_gone(b, q);
                else
                    vd_back_kick(b, q);
            }
        }
        vd_back_tick(b, vu_now_ms());
    }
}

/* Serves one connection on a fresh device; false when none came. */
static bool one_connection(const vd_opts *o, int ls, vd_log *log, uint64_t *faults)
{
    vd_back b;
    if (!vd_back_init(&b, o->type, &o->model, log)) {
        fprintf(stderr, "vconform-vhost-dev: the %s model refused its options\n", o->type->name);
        vd_log_end(log, "the model refused its options", 0, 0);
        vd_back_destroy(&b);
        return false;
    }
    b.modern_only = o->modern_only;
    b.offers_packed = o->offers_packed;
    b.offers_mtu = o->offers_mtu;
    b.provoke = o->provoke;
    int conn = accept_one(ls, o->accept_timeout_ms);
    char why[200] = "no front-end connected";
    if (conn >= 0)
        serve(&b, conn, why, sizeof(why));
    else if (stop_signal)
        snprintf(why, sizeof(why), "signal %d before a front-end connected", (int)stop_signal);
    vd_back_end(&b, why);
    *faults += b.faults;
    if (conn >= 0)
        close(conn);
    vd_back_destroy(&b);
    return conn >= 0;
}

int main(int argc, char **argv)
{
    vd_opts o;
    if (!vd_opts_parse(&o, argc, argv))
        return 2;
    FILE *out = o.log ? fopen(o.log, "w") : stdout;
    if (!out) {
        fprintf(stderr, "vconform-vhost-dev: %s: %s\n", o.log, strerror(errno));
        vd_opts_free(&o);
        return 2;
    }
    catch_signals();
    trace = o.trace;
    vd_log log;
    vd_log_start(&log, out, o.type->name, argc, argv);
    int rc = 2, ls = listen_at(o.socket);
    uint64_t faults = 0;
    if (ls < 0) {
        vd_log_end(&log, "cannot listen", 0, 0);
    } else {
        for (long n = 0; !stop_signal && (o.connections == 0 || n < o.connections); n++)
            if (!one_connection(&o, ls, &log, &faults))
                break;
        close(ls);
        unlink(o.socket);
        rc = faults ? 1 : 0;
    }
    if (out != stdout)
        fclose(out);
    vd_opts_free(&o);
    return rc;
}
