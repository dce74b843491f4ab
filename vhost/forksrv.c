/* A fork server for a vhost-user back-end process, loaded with LD_PRELOAD
 * by the fuzz target (target_vhost.c, $VC_VHOST_FORKSRV).
 *
 * A back-end the fuzzer crashes has to be started again; qemu-storage-daemon
 * takes some 10 ms of CPU for that, and a run that re-finds a known crash
 * restarted it a thousand times a minute. Here the back-end starts once: at
 * its first accept() on its listening socket it becomes a fork server, and
 * each child it forks accepts and serves connections from that same state,
 * the one a fresh process has when its first client arrives. A child that
 * dies is replaced by a new fork (well under a millisecond).
 *
 * Reports go to the fuzz target through the pipe $VC_FORKSRV_FD, one
 * forksrv_msg each, atomic (shorter than PIPE_BUF): a child says START once
 * it listens (from then on, SO_PEERCRED on a new connection names it, so
 * the target's idleness watch follows the child), the server says END with
 * the child's wait status when it died. A back-end that never calls
 * accept() this way (a static binary, another system call) is simply not
 * served by forks: no report ever comes, and the target restarts it whole.
 * The server ends with the target (the pipe loses its reader).
 *
 * What a child inherits that a fresh process would not have: anything the
 * back-end did before its first client (threads other than the caller are
 * not forked; QEMU's RCU thread is re-created by QEMU's own fork handler),
 * and the scratch image, which is shared by all children. A back-end that
 * accepts on another thread than its main one is not served by forks. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forksrv.h"

typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int accept(int fd, struct sockaddr *addr, socklen_t *len);

static int serving = -1; /* -1: not decided yet; 0: no fork server; 1: a child that serves */

/* A report; a server whose target is gone (the pipe has no reader) ends. */
static void report(int out, int kind, pid_t pid, int status)
{
    forksrv_msg m = { kind, (int)pid, status };
    while (write(out, &m, sizeof(m)) < 0)
        if (errno != EINTR)
            _exit(kind == FORKSRV_END ? 0 : 125);
}

/* The first accept(): forks children until one returns to serve; the
 * server itself never returns (it exits when the target's pipe closes or a
 * fork fails, and the listening socket with it). */
static void become_server(int lfd)
{
    serving = 0;
    const char *v = getenv(FORKSRV_ENV);
    char *end;
    long out = v && *v ? strtol(v, &end, 10) : -1;
    if (out < 0 || *end || fcntl((int)out, F_GETFD) < 0)
        return;
    /* only the vhost-user socket: a back-end may accept on others first
     * (a monitor), whose children would serve the wrong thing */
    const char *want = getenv(FORKSRV_SOCK_ENV);
    struct sockaddr_un a;
    socklen_t al = sizeof(a);
    memset(&a, 0, sizeof(a));
    if (getsockname(lfd, (struct sockaddr *)&a, &al) != 0 || a.sun_family != AF_UNIX ||
        (want && strncmp(a.sun_path, want, sizeof(a.sun_path)) != 0)) {
        serving = -1; /* not this one: the next accept() may be on it */
        return;
    }
    /* a back-end that accepts on a thread of its own (DPDK's vhost library)
     * keeps its work on other threads, which a fork would leave behind */
    if (gettid() != getpid())
        return;
    unsetenv(FORKSRV_ENV); /* not the business of whatever the back-end runs */
    unsetenv(FORKSRV_SOCK_ENV);
    pid_t server = getpid();
    for (;;) {
        pid_t c = fork();
        if (c == 0) {
            serving = 1;
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != server)
                _exit(0);
            /* listening again makes connections made from now on carry
             * this child's credentials (Linux sets them at listen()) */
            listen(lfd, SOMAXCONN);
            report((int)out, FORKSRV_START, getpid(), 0);
            close((int)out);
            return;
        }
        if (c < 0)
            _exit(125);
        int st;
        while (waitpid(c, &st, 0) < 0)
            if (errno != EINTR)
                _exit(125);
        report((int)out, FORKSRV_END, c, st);
    }
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    static accept4_fn next;
    if (!next)
        next = (accept4_fn)dlsym(RTLD_NEXT, "accept4");
    if (serving < 0)
        become_server(fd);
    return next(fd, addr, len, flags);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    return accept4(fd, addr, len, 0);
}
