/* vconform-vhost: conformance checks of a vhost-user back-end process.
 *
 *   vconform-vhost roundtrip SOCKET --device blk|fs [--image FILE] [--json FILE]
 *   vconform-vhost replay SOCKET FILE|DIR... [--bench SECONDS] [--diff MODEL] [--queue N]
 *
 * Common options: --timeout-ms N (bound on every answer, default 2000),
 * --settle-ms N or --settle-us N (replay: how long the used ring may stand
 * still, after the back-end answered a message sent behind the kick, before
 * the chains still out count as dropped; default 20 ms), --idle (replay:
 * end each wait as soon as the back-end process is idle, every thread
 * asleep, instead: vh_idle.h; what fuzz-vhost does).
 * Exit status: 0 no failure or finding, 1 some, 2 could not run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "replay.h"
#include "rt.h"

static int usage(void)
{
    fprintf(stderr, "usage: vconform-vhost roundtrip SOCKET --device blk|fs [--image FILE] [--json FILE]\n"
                    "       vconform-vhost replay SOCKET FILE|DIR... [--bench SECONDS] [--diff blk|net|rng|...] [--queue N]\n"
                    "options: --timeout-ms N (default 2000), --settle-ms N | --settle-us N (replay, default 20 ms),\n"
                    "         --idle (replay: a wait ends when the back-end process is idle)\n");
    return 2;
}

static bool number(const char *s, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return s[0] && !*end && !errno && *v >= lo && *v <= hi;
}

static bool load_image(const char *path, rt_opts *o)
{
    FILE *fp = fopen(path, "rb");
    struct stat st;
    if (!fp || fstat(fileno(fp), &st) != 0) {
        fprintf(stderr, "vconform-vhost: %s: %s\n", path, strerror(errno));
        if (fp)
            fclose(fp);
        return false;
    }
    o->image_bytes = (uint64_t)st.st_size;
    o->image_head_len = (unsigned)fread(o->image_head, 1, sizeof(o->image_head), fp);
    fclose(fp);
    return true;
}

static int roundtrip(const char *sock, const char *device, const rt_opts *o, int timeout_ms,
                     const char *json, int argc, char **argv)
{
    bool fs = device && !strcmp(device, "fs");
    if (!device || (!fs && strcmp(device, "blk") != 0)) {
        fprintf(stderr, "vconform-vhost: roundtrip knows --device blk and --device fs\n");
        return 2;
    }
    FILE *out = json ? fopen(json, "w") : stdout;
    if (!out) {
        fprintf(stderr, "vconform-vhost: %s: %s\n", json, strerror(errno));
        return 2;
    }
    vh_report r;
    vh_report_start(&r, out, sock, argc, argv);
    vh_dev d;
    char err[256];
    if (!vh_dev_open(&d, sock, timeout_ms, fs ? rt_fs_features() : rt_blk_features(), err, sizeof(err)) ||
        !vh_dev_start(&d, fs ? 1 : 0, 128, err, sizeof(err))) {
        vh_check(&r, "vhost.handshake", "", VH_ERROR, "a back-end that negotiates", "no", "%s", err);
    } else {
        vh_check(&r, "vhost.handshake", "", VH_INFO, NULL, NULL,
                 "features offered 0x%llx, taken 0x%llx, protocol features offered 0x%llx",
                 (unsigned long long)d.f.dev_features, (unsigned long long)d.features,
                 (unsigned long long)d.f.proto_offered);
        if (fs)
            rt_fs(&d, &r);
        else
            rt_blk(&d, &r, o);
        uint32_t base;
        char ob[48];
        if (vu_front_vring_stop(&d.f, d.qi, &base) == VU_OK) {
            snprintf(ob, sizeof(ob), "%u", base);
            char ex[48];
            snprintf(ex, sizeof(ex), "%u (requests made)", d.requests);
            vh_expect(&r, "vhost.vring_base", "", base == d.requests, ex, ob);
        } else {
            vh_check(&r, "vhost.vring_base", "", VH_ERROR, "an answer", "none", "%s", d.f.why);
        }
    }
    vh_dev_close(&d);
    vh_report_end(&r);
    if (json)
        fclose(out);
    return vh_report_exit(&r);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *mode = argv[1], *sock = argv[2], *device = NULL, *json = NULL;
    static rt_opts o;
    vh_replay_opts ro = { .timeout_ms = 2000, .settle_us = 20000 };
    const char **files = calloc((size_t)argc, sizeof(*files));
    unsigned nfiles = 0;
    long v;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--device") && next)
            device = argv[++i];
        else if (!strcmp(a, "--image") && next) {
            if (!load_image(argv[++i], &o)) {
                free(files);
                return 2;
            }
        } else if (!strcmp(a, "--json") && next)
            json = argv[++i];
        else if (!strcmp(a, "--timeout-ms") && next && number(next, 1, 600000, &v)) {
            ro.timeout_ms = (int)v;
            i++;
        } else if (!strcmp(a, "--settle-ms") && next && number(next, 0, 60000, &v)) {
            ro.settle_us = (int)v * 1000;
            i++;
        } else if (!strcmp(a, "--settle-us") && next && number(next, 0, 60000000, &v)) {
            ro.settle_us = (int)v;
            i++;
        } else if (!strcmp(a, "--queue") && next && number(next, 0, 7, &v)) {
            ro.queue = (unsigned)v;
            i++;
        } else if (!strcmp(a, "--idle")) {
            ro.idle = true;
        } else if (!strcmp(a, "--diff") && next) {
            ro.diff = argv[++i];
        } else if (!strcmp(a, "--bench") && next && number(next, 1, 3600, &v)) {
            ro.bench_s = (int)v;
            i++;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "vconform-vhost: bad option or value: %s\n", a);
            free(files);
            return usage();
        } else
            files[nfiles++] = a;
    }
    int rc = 2;
    if (!strcmp(mode, "roundtrip") && nfiles == 0)
        rc = roundtrip(sock, device, &o, ro.timeout_ms, json, argc, argv);
    else if (!strcmp(mode, "replay") && nfiles > 0)
        rc = vh_replay(sock, files, nfiles, &ro);
    else
        usage();
    free(files);
    return rc;
}
