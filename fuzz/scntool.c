/* vconform-scn: read, write and generate fuzz scenarios.
 *
 *   vconform-scn print FILE          binary scenario -> text
 *   vconform-scn build TEXT OUT      text -> binary
 *   vconform-scn seeds DIR           write the valid seed scenarios
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenario.h"
#include "scn_text.h"
#include "vc/ring.h"

static vc_scenario scn;
static uint8_t buf[VC_SCN_HDR + VC_SCN_REC * VC_SCN_MAX_OPS];

static int usage(const char *why)
{
    fprintf(stderr, "vconform-scn: %s\nusage: vconform-scn print FILE | build TEXT OUT | seeds DIR\n",
            why);
    return 2;
}

/* Opens one input file. fopen takes a directory on Linux and only the first
 * read fails, which print took for an empty scenario: refuse it here. */
static FILE *open_input(const char *path, const char *mode)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: is a directory (give one scenario file)\n", path);
        return NULL;
    }
    FILE *fp = fopen(path, mode);
    if (!fp)
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return fp;
}

static int print_file(const char *path)
{
    FILE *fp = open_input(path, "rb");
    if (!fp)
        return 2;
    size_t n = fread(buf, 1, sizeof(buf), fp);
    bool longer = n == sizeof(buf) && getc(fp) != EOF;
    if (ferror(fp)) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        fclose(fp);
        return 2;
    }
    fclose(fp);
    /* what lies past the last operation the decoder keeps is never run */
    if (longer)
        fprintf(stderr, "%s: only the first %zu bytes (%u operations) are a scenario; the rest "
                "is ignored, by the targets too\n", path, sizeof(buf), VC_SCN_MAX_OPS);
    vc_scn_decode(buf, n, &scn);
    vc_scn_print(stdout, &scn);
    return 0;
}

static int write_bin(const char *path, const vc_scenario *s)
{
    size_t n = vc_scn_encode(s, buf, sizeof(buf));
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(buf, 1, n, fp) != n || fclose(fp) != 0) {
        fprintf(stderr, "%s: cannot write: %s\n", path, strerror(errno));
        return 2;
    }
    return 0;
}

static int build(const char *in, const char *out)
{
    FILE *fp = open_input(in, "r");
    if (!fp)
        return 2;
    char err[200];
    bool ok = vc_scn_parse(fp, &scn, err, sizeof(err));
    fclose(fp);
    if (!ok) {
        fprintf(stderr, "%s: %s\n", in, err);
        return 2;
    }
    return write_bin(out, &scn);
}

/* ---- seed generation: valid traffic in every shape the rings allow ---- */

typedef struct gen {
    vc_scenario *s;
    uint16_t pos;    /* next free descriptor (split and packed alike, in order) */
    uint64_t data;   /* next buffer address */
    unsigned table;  /* next indirect table */
} gen;

static void emit(gen *g, vc_scn_op o)
{
    if (g->s->nops < VC_SCN_MAX_OPS)
        g->s->ops[g->s->nops++] = o;
}

static uint64_t next_buf(gen *g, uint32_t len)
{
    if (g->data + len > VC_SCN_DATA_A + 2 * VC_SCN_DATA_SIZE)
        g->data = VC_SCN_DATA_A;
    uint64_t a = g->data;
    g->data += len;
    return a;
}

/* One request of nseg descriptors, half readable then half writable. */
static void request(gen *g, unsigned nseg, bool indirect)
{
    bool packed = g->s->features & VC_SCN_F_PACKED;
    uint16_t size = g->s->qsize;
    uint16_t head = g->pos;
    if (indirect) {
        unsigned t = g->table++ % VC_SCN_NTABLES;
        for (unsigned i = 0; i < nseg; i++) {
            uint8_t fl = (uint8_t)((i >= nseg / 2 ? VC_DESC_F_WRITE : 0) |
                                   (i + 1 < nseg ? VC_DESC_F_NEXT : 0));
            emit(g, (vc_scn_op){ VC_SCN_IDESC, fl, (uint16_t)(t << 11 | i), 64, next_buf(g, 64) });
        }
        uint64_t table = VC_SCN_TABLES + (uint64_t)t * VC_SCN_TABLE_ENTRIES * 16;
        emit(g, (vc_scn_op){ VC_SCN_DESC, VC_DESC_F_INDIRECT, head, nseg * 16, table });
        g->pos = (uint16_t)((g->pos + 1) % size);
        emit(g, (vc_scn_op){ VC_SCN_AVAIL, 0, packed ? 0 : head, 0, 0 });
        return;
    }
    for (unsigned i = 0; i < nseg; i++) {
        uint8_t fl = (uint8_t)((i >= nseg / 2 ? VC_DESC_F_WRITE : 0) |
                               (i + 1 < nseg ? VC_DESC_F_NEXT : 0));
        emit(g, (vc_scn_op){ VC_SCN_DESC, fl, g->pos, 64, next_buf(g, 64) });
        if (packed && i + 1 == nseg) /* buffer id lives in the last descriptor */
            emit(g, (vc_scn_op){ VC_SCN_NEXT, 0, g->pos, head, 0 });
        g->pos = (uint16_t)((g->pos + 1) % size);
    }
    emit(g, (vc_scn_op){ VC_SCN_AVAIL, 0, packed ? (uint16_t)(nseg - 1) : head, 0, 0 });
}

static int seed(const char *dir, const char *name, uint8_t features, uint16_t raw_q,
                uint8_t used, unsigned rounds, unsigned per_kick, unsigned nseg, bool indirect)
{
    memset(&scn, 0, sizeof(scn));
    scn.features = features;
    scn.raw_qsize = raw_q;
    scn.used_policy = used;
    vc_scn_encode(&scn, buf, sizeof(buf));
    vc_scn_decode(buf, VC_SCN_HDR, &scn); /* derive qsize */
    gen g = { &scn, 0, VC_SCN_DATA_A, 0 };
    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned k = 0; k < per_kick; k++)
            request(&g, nseg, indirect);
        emit(&g, (vc_scn_op){ .op = VC_SCN_KICK });
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return write_bin(path, &scn);
}

static int seeds(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: not a directory\n", dir);
        return 2;
    }
    int rc = 0;
    const uint8_t I = VC_SCN_F_INDIRECT, P = VC_SCN_F_PACKED, E = VC_SCN_F_EVENT_IDX;
    /* split: sizes 2^q; packed: raw + 1 */
    rc |= seed(dir, "split-1desc", 0, 3, 0, 2, 2, 1, false);
    rc |= seed(dir, "split-4desc", 0, 4, 0, 2, 2, 4, false);
    rc |= seed(dir, "split-16desc", 0, 5, 0, 1, 1, 16, false);
    rc |= seed(dir, "split-indirect-4", I, 3, 0, 2, 2, 4, true);
    rc |= seed(dir, "split-indirect-16", I, 2, 2, 1, 1, 16, true);
    rc |= seed(dir, "split-wrap", E, 2, 0, 12, 3, 1, false);
    rc |= seed(dir, "split-big-queue", I, 10, 0, 1, 1, 8, true);
    rc |= seed(dir, "split-used-none", 0, 3, 1, 2, 2, 2, false);
    rc |= seed(dir, "packed-1desc", P, 7, 0, 2, 2, 1, false);
    rc |= seed(dir, "packed-4desc", P, 7, 0, 2, 2, 4, false);
    rc |= seed(dir, "packed-odd-size-wrap", P, 4, 0, 8, 2, 2, false);
    rc |= seed(dir, "packed-indirect", P | I, 7, 0, 2, 2, 4, true);
    rc |= seed(dir, "packed-indirect-16", P | I, 15, 2, 1, 1, 16, true);
    rc |= seed(dir, "packed-event-idx", P | E, 3, 0, 6, 2, 1, false);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct { const char *name; int nargs; const char *args; } cmds[] = {
        { "print", 1, "FILE" }, { "build", 2, "TEXT OUT" }, { "seeds", 1, "DIR" },
    };
    char why[128];
    if (argc < 2)
        return usage("no command given");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        if (argc - 2 != cmds[i].nargs) {
            snprintf(why, sizeof(why), "%s takes %s (%d argument%s given)", cmds[i].name,
                     cmds[i].args, argc - 2, argc == 3 ? "" : "s");
            return usage(why);
        }
        return i == 0 ? print_file(argv[2]) : i == 1 ? build(argv[2], argv[3]) : seeds(argv[2]);
    }
    snprintf(why, sizeof(why), "unknown command '%s'", argv[1]);
    return usage(why);
}
