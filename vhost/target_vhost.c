/* Fuzz target: scenarios played into a vhost-user back-end process through
 * the executor (adapter_vhost.h): black-box fuzzing of a real back-end as
 * it is. The target owns the back-end: $VC_VHOST_BACKEND is a command that
 * serves vhost-user on the socket path given as its last argument (default:
 * vhost/backends/qemu-storage-daemon.sh); it is started at the first input,
 * dies with the fuzzer (PR_SET_PDEATHSIG), and a back-end that crashed is a
 * finding (crash tier) and is started afresh for the next input; so is one
 * that hung or stopped answering. The fuzzer itself goes on (its driver,
 * driver_vhost.c, records findings instead of crashing).
 *
 * With $VC_VHOST_FORKSRV=1 the back-end is its own fork server (forksrv.c,
 * loaded with LD_PRELOAD): started once, it forks a child at its first
 * client, and a child that dies is replaced by a fork of the same state,
 * which its reports through a pipe tell us about. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapter_vhost.h"
#include "exec.h"
#include "forksrv.h"
#include "target.h"
#include "target_vhost.h"
#include "vh_diff.h"
#include "vu_sock.h"

const char *const vc_target_name = "vhost";

static pid_t backend;
static char sock[256];
static double backend_cpu_s; /* of the back-ends that ended */
static unsigned long restarts, forks;
/* the fork server's reports (-1: none), and its child that serves now (0:
 * none known: the back-end process serves, or a fork is under way) */
static int fs_pipe = -1;
static pid_t fs_child;
static bool fs_forked; /* a child was seen: the next one replaces it */

/* CPU seconds a back-end has used so far, from /proc (its waited-for
 * children too); 0 when it cannot be read. */
static double cpu_of(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
    if (fp)
        fclose(fp);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    unsigned long long t[4] = { 0 };
    /* fields 14-17 (utime, stime, cutime, cstime) follow state and ten more */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &t[0], &t[1], &t[2],
                     &t[3]) != 4)
        return 0;
    return (double)(t[0] + t[1] + t[2] + t[3]) / (double)sysconf(_SC_CLK_TCK);
}

/* Reaps the back-end if it ended (hang: wait for it), its CPU time
 * counted; true when it did. */
static bool reap(int *status, bool hang)
{
    struct rusage ru;
    if (backend <= 0 || wait4(backend, status, hang ? 0 : WNOHANG, &ru) != backend)
        return false;
    backend_cpu_s += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    backend = 0;
    return true;
}

static void stop_backend(void)
{
    if (fs_child > 0) /* killed with its server, reaped by someone else */
        backend_cpu_s += cpu_of(fs_child);
    if (backend > 0) {
        kill(backend, SIGKILL);
        int st;
        reap(&st, true);
    }
    if (fs_pipe >= 0)
        close(fs_pipe);
    fs_pipe = -1;
    fs_child = 0; /* it dies with its server (PR_SET_PDEATHSIG) */
    fs_forked = false;
}

/* Reads the fork server's reports that are there; true when the child
 * serving died (*status: how). A child's START makes it the one watched. */
static bool fs_read(int *status)
{
    bool ended = false;
    forksrv_msg m[16];
    ssize_t n;
    while (fs_pipe >= 0 && (n = read(fs_pipe, m, sizeof(m))) > 0)
        for (size_t i = 0; i < (size_t)n / sizeof(m[0]); i++) {
            if (m[i].kind == FORKSRV_START) {
                forks += fs_forked; /* the first child is the start itself */
                fs_forked = true;
                fs_child = m[i].pid;
            } else if (m[i].kind == FORKSRV_END && m[i].pid == fs_child) {
                fs_child = 0;
                *status = m[i].status;
                ended = true;
            }
        }
    return ended;
}

/* After a child died: its successor listens (bounded), or the fork server
 * is given up (the next input starts the back-end afresh). A successor
 * that dies at once took the connection this input made after the crash
 * (its requests still queued): the same input's crash again, not reported
 * twice. */
static void fs_next(void)
{
    int ignored;
    for (int i = 0; i < 1000 && !fs_child; i++) { /* 2 s */
        struct pollfd p = { .fd = fs_pipe, .events = POLLIN };
        poll(&p, 1, 2);
        fs_read(&ignored);
        if (reap(&ignored, false))
            break;
    }
    if (!fs_child)
        stop_backend();
}

/* The state letter of the back-end's main thread, 0 if it cannot be read. */
static char state_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

/* After a hang-up: did the back-end die (true, *status says how)? A process
 * that dies closes its sockets while every thread is exiting: its main
 * thread seen asleep means it lives (it only dropped the connection). */
static bool died(int *status)
{
    for (int i = 0; i < 266; i++) { /* 50 ms */
        if (reap(status, false))
            return true;
        if (fs_read(status)) { /* the fork server's child */
            fs_next();
            return true;
        }
        char st = state_of(fs_child ? fs_child : backend);
        if (st == 'S' || st == 'T' || st == 't')
            return false;
        /* still busy: it gets the CPU now (where we share one), then 200 us
         * sleeps; a sleep first would leave the CPU idle meanwhile */
        if (i < 16)
            sched_yield();
        else
            usleep(200);
    }
    return reap(status, false);
}

void vh_fuzz_stats_print(unsigned long runs)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double own = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    /* a fork server's dead children are in its own count (waited for) */
    double be = backend_cpu_s + (backend > 0 ? cpu_of(backend) : 0) + (fs_child > 0 ? cpu_of(fs_child) : 0);
    const vu_adapter_stats *st = vu_adapter_stats_get();
    if (runs)
        fprintf(stderr,
                "vconform vhost: cpu per scenario: fuzzer %.0f us, back-end %.0f us (%lu scenarios, %lu back-end "
                "starts, %lu forks, %lu connections, %lu kicks, %lu waits ended idle, %lu looks)\n",
                own * 1e6 / (double)runs, be * 1e6 / (double)runs, runs, restarts, forks, st->connects, st->kicks,
                st->idle_ends, st->idle_checks);
}

/* Runs the back-end command with the socket path as its last argument.
 * Plain words are run as they are; anything a shell would read otherwise
 * (quotes, variables, redirections) goes through /bin/sh: a shell costs
 * every restart after a crash a process start of its own. */
static void exec_backend(const char *cmd)
{
    char words[1024], *argv[64];
    unsigned n = 0;
    if (strlen(cmd) < sizeof(words) && !strpbrk(cmd, "|&;<>()$`\\\"'*?[]#~=%{}\n")) {
        strcpy(words, cmd);
        for (char *w = strtok(words, " \t"); w && n + 2 < sizeof(argv) / sizeof(argv[0]); w = strtok(NULL, " \t"))
            argv[n++] = w;
    }
    if (n && !strtok(NULL, " \t")) {
        argv[n++] = sock;
        argv[n] = NULL;
        execvp(argv[0], argv);
        _exit(127);
    }
    char line[1024];
    snprintf(line, sizeof line, "exec %s %s", cmd, sock);
    execl("/bin/sh", "sh", "-c", line, (char *)NULL);
}

/* Starts the back-end and waits (bounded) for its socket. */
static bool start_backend(char *msg, size_t cap)
{
    const char *cmd = getenv("VC_VHOST_BACKEND");
    if (!cmd || !*cmd)
        cmd = VC_VHOST_DEFAULT_BACKEND;
    if (!sock[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(sock, sizeof sock, "%s/vc-vhost-%d.sock", dir && *dir ? dir : "/tmp", (int)getpid());
        atexit(stop_backend);
    }
    unlink(sock);
    restarts++;
    int fsp[2] = { -1, -1 };
    const char *fsv = getenv("VC_VHOST_FORKSRV");
    if (fsv && !strcmp(fsv, "1") && pipe2(fsp, O_CLOEXEC | O_NONBLOCK) != 0) {
        snprintf(msg, cap, "cannot make the fork server's pipe: %s", strerror(errno));
        return false;
    }
    backend = fork();
    if (backend == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* no back-end outlives its fuzzer */
        int out = fsp[1] >= 0 ? dup(fsp[1]) : -1; /* without O_CLOEXEC: it crosses exec */
        if (out >= 0) {
            char num[16], pre[2048];
            snprintf(num, sizeof(num), "%d", out);
            setenv(FORKSRV_ENV, num, 1);
            setenv(FORKSRV_SOCK_ENV, sock, 1);
            const char *old = getenv("LD_PRELOAD");
            snprintf(pre, sizeof(pre), "%s%s%s", VC_FORKSRV_LIB, old && *old ? ":" : "", old ? old : "");
            setenv("LD_PRELOAD", pre, 1);
        }
        /* A batch task too: woken by each piece of a round trip (every
         * message with fds is one), a normal one preempted us at once and
         * went back to sleep for the next piece, some seven wake-ups a
         * scenario; now it runs when we wait, and finds the whole round
         * trip there. Its work and its answers stay the same. */
        sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){ 0 });
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0 && !getenv("VC_VHOST_BACKEND_LOG")) {
            dup2(null, 1);
            dup2(null, 2);
            setenv("VC_VHOST_LOG_DISCARDED", "1", 1); /* the back-end may buffer what it writes */
        }
        exec_backend(cmd);
        _exit(127);
    }
    if (fsp[1] >= 0)
        close(fsp[1]);
    fs_pipe = fsp[0];
    fs_child = 0;
    if (backend < 0) {
        snprintf(msg, cap, "cannot fork the back-end: %s", strerror(errno));
        stop_backend();
        return false;
    }
    for (int i = 0; i < 5000; i++) { /* 10 s */
        struct stat st;
        int status;
        if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
            return true;
        if (reap(&status, false))
            break;
        usleep(2000);
    }
    snprintf(msg, cap, "back-end '%s' did not listen on %s", cmd, sock);
    stop_backend();
    return false;
}

/* Exit status 0: the back-end ended its session (virtiofsd serves one
 * connection and exits when it closes), no crash; the next input gets a
 * new one. */
static bool clean_exit(int st)
{
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The back-end's death (st as from waitpid) as a crash-tier finding. */
static void crash_finding(vc_fz_report *r, int st, const char *when)
{
    vc_fz_finding *x = &r->finding[r->nfindings++];
    *x = (vc_fz_finding){ .kind = "backend-crash", .req = NULL };
    if (WIFSIGNALED(st))
        snprintf(x->detail, sizeof(x->detail), "the back-end died of signal %d (%s)%s", WTERMSIG(st),
                 strsignal(WTERMSIG(st)), when);
    else
        snprintf(x->detail, sizeof(x->detail), "the back-end exited with status %d%s", WEXITSTATUS(st), when);
}

/* How long chains still out are waited for after the fence is answered:
 * $VC_VHOST_SETTLE_US, default 300 us (findings are replayed with the
 * tool's 20 ms at the end of fuzz/run.sh, so a slow completion taken for a
 * dropped chain here does not stand). */
static int settle_us(void)
{
    const char *v = getenv("VC_VHOST_SETTLE_US");
    long n = v && *v ? strtol(v, NULL, 10) : 300;
    return n >= 0 && n <= 60000000 ? (int)n : 300;
}

unsigned vc_target_run(const uint8_t *data, size_t size, char *msg, size_t cap)
{
    static vc_fz *fz;
    static vc_scenario s;
    static vc_fz_report r;
    static vh_diff diff; /* $VC_VHOST_DIFF names a reference model: the differential mode */
    const char *model = getenv("VC_VHOST_DIFF");
    msg[0] = 0;
    if (model && *model && !diff.model && !vh_diff_init(&diff, model)) {
        snprintf(msg, cap, "no reference model '%s'", model);
        return 1;
    }
    /* a back-end (or a fork server's child) that ended after the last
     * input was done with: a new one serves this input, and a death that
     * was no clean exit is told with it */
    int between_st = 0;
    bool between = fs_read(&between_st);
    if (between)
        fs_next();
    else if (fs_pipe < 0 && reap(&between_st, false)) /* it ended; started afresh below */
        between = true;
    between = between && !clean_exit(between_st);
    if (!backend || vu_adapter_gone()) {
        stop_backend();
        if (!start_backend(msg, cap))
            return 1;
        vc_fz_free(fz);
        const char *q = getenv("VC_VHOST_QUEUE"); /* the queue played (net: 1, transmit) */
        const char *idle = getenv("VC_VHOST_IDLE"); /* 0: settle on time, not on the back-end's idleness */
        vu_adapter_configure(&(vu_adapter_opts){sock, 2000, settle_us(), diff.model ? diff.device_bits : 0,
                                                 q ? (unsigned)atoi(q) % 8 : 0, !idle || strcmp(idle, "0") != 0});
        fz = NULL;
    }
    if (!fz && !(fz = vc_fz_new(&vc_adapter_vhost, false))) {
        snprintf(msg, cap, "cannot set up the executor");
        return 1;
    }
    vc_scn_decode(data, size, &s);
    unsigned n = vc_fz_run(fz, &s, &r);
    vc_fz_finding notes[8];
    unsigned k = vu_adapter_end_run(notes, 8);
    for (unsigned i = 0; i < k && r.nfindings < VC_FZ_MAX_FINDINGS; i++)
        r.finding[r.nfindings++] = notes[i];
    /* a divergence the back-end's own findings explain adds nothing to them
     * (replay --diff prints it all the same) */
    /* a hang-up may be the back-end's death: told apart here, where the
     * process is ours, so the input that killed it gets the finding */
    if (vu_adapter_hung_up() && backend > 0 && r.nfindings < VC_FZ_MAX_FINDINGS) {
        int st = 0;
        if (died(&st) && !clean_exit(st)) {
            crash_finding(&r, st, "");
            vc_fz_format(&r, NULL, msg, cap);
            return n + k + 1;
        }
    }
    if (between && r.nfindings < VC_FZ_MAX_FINDINGS)
        crash_finding(&r, between_st, " between inputs (this one or the one before)");
    unsigned d = 0;
    if (diff.model && !vu_adapter_gone() && r.nfindings == 0 && vu_adapter_followed() &&
        vh_diff_run(&diff, &s, vu_adapter_device_features(), &r, k, &r.finding[r.nfindings])) {
        r.nfindings++;
        d = 1;
    }
    if (vu_adapter_gone() && r.nfindings < VC_FZ_MAX_FINDINGS)
        r.finding[r.nfindings++] = (vc_fz_finding){.kind = "backend-crash", .req = NULL,
                                                   .detail = "the back-end left and cannot be reached"};
    /* one that hung or stopped answering would cost every later input the
     * whole timeout: started afresh (the finding stays with this input) */
    for (unsigned i = 0; i < r.nfindings && backend > 0; i++)
        if (!strcmp(r.finding[i].kind, "hang") || !strcmp(r.finding[i].kind, "backend-unreachable"))
            stop_backend();
    vc_fz_format(&r, NULL, msg, cap);
    return n + k + d + (vu_adapter_gone() ? 1 : 0) + (between ? 1 : 0);
}
