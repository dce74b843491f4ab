/* Back-end idleness from /proc (see vh_idle.h). The stat files stay open
 * and are read again with pread (the kernel writes them afresh at each
 * read); the thread list is read again when the process's thread count
 * changes or a thread's file fails (it exited). */
#define _GNU_SOURCE
#include "vh_idle.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The state letter and, when nthreads is given, the thread count (field
 * 20) of a stat line "pid (comm) S ..."; comm may hold spaces and ')'.
 * 0: not a stat line. */
static char parse_stat(const char *s, long *nthreads)
{
    const char *p = strrchr(s, ')');
    if (!p || p[1] != ' ' || !p[2])
        return 0;
    char state = p[2];
    if (nthreads) {
        p += 2; /* field 3 */
        for (int field = 3; field < 20 && p; field++) {
            p = strchr(p, ' ');
            if (p)
                p++;
        }
        *nthreads = p ? strtol(p, NULL, 10) : -1;
    }
    return state;
}

/* Reads an open stat file afresh; 0 when it fails (the thread is gone). */
static char read_state(int fd, long *nthreads)
{
    char buf[512];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    return parse_stat(buf, nthreads);
}

/* Asleep, stopped or dead: it does nothing by itself. */
static bool resting(char state)
{
    return state && strchr("STtZXIP", state) != NULL;
}

static void close_tasks(vh_idle *w)
{
    for (unsigned i = 0; i < w->n; i++)
        close(w->task[i]);
    w->n = 0;
}

/* The one CPU tid may run on, or -1 (0: this thread). */
static int only_cpu(pid_t tid)
{
    cpu_set_t set;
    if (sched_getaffinity(tid, sizeof(set), &set) != 0 || CPU_COUNT(&set) != 1)
        return -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            return c;
    return -1;
}

/* Opens the stat file of every thread but the main one. */
static bool scan_tasks(vh_idle *w)
{
    close_tasks(w);
    w->rescans++;
    int cpu = only_cpu(0);
    w->one_cpu = cpu >= 0 && only_cpu(w->pid) == cpu;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)w->pid);
    DIR *d = opendir(path);
    if (!d)
        return false;
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        long tid = strtol(e->d_name, NULL, 10);
        if (tid <= 0 || tid == w->pid)
            continue;
        if (w->n == VH_IDLE_MAX_THREADS) {
            ok = false;
            break;
        }
        snprintf(path, sizeof(path), "/proc/%d/task/%ld/stat", (int)w->pid, tid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            w->task[w->n++] = fd; /* one that exited meanwhile is simply not there */
        if (fd >= 0 && only_cpu((pid_t)tid) != cpu)
            w->one_cpu = false;
    }
    closedir(d);
    return ok;
}

bool vh_idle_open(vh_idle *w, pid_t pid)
{
    memset(w, 0, sizeof(*w));
    w->stat = -1;
    if (pid <= 0)
        return false;
    char path[64];
    /* the main thread's own file: the process's (/proc/PID/stat) adds up
     * every thread, some ten times the cost; the thread count is in both */
    snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)pid);
    w->stat = open(path, O_RDONLY | O_CLOEXEC);
    w->pid = pid;
    if (w->stat < 0 || read_state(w->stat, NULL) == 0 || !scan_tasks(w)) {
        vh_idle_close(w);
        return false;
    }
    return true;
}

void vh_idle_close(vh_idle *w)
{
    close_tasks(w);
    if (w->stat >= 0)
        close(w->stat);
    w->stat = -1;
    w->pid = 0;
}

/* One look at every thread: 1 all resting, 0 one busy, -1 cannot tell,
 * 2 the thread list changed (look again). */
static int pass(vh_idle *w)
{
    long nthreads = -1;
    char main_state = read_state(w->stat, &nthreads);
    if (main_state == 0 || nthreads < 1)
        return -1; /* the process is gone */
    if (!resting(main_state))
        return 0;
    /* the thread count changed: a thread came or went, list them again */
    if ((unsigned long)nthreads != w->n + 1u)
        return scan_tasks(w) ? 2 : -1;
    for (unsigned i = 0; i < w->n; i++) {
        char s = read_state(w->task[i], NULL);
        if (s == 0) /* it exited since the list was made: another may have come */
            return scan_tasks(w) ? 2 : -1;
        if (!resting(s))
            return 0;
    }
    return 1;
}

int vh_idle_check(vh_idle *w)
{
    if (!w->pid)
        return -1;
    w->checks++;
    /* Twice where it may run while we look: a thread that hands work to
     * one looked at before it (wakes it) and then sleeps would otherwise
     * pass for idle with the work still to do; the second look finds the
     * woken one running. */
    int seen = 0, want = w->one_cpu ? 1 : 2;
    for (int tries = 0; tries < 6 && seen < want; tries++) {
        int r = pass(w);
        if (r <= 0)
            return r;
        seen = r == 1 ? seen + 1 : 0;
    }
    return seen == want ? 1 : 0;
}
