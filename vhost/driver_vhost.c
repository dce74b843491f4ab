/* libFuzzer entry point of fuzz-vhost: a finding is recorded, not a crash.
 *
 * What is fuzzed is a back-end process, black box. Were a finding a crash
 * of the fuzzer (fuzz/driver_libfuzzer.c), libFuzzer would have to run in
 * fork mode, which restarts its worker, and so the back-end, on every new
 * finding and replays the corpus at each start: 47-98 scenarios/s where
 * the executor runs thousands. Here libFuzzer runs in one process and the
 * findings are kept by signature (kind, requirement, and the site: the
 * signal for a back-end crash, the side in the differential mode): the
 * first input with a new signature is written to the artifacts folder
 * (-artifact_prefix) as finding-KIND-REQ[-SITE], and a smaller one with the
 * same signature replaces it. Signatures listed in $VC_FZ_KNOWN are passed
 * over. An input that killed, hung or lost the back-end is kept out of the
 * corpus (libFuzzer's -1): its mutations would restart the back-end again
 * and again. At exit every signature is listed with its count, and the CPU time
 * per scenario of the fuzzer and of the back-end (target_vhost.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "known.h"
#include "target.h"
#include "target_vhost.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SIGS 256
#define WORD 64

typedef struct sig {
    char kind[WORD], req[WORD], site[WORD];
    unsigned long count;
    size_t size; /* of the reproducer kept */
} sig;

static sig sigs[MAX_SIGS];
static unsigned nsigs;
static unsigned long runs, with_findings, known_only;
static char prefix[1024] = "./";

/* A word of a finding line as a file-name part: [A-Za-z0-9._] kept, the rest '_'. */
static void name_part(char *out, size_t cap, const char *in)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++) {
        char c = in[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
        out[i] = ok ? c : '_';
    }
    out[i] = 0;
}

/* "[who: ]kind [req] (tier): detail" -> signature; false for another form
 * (vc_fz_format writes these lines; only they are looked at). */
static bool parse(const char *line, size_t len, sig *s)
{
    char buf[1024];
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;
    memcpy(buf, line, len);
    buf[len] = 0;
    char *open = strstr(buf, " [");
    char *close = open ? strchr(open, ']') : NULL;
    if (!open || !close)
        return false;
    *open = 0;
    *close = 0;
    const char *kind = buf, *who = "-";
    char *colon = strstr(buf, ": ");
    if (colon) {
        *colon = 0;
        who = buf;
        kind = colon + 2;
    }
    snprintf(s->kind, WORD, "%s", kind);
    snprintf(s->req, WORD, "%s", open + 2);
    snprintf(s->site, WORD, "%s", who);
    /* a back-end crash: the signal is its site */
    const char *g = strstr(close + 1, "signal ");
    if (!strcmp(s->kind, "backend-crash") && g)
        snprintf(s->site, WORD, "signal-%d", atoi(g + 7));
    return s->kind[0] && s->req[0];
}

static void keep(const sig *s, const uint8_t *data, size_t size)
{
    unsigned i = 0;
    while (i < nsigs && (strcmp(sigs[i].kind, s->kind) || strcmp(sigs[i].req, s->req) || strcmp(sigs[i].site, s->site)))
        i++;
    if (i == nsigs) {
        if (nsigs == MAX_SIGS)
            return;
        sigs[nsigs++] = *s;
        sigs[i].count = 0;
        sigs[i].size = 0;
        fprintf(stderr, "vconform %s: new finding %s [%s] %s\n", vc_target_name, s->kind, s->req, s->site);
    }
    sig *k = &sigs[i];
    k->count++;
    if (k->size && size >= k->size)
        return;
    char kind[WORD], req[WORD], site[WORD], path[1300];
    name_part(kind, sizeof(kind), k->kind);
    name_part(req, sizeof(req), k->req);
    name_part(site, sizeof(site), k->site);
    snprintf(path, sizeof(path), "%sfinding-%s-%s%s%s", prefix, kind, req, strcmp(site, "_") ? "-" : "",
             strcmp(site, "_") ? site : "");
    /* whole or not at all: workers of one run share the folder */
    char tmp[1400];
    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
    FILE *fp = fopen(tmp, "wb");
    bool ok = fp && fwrite(data, 1, size, fp) == size;
    if (fp)
        ok = fclose(fp) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "vconform %s: cannot write %s\n", vc_target_name, path);
        unlink(tmp);
        return;
    }
    k->size = size;
}

static void report(void)
{
    fprintf(stderr, "vconform %s: %lu inputs, %lu with findings (%lu with known ones only), %u signatures:\n",
            vc_target_name, runs, with_findings, known_only, nsigs);
    for (unsigned i = 0; i < nsigs; i++)
        fprintf(stderr, "vconform %s: %8lu  %s [%s] %s (reproducer: %zu bytes)\n", vc_target_name, sigs[i].count,
                sigs[i].kind, sigs[i].req, sigs[i].site, sigs[i].size);
    vh_fuzz_stats_print(runs);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    for (int i = 1; i < *argc; i++)
        if (!strncmp((*argv)[i], "-artifact_prefix=", 17))
            snprintf(prefix, sizeof(prefix), "%s", (*argv)[i] + 17);
    if (!vc_known_load())
        abort(); /* a broken known-findings file must not fuzz silently without it */
    atexit(report);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[1024];
    runs++;
    if (!vc_target_run(data, size, msg, sizeof(msg)))
        return 0;
    with_findings++;
    /* an input that killed, hung or lost the back-end does not join the
     * corpus: every mutation of it would cost a back-end start */
    int keep_it = strstr(msg, "backend-crash [") || strstr(msg, "backend-unreachable [") || strstr(msg, "hang [") ? -1 : 0;
    if (vc_known_all(msg)) {
        known_only++;
        return keep_it;
    }
    for (const char *line = msg; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        sig s;
        char one[1024];
        snprintf(one, sizeof(one), "%.*s\n", (int)len, line);
        if (parse(line, len, &s) && !vc_known_all(one))
            keep(&s, data, size);
        line += len + (end ? 1 : 0);
    }
    return keep_it;
}
