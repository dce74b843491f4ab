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

#include "scenario.h"
#include "scn_text.h"
#include "vc/ring.h"

static vc_scenario scn;
static uint8_t buf[VC_SCN_HDR + VC_SCN_REC * VC_SCN_MAX_OPS];

static int usage(void)
{
    fprintf(stderr, "usage: vconform-scn print FILE | build TEXT OUT | seeds DIR\n");
    return 2;
}

static int print_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 2;
    }
    size_t n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
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
    FILE *fp = fopen(in, "r");
    if (!fp) {
        fprintf(stderr, "%s: %s\n", in, strerror(errno));
        return 2;
    }
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
    if (argc == 3 && strcmp(argv[1], "print") == 0)
        return print_file(argv[2]);
    if (argc == 4 && strcmp(argv[1], "build") == 0)
        return build(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "seeds") == 0)
        return seeds(argv[2]);
    return usage();
}
