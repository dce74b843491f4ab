/* Scenario replay against a vhost-user back-end (see replay.h). Each finding
 * is printed with its tier: "device" (the back-end broke a device rule),
 * "should" (a device SHOULD), "tolerated" (it accepted what a driver must
 * not do: legitimate, listed apart), "liveness" (chains it never returned,
 * a hang) and "crash" (it left and cannot be reached again). */
#include "replay.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "adapter_vhost.h"
#include "exec.h"
#include "scenario.h"
#include "vh_diff.h"
#include "vu_front.h"
#include "vu_sock.h"

#define VH_MAX_INPUT (1u << 20)

typedef struct input { char *path; uint8_t *data; size_t size; } input;

typedef struct inputs { input *v; unsigned n, cap; } inputs;

static bool add_file(inputs *in, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    uint8_t *buf = malloc(VH_MAX_INPUT);
    size_t n = buf ? fread(buf, 1, VH_MAX_INPUT, fp) : 0;
    bool bad = !buf || ferror(fp);
    fclose(fp);
    if (bad || (in->n == in->cap && !(in->v = realloc(in->v, (in->cap = in->cap * 2 + 16) * sizeof(input))))) {
        free(buf);
        return false;
    }
    in->v[in->n++] = (input){ strdup(path), buf, n };
    return true;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static bool add_arg(inputs *in, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return false;
    if (!S_ISDIR(st.st_mode))
        return add_file(in, path);
    struct dirent **names;
    int n = scandir(path, &names, NULL, by_name);
    if (n < 0)
        return false;
    bool ok = true;
    for (int i = 0; i < n; i++) {
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", path, names[i]->d_name);
        if (names[i]->d_name[0] != '.' && stat(p, &st) == 0 && S_ISREG(st.st_mode))
            ok = add_file(in, p) && ok;
        free(names[i]);
    }
    free(names);
    return ok;
}

static const char *tier(const vc_fz_finding *x)
{
    if (!strcmp(x->kind, "divergence"))
        return "differential";
    if (x->req && !strncmp(x->req, "drv.", 4))
        return "tolerated";
    if (!strcmp(x->kind, "backend-unreachable"))
        return "crash";
    if (!strcmp(x->kind, "unneeded-notification"))
        return "should";
    if (!strcmp(x->kind, "chain-not-returned") || !strcmp(x->kind, "chain-not-used") ||
        !strcmp(x->kind, "hang") || !strcmp(x->kind, "backend-left"))
        return "liveness";
    return "device";
}

static void print(const char *path, const vc_fz_finding *x)
{
    printf("%s: %s [%s] (%s): %s\n", path, x->kind, x->req ? x->req : "-", tier(x), x->detail);
}

static const char *sock_path;

/* Somebody serves the socket: it accepts a connection and answers a
 * question on it (a back-end that died refuses, or its socket is gone; one
 * still dying may accept into the backlog but never answers). Bounded:
 * a few tries over 50 ms, a second for the answer. */
static bool backend_listens(void)
{
    for (int i = 0; i < 5; i++) {
        vu_front f;
        vu_front_init(&f, 1000);
        vu_err e = vu_front_connect(&f, sock_path, 0);
        if (e == VU_OK) {
            vu_msg m = { .request = VU_GET_FEATURES, .flags = VU_VERSION }, r;
            e = vu_front_request(&f, &m, &r);
            vu_front_close(&f);
            return e == VU_OK;
        }
        vu_front_close(&f);
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return false;
}

/* The back-end died on the input at path (when: after what). */
static void died(const char *path, const char *when)
{
    vc_fz_finding dv = { .kind = "backend-unreachable", .req = NULL };
    snprintf(dv.detail, sizeof(dv.detail), "%sthe back-end hung up and no longer accepts connections", when);
    print(path, &dv);
}

/* One scenario: the executor's findings, then the adapter's, then (with a
 * reference model) the divergence. */
static unsigned run_one(vc_fz *fz, vh_diff *diff, const input *in, bool quiet)
{
    static vc_scenario s;
    static vc_fz_report r;
    vc_scn_decode(in->data, in->size, &s);
    unsigned n = vc_fz_run(fz, &s, &r);
    for (unsigned i = 0; i < n && !quiet; i++)
        print(in->path, &r.finding[i]);
    vc_fz_finding notes[8];
    unsigned k = vu_adapter_end_run(notes, 8);
    for (unsigned i = 0; i < k && !quiet; i++)
        print(in->path, &notes[i]);
    vc_fz_finding dv;
    if (!quiet && vu_adapter_hung_up() && !backend_listens()) {
        /* it hung up and nobody listens any more: it died on this input */
        died(in->path, "");
        return n + k + 1;
    }
    if (diff && vu_adapter_followed() && vh_diff_run(diff, &s, vu_adapter_device_features(), &r, k, &dv)) {
        if (!quiet)
            print(in->path, &dv);
        k++;
    }
    return n + k;
}

int vh_replay(const char *sock, const char **paths, unsigned n, const vh_replay_opts *o)
{
    inputs in = { 0 };
    for (unsigned i = 0; i < n; i++)
        if (!add_arg(&in, paths[i])) {
            fprintf(stderr, "vconform-vhost: cannot read %s\n", paths[i]);
            return 2;
        }
    if (in.n == 0) {
        fprintf(stderr, "vconform-vhost: no scenario files in what was given\n");
        return 2;
    }
    static vh_diff diff;
    sock_path = sock;
    if (o->diff && !vh_diff_init(&diff, o->diff)) {
        fprintf(stderr, "vconform-vhost: no reference model '%s'\n", o->diff);
        return 2;
    }
    vu_adapter_configure(&(vu_adapter_opts){ sock, o->timeout_ms, o->settle_us, o->diff ? diff.device_bits : 0, o->queue,
                                             o->idle });
    vc_fz *fz = vc_fz_new(&vc_adapter_vhost, false);
    if (!fz) {
        fprintf(stderr, "vconform-vhost: cannot set up the executor\n");
        return 2;
    }
    unsigned with = 0, runs = 0, last = 0;
    long long t0 = vu_now_ms(), until = t0 + 1000ll * o->bench_s;
    for (unsigned i = 0; !vu_adapter_gone(); i++) {
        if (o->bench_s ? vu_now_ms() >= until : i >= in.n)
            break;
        last = run_one(fz, o->diff ? &diff : NULL, &in.v[i % in.n], o->bench_s > 0 && i >= in.n);
        with += last > 0 && i < in.n;
        runs++;
    }
    /* a death after the last verdict is the last input's (a reproducer
     * must show its crash however late it comes) */
    bool died_late = false;
    if (!o->bench_s && runs && !vu_adapter_gone() && !vu_adapter_answers() && !backend_listens()) {
        died(in.v[(runs - 1) % in.n].path, "after its run ended: ");
        with += last == 0;
        died_late = true;
    }
    double secs = (double)(vu_now_ms() - t0) / 1000.0;
    const vu_adapter_stats *st = vu_adapter_stats_get();
    printf("vconform-vhost replay: %u scenarios (%u files), %u with findings, %.0f scenarios/s; "
           "%lu kicks (%lu settled), %lu connections (%lu in one round trip), %lu disconnects, %lu late bytes\n",
           runs, in.n, with, secs > 0 ? runs / secs : 0.0, st->kicks, st->settled, st->connects, st->reopens,
           st->disconnects, st->late_bytes);
    printf("vconform-vhost replay: connections ended: %lu hang-ups, %lu runs with chains left out, "
           "%lu runs not followed, %lu fences unanswered, %lu restarts finding chains held\n",
           st->end_hangup, st->end_dropped, st->end_lost, st->end_silent, st->end_held);
    if (o->idle)
        printf("vconform-vhost replay: %lu waits ended with the back-end idle, %lu looks at its threads\n",
               st->idle_ends, st->idle_checks);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    if (o->bench_s && runs)
        printf("vconform-vhost replay: cpu (this process) %.0f us per scenario (user %.0f, system %.0f), "
               "%.1f context switches\n",
               cpu / runs, ((double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec) / runs,
               ((double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec) / runs,
               (double)(ru.ru_nvcsw + ru.ru_nivcsw) / runs);
    if (o->bench_s && runs)
        printf("vconform-vhost replay: per scenario, us: connect %.0f, rings %.0f, memory compare %.0f, "
               "kick waits %.0f, end waits %.0f, other %.0f\n",
               (double)st->us_connect / runs, (double)st->us_ring / runs, (double)st->us_mirror / runs,
               (double)st->us_wait / runs, (double)st->us_end / runs,
               (secs * 1e6 - (double)(st->us_connect + st->us_ring + st->us_mirror + st->us_wait + st->us_end)) /
                   runs);
    bool dead = vu_adapter_gone() || died_late;
    if (dead)
        printf("vconform-vhost replay: the back-end cannot be reached any more (crash tier)\n");
    vc_fz_free(fz);
    if (o->diff)
        vh_diff_free(&diff);
    for (unsigned i = 0; i < in.n; i++) {
        free(in.v[i].path);
        free(in.v[i].data);
    }
    free(in.v);
    return with || dead ? 1 : 0;
}
