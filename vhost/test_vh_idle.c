/* The idleness probe (vh_idle.h) on child processes whose state we know: one
 * asleep, one spinning, one with a spinning second thread, one gone; and
 * the batch sender: a message with fds starts a send of its own, so each
 * receiver gets its fds with its own header. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vc_test.h"
#include "vh_idle.h"
#include "vu_sock.h"

static void *spin(void *arg)
{
    (void)arg;
    for (volatile unsigned long i = 0;; i++)
        ;
    return NULL;
}

/* mode 0: sleeps; 1: spins; 2: main sleeps, a second thread spins */
static pid_t child(int mode)
{
    pid_t p = fork();
    if (p == 0) {
        if (mode == 1)
            spin(NULL);
        if (mode == 2) {
            pthread_t t;
            pthread_create(&t, NULL, spin, NULL);
        }
        for (;;)
            pause();
    }
    usleep(50 * 1000); /* settled in its state */
    return p;
}

static void end(pid_t p)
{
    kill(p, SIGKILL);
    waitpid(p, NULL, 0);
}

VC_TEST(asleep_is_idle)
{
    pid_t p = child(0);
    vh_idle w;
    VC_CHECK(vh_idle_open(&w, p));
    VC_CHECK_EQ(vh_idle_check(&w), 1);
    vh_idle_close(&w);
    end(p);
}

VC_TEST(running_is_busy)
{
    pid_t p = child(1);
    vh_idle w;
    VC_CHECK(vh_idle_open(&w, p));
    VC_CHECK_EQ(vh_idle_check(&w), 0);
    vh_idle_close(&w);
    end(p);
}

VC_TEST(a_busy_thread_makes_it_busy)
{
    pid_t p = child(2);
    vh_idle w;
    VC_CHECK(vh_idle_open(&w, p));
    VC_CHECK_EQ(vh_idle_check(&w), 0);
    vh_idle_close(&w);
    end(p);
}

VC_TEST(gone_cannot_tell)
{
    pid_t p = child(0);
    vh_idle w;
    VC_CHECK(vh_idle_open(&w, p));
    end(p);
    VC_CHECK_EQ(vh_idle_check(&w), -1);
    vh_idle_close(&w);
    VC_CHECK(!vh_idle_open(&w, p));
    VC_CHECK(!vh_idle_open(&w, 0));
}

VC_TEST(batch_keeps_fds_with_their_message)
{
    int sv[2], p[2];
    VC_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    VC_CHECK_EQ(pipe(p), 0);
    vu_msg m[4] = {
        { .request = VU_SET_VRING_NUM, .flags = VU_VERSION, .u.state = { 0, 8 } },
        { .request = VU_SET_VRING_KICK, .flags = VU_VERSION, .u.u64 = 0, .nfds = 1, .fds = { p[0] } },
        { .request = VU_SET_VRING_CALL, .flags = VU_VERSION, .u.u64 = 0, .nfds = 1, .fds = { p[1] } },
        { .request = VU_SET_VRING_ENABLE, .flags = VU_VERSION, .u.state = { 0, 1 } },
    };
    unsigned sent = 0;
    VC_CHECK_EQ(vu_send_batch(sv[0], m, 4, 1000, &sent), VU_OK);
    VC_CHECK_EQ(sent, 4);
    unsigned want_fds[4] = { 0, 1, 1, 0 };
    for (unsigned i = 0; i < 4; i++) {
        vu_msg r;
        VC_CHECK_EQ(vu_recv(sv[1], &r, false, 1000), VU_OK);
        VC_CHECK_EQ(r.request, m[i].request);
        VC_CHECK_EQ(r.nfds, want_fds[i]);
        vu_msg_close_fds(&r);
    }
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    return vc_test_main();
}
