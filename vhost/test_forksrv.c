/* The fork server (forksrv.c) around a toy back-end: this test program run
 * again as "serve SOCKET", which listens and answers each client with its
 * pid ('p') or dies of SIGABRT ('c'). With the server's pipe, the first
 * client meets a child, the child's death is reported with its status, the
 * next child listens with new credentials; without the pipe, on another
 * socket or on a thread of its own, the library changes nothing; and the
 * children die with their server. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forksrv.h"
#include "vc_test.h"

static char self[4096], sockpath[108];

static int serve(const char *path)
{
    setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }); /* its SIGABRT leaves no core */
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 1) != 0)
        return 1;
    for (;;) {
        int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        char cmd;
        if (c < 0 || read(c, &cmd, 1) != 1) {
            if (c >= 0)
                close(c);
            continue;
        }
        if (cmd == 'c')
            abort();
        int pid = getpid();
        if (write(c, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
            return 1;
        close(c);
    }
}

static void *serve_thread(void *path)
{
    exit(serve(path));
}

/* Starts the toy back-end (with the fork server's pipe when fs is not
 * NULL: *fs then reads its reports; the server is meant for the socket
 * at path; mode "serve" or "serve-thread", which accepts on a thread). */
static pid_t start_as(int *fs, const char *path, const char *mode)
{
    unlink(sockpath);
    int p[2] = { -1, -1 };
    if (fs && pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        if (fs) {
            char num[16];
            snprintf(num, sizeof(num), "%d", dup(p[1]));
            setenv(FORKSRV_ENV, num, 1);
            setenv(FORKSRV_SOCK_ENV, path, 1);
        }
        setenv("LD_PRELOAD", VC_FORKSRV_LIB, 1);
        setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1); /* a sanitized build's runtime comes second */
        execl(self, self, mode, sockpath, (char *)NULL);
        _exit(127);
    }
    if (fs) {
        close(p[1]);
        *fs = p[0];
    }
    struct stat st;
    for (int i = 0; i < 500 && stat(sockpath, &st) != 0; i++)
        usleep(10000);
    return pid;
}

static pid_t start(int *fs, const char *path)
{
    return start_as(fs, path, "serve");
}

/* Asks for the pid of whoever serves (cmd 'p'), or makes it die ('c');
 * *peer: the pid SO_PEERCRED names. */
static int ask(char cmd, int *peer)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", sockpath);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(s);
        return -1;
    }
    struct ucred c;
    socklen_t len = sizeof(c);
    *peer = getsockopt(s, SOL_SOCKET, SO_PEERCRED, &c, &len) == 0 ? c.pid : -1;
    int pid = 0;
    if (write(s, &cmd, 1) != 1 || (cmd == 'p' && read(s, &pid, sizeof(pid)) != (ssize_t)sizeof(pid)))
        pid = -1;
    close(s);
    return pid;
}

/* The next report (2 s at most); kind 0 when none came. */
static forksrv_msg next_report(int fd)
{
    forksrv_msg m = { 0, 0, 0 };
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, 2000) == 1 && read(fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
        m.kind = 0;
    return m;
}

VC_TEST(forks_a_child_per_death)
{
    int fs = -1, peer;
    pid_t server = start(&fs, sockpath);
    VC_CHECK(server > 0);
    int first = ask('p', &peer);
    forksrv_msg m = next_report(fs);
    VC_CHECK_EQ(m.kind, FORKSRV_START);
    VC_CHECK_EQ(m.pid, first);
    VC_CHECK(first > 0 && first != server); /* a child serves */
    VC_CHECK_EQ(ask('p', &peer), first);    /* and goes on serving */
    VC_CHECK_EQ(peer, first);               /* its credentials on the socket */
    ask('c', &peer);
    m = next_report(fs);
    VC_CHECK_EQ(m.kind, FORKSRV_END);
    VC_CHECK_EQ(m.pid, first);
    VC_CHECK(WIFSIGNALED(m.status) && WTERMSIG(m.status) == SIGABRT);
    m = next_report(fs);
    VC_CHECK_EQ(m.kind, FORKSRV_START);
    int second = m.pid;
    VC_CHECK(second > 0 && second != first);
    VC_CHECK_EQ(ask('p', &peer), second);
    VC_CHECK_EQ(peer, second);
    /* the server gone, its child goes too */
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    int alive = 1;
    for (int i = 0; i < 200 && alive; i++, usleep(10000))
        alive = kill(second, 0) == 0;
    VC_CHECK(!alive);
    close(fs);
}

/* The process serves as it would without the library. */
static void served_alone(pid_t server)
{
    int peer;
    VC_CHECK(server > 0);
    VC_CHECK_EQ(ask('p', &peer), server);
    VC_CHECK_EQ(peer, server);
    ask('c', &peer);
    /* it dies (a fork server would live on: bounded, then killed) */
    int st = 0;
    pid_t r = 0;
    for (int i = 0; i < 500 && r == 0; i++, r == 0 ? usleep(10000) : 0)
        r = waitpid(server, &st, WNOHANG);
    if (r == 0) {
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
    }
    VC_CHECK_EQ(r, server);
    VC_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}

VC_TEST(without_the_pipe_nothing_changes)
{
    served_alone(start(NULL, sockpath));
}

VC_TEST(a_back_end_that_accepts_on_a_thread_is_not_served)
{
    int fs = -1;
    served_alone(start_as(&fs, sockpath, "serve-thread"));
    forksrv_msg m;
    VC_CHECK(read(fs, &m, sizeof(m)) <= 0);
    close(fs);
}

VC_TEST(another_socket_is_not_served)
{
    int fs = -1;
    served_alone(start(&fs, "/nonexistent/other.sock"));
    forksrv_msg m;
    VC_CHECK(read(fs, &m, sizeof(m)) <= 0); /* never a report */
    close(fs);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "serve"))
        return serve(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "serve-thread")) {
        pthread_t t;
        if (pthread_create(&t, NULL, serve_thread, argv[2]) != 0)
            return 1;
        pthread_join(t, NULL);
        return 1;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return 1;
    self[n] = 0;
    snprintf(sockpath, sizeof(sockpath), "/tmp/vc-forksrv-test-%d.sock", (int)getpid());
    int rc = vc_test_main();
    unlink(sockpath);
    return rc;
}
