/* Text form of scenarios, for seeds written by hand and for reading crash
 * reproducers. One header line, then one operation per line:
 *
 *   scenario packed=0 indirect=1 event_idx=0 in_order=0 qsize=3 used=0
 *   DESC flags=NEXT index=0 len=16 addr=0x200000
 *   AVAIL head=0
 *   KICK
 *
 * Field names per operation are in the table below; any field may also be
 * given raw as a8= a16= a32= a64=. Numbers are decimal or 0x hex; flags may
 * be written as NEXT|WRITE|INDIRECT|AVAIL|USED|SAME|MAIN or as a number.
 * '#' starts a comment. */
#include "scn_text.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum slot { A8, A16, A32, A64, A32_LO, A32_HI, A8_FILL, A8_SHIFT };
#define MAX_FIELDS 6

typedef struct field {
    const char *name;
    enum slot slot;
} field;

static const field fields[VC_SCN_NOPS][MAX_FIELDS] = {
    [VC_SCN_DESC] = { { "flags", A8 }, { "index", A16 }, { "len", A32 }, { "addr", A64 } },
    [VC_SCN_IDESC] = { { "flags", A8 }, { "index", A16 }, { "len", A32 }, { "addr", A64 } },
    [VC_SCN_NEXT] = { { "which", A8 }, { "index", A16 }, { "next", A32 } },
    [VC_SCN_AVAIL] = { { "head", A16 } },
    [VC_SCN_AIDX] = { { "idx", A16 } },
    [VC_SCN_EVENT] = { { "which", A8 }, { "value", A16 } },
    [VC_SCN_MEM] = { { "len", A8 }, { "gpa", A32 }, { "bytes", A64 } },
    [VC_SCN_FILL] = { { "flags", A8_FILL }, { "index", A16 }, { "count", A32_LO },
                      { "len", A32_HI }, { "shift", A8_SHIFT }, { "addr", A64 } },
};

static const struct { const char *name; unsigned bit; } flag_names[] = {
    { "NEXT", 1 }, { "WRITE", 2 }, { "INDIRECT", 4 }, { "AVAIL", 8 }, { "USED", 16 },
    { "SAME", 64 }, { "MAIN", 128 }, /* FILL: all at one address; in the main table */
};

static uint64_t get(const vc_scn_op *o, enum slot s)
{
    switch (s) {
    case A8: return o->a8;
    case A16: return o->a16;
    case A32: return o->a32;
    case A64: return o->a64;
    case A32_LO: return o->a32 & 0xffff;
    case A8_FILL: return o->a8 & ~0x38u;
    case A8_SHIFT: return (o->a8 >> 3) & 7;
    default: return o->a32 >> 16;
    }
}

static void set(vc_scn_op *o, enum slot s, uint64_t v)
{
    switch (s) {
    case A8: o->a8 = (uint8_t)v; break;
    case A16: o->a16 = (uint16_t)v; break;
    case A32: o->a32 = (uint32_t)v; break;
    case A64: o->a64 = v; break;
    case A32_LO: o->a32 = (o->a32 & 0xffff0000u) | (uint16_t)v; break;
    case A8_FILL: o->a8 = (uint8_t)((o->a8 & 0x38u) | (v & ~0x38u)); break;
    case A8_SHIFT: o->a8 = (uint8_t)((o->a8 & ~0x38u) | (v & 7) << 3); break;
    default: o->a32 = (o->a32 & 0xffffu) | (uint32_t)(uint16_t)v << 16; break;
    }
}

static void print_flags(FILE *out, unsigned v)
{
    const char *sep = "";
    for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
        if (v & flag_names[i].bit) {
            fprintf(out, "%s%s", sep, flag_names[i].name);
            sep = "|";
            v &= ~flag_names[i].bit;
        }
    }
    if (v || !*sep)
        fprintf(out, "%s0x%x", sep, v);
}

/* Bits of raw slot r (A8..A64) that field slot f shows. */
static uint64_t covers(enum slot f, enum slot r)
{
    switch (f) {
    case A8_FILL: return r == A8 ? (uint8_t)~0x38u : 0;
    case A8_SHIFT: return r == A8 ? 0x38u : 0;
    case A32_LO: return r == A32 ? 0xffffu : 0;
    case A32_HI: return r == A32 ? 0xffff0000u : 0;
    default: return f == r ? UINT64_MAX : 0;
    }
}

void vc_scn_print(FILE *out, const vc_scenario *s)
{
    fprintf(out, "scenario packed=%u indirect=%u event_idx=%u in_order=%u qsize=%u used=%u",
            !!(s->features & VC_SCN_F_PACKED), !!(s->features & VC_SCN_F_INDIRECT),
            !!(s->features & VC_SCN_F_EVENT_IDX), !!(s->features & VC_SCN_F_IN_ORDER),
            s->raw_qsize, s->used_policy);
    uint64_t devf = vc_scn_model_features(s);
    if (s->reserved[0] || devf)
        fprintf(out, " model_queue=%u model_features=0x%" PRIx64, s->reserved[0], devf);
    fputc('\n', out);
    fprintf(out, "# queue size %u\n", s->qsize);
    for (uint32_t i = 0; i < s->nops; i++) {
        const vc_scn_op *o = &s->ops[i];
        fprintf(out, "%s", vc_scn_op_name(o->op));
        for (unsigned k = 0; k < MAX_FIELDS && fields[o->op][k].name; k++) {
            const field *fd = &fields[o->op][k];
            fprintf(out, " %s=", fd->name);
            if (strcmp(fd->name, "flags") == 0)
                print_flags(out, (unsigned)get(o, fd->slot));
            else
                fprintf(out, "0x%" PRIx64, get(o, fd->slot));
        }
        /* bytes no field shows still count: print them raw, so that the
         * text builds back into the very same scenario */
        static const char *const raw[] = { "a8", "a16", "a32", "a64" };
        for (enum slot r = A8; r <= A64; r++) {
            uint64_t shown = 0;
            for (unsigned k = 0; k < MAX_FIELDS && fields[o->op][k].name; k++)
                shown |= covers(fields[o->op][k].slot, r);
            if (get(o, r) & ~shown)
                fprintf(out, " %s=0x%" PRIx64, raw[r], get(o, r));
        }
        fputc('\n', out);
    }
}

static bool parse_num(const char *v, uint64_t *out)
{
    char *end;
    if (!*v)
        return false;
    *out = strtoull(v, &end, 0);
    if (*end == 0)
        return true;
    /* symbolic flags */
    uint64_t acc = 0;
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", v);
    char *save;
    for (char *tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
        bool found = false;
        for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
            if (strcmp(tok, flag_names[i].name) == 0) {
                acc |= flag_names[i].bit;
                found = true;
            }
        uint64_t n;
        if (!found && (n = strtoull(tok, &end, 0), *end == 0))
            acc |= n, found = true;
        if (!found)
            return false;
    }
    *out = acc;
    return true;
}

static bool header_field(vc_scenario *s, const char *k, uint64_t v)
{
    static const struct { const char *k; uint8_t bit; } bits[] = {
        { "packed", VC_SCN_F_PACKED }, { "indirect", VC_SCN_F_INDIRECT },
        { "event_idx", VC_SCN_F_EVENT_IDX }, { "in_order", VC_SCN_F_IN_ORDER },
    };
    for (size_t i = 0; i < 4; i++)
        if (strcmp(k, bits[i].k) == 0) {
            s->features = (uint8_t)(v ? s->features | bits[i].bit : s->features & ~bits[i].bit);
            return true;
        }
    if (strcmp(k, "qsize") == 0)
        s->raw_qsize = (uint16_t)v;
    else if (strcmp(k, "used") == 0)
        s->used_policy = (uint8_t)(v % 4);
    else if (strcmp(k, "model_queue") == 0)
        s->reserved[0] = (uint8_t)v;
    else if (strcmp(k, "model_features") == 0)
        for (unsigned i = 0; i < 8; i++)
            s->reserved[1 + i] = (uint8_t)(v >> (8 * i));
    else
        return false;
    return true;
}

static bool op_field(vc_scn_op *o, const char *k, uint64_t v)
{
    static const char *const raw[] = { "a8", "a16", "a32", "a64" };
    for (unsigned i = 0; i < 4; i++)
        if (strcmp(k, raw[i]) == 0) {
            set(o, (enum slot)i, v);
            return true;
        }
    for (unsigned i = 0; i < MAX_FIELDS && fields[o->op][i].name; i++)
        if (strcmp(k, fields[o->op][i].name) == 0) {
            set(o, fields[o->op][i].slot, v);
            return true;
        }
    return false;
}

bool vc_scn_parse(FILE *in, vc_scenario *s, char *err, size_t errcap)
{
    memset(s, 0, sizeof(*s));
    char line[512];
    unsigned lineno = 0;
    bool have_header = false;
    while (fgets(line, sizeof(line), in)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *save;
        char *tok = strtok_r(line, " \t\r\n", &save);
        if (!tok)
            continue;
        vc_scn_op op = { 0 };
        bool header = strcmp(tok, "scenario") == 0;
        if (!header) {
            unsigned k;
            for (k = 0; k < VC_SCN_NOPS && strcmp(tok, vc_scn_op_name(k)) != 0; k++)
                ;
            if (k == VC_SCN_NOPS) {
                snprintf(err, errcap, "line %u: unknown operation '%s'", lineno, tok);
                return false;
            }
            if (s->nops >= VC_SCN_MAX_OPS) {
                snprintf(err, errcap, "line %u: more than %u operations", lineno, VC_SCN_MAX_OPS);
                return false;
            }
            op.op = (uint8_t)k;
        } else {
            have_header = true;
        }
        while ((tok = strtok_r(NULL, " \t\r\n", &save))) {
            char *eq = strchr(tok, '=');
            uint64_t v;
            if (!eq || !parse_num(eq + 1, &v)) {
                snprintf(err, errcap, "line %u: bad field '%s' (want name=value)", lineno, tok);
                return false;
            }
            *eq = 0;
            if (header ? !header_field(s, tok, v) : !op_field(&op, tok, v)) {
                snprintf(err, errcap, "line %u: unknown field '%s'", lineno, tok);
                return false;
            }
        }
        if (!header)
            s->ops[s->nops++] = op;
    }
    if (!have_header) {
        snprintf(err, errcap, "no 'scenario' header line");
        return false;
    }
    /* normalise through the binary form so derived fields are right */
    static uint8_t buf[VC_SCN_HDR + VC_SCN_REC * VC_SCN_MAX_OPS];
    size_t n = vc_scn_encode(s, buf, sizeof(buf));
    vc_scn_decode(buf, n, s);
    return true;
}
