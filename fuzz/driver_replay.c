/* Plain replay: runs every file given (directories are walked one level) and
 * prints each finding. Exit 0 when no input has a finding, 1 otherwise, 2 on
 * unreadable input, a directory with no inputs or no arguments: a replay of
 * nothing must not pass for a clean one. Built with any C compiler; ctest
 * replays the corpus.
 * With --bench SECONDS the inputs run round-robin for that long and the
 * executor's throughput is printed (runs per second, no engine overhead). */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "target.h"

#define VC_MAX_INPUT (1u << 20)

typedef struct input { char *path; uint8_t *data; size_t size; } input;

static input *inputs;
static unsigned ninputs, cap_inputs;

static int load_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 2;
    }
    uint8_t *buf = malloc(VC_MAX_INPUT);
    size_t n = buf ? fread(buf, 1, VC_MAX_INPUT, fp) : 0;
    bool err = !buf || ferror(fp);
    int read_errno = errno; /* a subdirectory opens, then fails here: EISDIR */
    fclose(fp);
    if (err) {
        fprintf(stderr, "%s: %s\n", path, buf ? strerror(read_errno) : "out of memory");
        free(buf);
        return 2;
    }
    uint8_t *fit = realloc(buf, n ? n : 1); /* corpora hold thousands of files */
    buf = fit ? fit : buf;
    if (ninputs == cap_inputs) {
        unsigned nc = cap_inputs ? 2 * cap_inputs : 64;
        input *ni = realloc(inputs, nc * sizeof(*ni));
        if (!ni) {
            fprintf(stderr, "%s: out of memory\n", path);
            free(buf);
            return 2;
        }
        inputs = ni;
        cap_inputs = nc;
    }
    inputs[ninputs++] = (input){ strdup(path), buf, n };
    return 0;
}

static int load_arg(const char *arg)
{
    struct stat st;
    if (stat(arg, &st) != 0) {
        fprintf(stderr, "%s: %s\n", arg, strerror(errno));
        return 2;
    }
    if (!S_ISDIR(st.st_mode))
        return load_file(arg);
    DIR *d = opendir(arg);
    if (!d) {
        fprintf(stderr, "%s: %s\n", arg, strerror(errno));
        return 2;
    }
    int worst = 0;
    unsigned before = ninputs;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", arg, e->d_name);
        int rc = load_file(path);
        worst = rc > worst ? rc : worst;
    }
    closedir(d);
    if (worst == 0 && ninputs == before) {
        fprintf(stderr, "no inputs in %s: replaying an empty corpus proves nothing\n", arg);
        return 2;
    }
    return worst;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const double *by_time;

static int slower_first(const void *a, const void *b)
{
    double x = by_time[*(const unsigned *)a], y = by_time[*(const unsigned *)b];
    return (x < y) - (x > y);
}

static void bench(double secs)
{
    char msg[2048];
    unsigned long runs = 0;
    unsigned long long bytes = 0;
    double t0 = now(), t = t0;
    while (t - t0 < secs) {
        for (unsigned i = 0; i < ninputs; i++) {
            vc_target_run(inputs[i].data, inputs[i].size, msg, sizeof(msg));
            bytes += inputs[i].size;
        }
        runs += ninputs;
        t = now();
    }
    printf("%s: %lu runs of %u inputs (mean %.0f bytes) in %.2f s: %.0f runs/s\n", vc_target_name,
           runs, ninputs, runs ? (double)bytes / runs : 0.0, t - t0, runs / (t - t0));
    /* where a corpus spends its time: the spread of one run's cost and the
     * slowest inputs */
    unsigned *order = malloc(ninputs * sizeof(*order));
    double *dt = malloc(ninputs * sizeof(*dt));
    if (!order || !dt) {
        free(order);
        free(dt);
        return;
    }
    for (unsigned i = 0; i < ninputs; i++) {
        double s0 = now();
        vc_target_run(inputs[i].data, inputs[i].size, msg, sizeof(msg));
        dt[i] = now() - s0;
        order[i] = i;
    }
    by_time = dt;
    qsort(order, ninputs, sizeof(*order), slower_first);
    double total = 0, top = 0;
    for (unsigned i = 0; i < ninputs; i++) {
        total += dt[order[i]];
        top += i < (ninputs + 9) / 10 ? dt[order[i]] : 0;
    }
    printf("  per run: median %.1f us, p90 %.1f us, p99 %.1f us; the slowest tenth of the inputs "
           "take %.0f%% of the time\n",
           dt[order[ninputs / 2]] * 1e6, dt[order[ninputs / 10]] * 1e6, dt[order[ninputs / 100]] * 1e6,
           total > 0 ? 100 * top / total : 0);
    for (unsigned k = 0; k < 3 && k < ninputs; k++)
        printf("  slow: %.1f us %s (%zu bytes)\n", dt[order[k]] * 1e6, inputs[order[k]].path,
               inputs[order[k]].size);
    free(order);
    free(dt);
}

static int usage(const char *why)
{
    fprintf(stderr, "replay-%s: %s\nusage: replay-%s [--bench SECONDS] FILE|DIR...\n",
            vc_target_name, why, vc_target_name);
    return 2;
}

int main(int argc, char **argv)
{
    int worst = 0, first = 1;
    double bench_secs = 0;
    if (argc == 2 && strcmp(argv[1], "--bench") == 0)
        return usage("--bench takes SECONDS");
    if (argc > 2 && strcmp(argv[1], "--bench") == 0) {
        char *end;
        bench_secs = strtod(argv[2], &end);
        if (*end || !(bench_secs > 0)) {
            fprintf(stderr, "--bench takes a positive number of seconds, not '%s'\n", argv[2]);
            return 2;
        }
        first = 3;
    }
    if (first >= argc)
        return usage("no inputs given");
    for (int i = first; i < argc; i++) {
        int rc = load_arg(argv[i]);
        worst = rc > worst ? rc : worst;
    }
    if (bench_secs > 0) {
        if (ninputs == 0) {
            fprintf(stderr, "%s: no inputs to benchmark\n", vc_target_name);
            return 2;
        }
        bench(bench_secs);
        return worst;
    }
    char msg[2048];
    for (unsigned i = 0; i < ninputs; i++) {
        if (vc_target_run(inputs[i].data, inputs[i].size, msg, sizeof(msg))) {
            printf("FINDING %s (%s):\n%s", inputs[i].path, vc_target_name, msg);
            worst = worst > 1 ? worst : 1;
        }
    }
    printf("%s: replayed %u inputs, %s\n", vc_target_name, ninputs,
           worst == 0 ? "no findings" : worst == 1 ? "FINDINGS" : "errors");
    return worst;
}
