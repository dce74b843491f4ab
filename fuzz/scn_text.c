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
 * '#' starts a comment. A value must fit the bytes its field has in the
 * binary form (scenario.h): the parser refuses, naming the line, what it
 * would otherwise have to cut. */
#include "scn_text.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "scn_lex.h"

/* Where a field lives in an operation record: a raw slot (a8..a64) and the
 * bits of it the field holds. get, set, the range check and the raw bytes
 * print adds all read this one table. */
enum slot { A8, A16, A32, A64, A32_LO, A32_HI, A8_FILL, A8_SHIFT, NSLOTS };
static const struct { enum slot raw; unsigned shift; uint64_t mask; } slots[NSLOTS] = {
    [A8] = { A8, 0, 0xff },
    [A16] = { A16, 0, 0xffff },
    [A32] = { A32, 0, 0xffffffff },
    [A64] = { A64, 0, UINT64_MAX },
    [A32_LO] = { A32, 0, 0xffff },
    [A32_HI] = { A32, 16, 0xffff },
    [A8_FILL] = { A8, 0, 0xc7 }, /* FILL flags: bits 3-5 are its shift */
    [A8_SHIFT] = { A8, 3, 7 },
};
#define MAX_FIELDS 6
#define NRAW 4 /* a8= a16= a32= a64=, after the named fields */

typedef struct field {
    const char *name;
    enum slot slot;
} field;

static const field fields[VC_SCN_NOPS][MAX_FIELDS] = {
    [VC_SCN_DESC] = { { "flags", A8 }, { "index", A16 }, { "len", A32 }, { "addr", A64 } },
    [VC_SCN_IDESC] = { { "flags", A8 }, { "index", A16 }, { "len", A32 }, { "addr", A64 } },
    [VC_SCN_NEXT] = { { "which", A8 }, { "index", A16 }, { "next", A32_LO } },
    [VC_SCN_AVAIL] = { { "head", A16 } },
    [VC_SCN_AIDX] = { { "idx", A16 } },
    [VC_SCN_EVENT] = { { "which", A8 }, { "value", A16 } },
    [VC_SCN_MEM] = { { "len", A8 }, { "gpa", A32 }, { "bytes", A64 } },
    [VC_SCN_FILL] = { { "flags", A8_FILL }, { "index", A16 }, { "count", A32_LO },
                      { "len", A32_HI }, { "shift", A8_SHIFT }, { "addr", A64 } },
};
static const char *const raw_names[NRAW] = { "a8", "a16", "a32", "a64" };

static const struct { const char *name; unsigned bit; } flag_names[] = {
    { "NEXT", 1 }, { "WRITE", 2 }, { "INDIRECT", 4 }, { "AVAIL", 8 }, { "USED", 16 },
    { "SAME", 64 }, { "MAIN", 128 }, /* FILL: all at one address; in the main table */
};
#define NFLAGS (sizeof(flag_names) / sizeof(flag_names[0]))

/* Header keys and the largest value each holds: the width of its header
 * bytes; used is read modulo 4 and the feature bits are bits. */
enum hkey { H_PACKED, H_INDIRECT, H_EVENT_IDX, H_IN_ORDER, H_QSIZE, H_USED, H_MODEL_QUEUE,
            H_MODEL_FEATURES, H_RESERVED, NHKEYS };
static const struct { const char *name; uint64_t max; } hkeys[NHKEYS] = {
    [H_PACKED] = { "packed", 1 },
    [H_INDIRECT] = { "indirect", 1 },
    [H_EVENT_IDX] = { "event_idx", 1 },
    [H_IN_ORDER] = { "in_order", 1 },
    [H_QSIZE] = { "qsize", 0xffff },
    [H_USED] = { "used", 3 },
    [H_MODEL_QUEUE] = { "model_queue", 0xff },
    [H_MODEL_FEATURES] = { "model_features", UINT64_MAX },
    [H_RESERVED] = { "reserved", 0xffff }, /* header bytes 14..15, kept */
};

static uint64_t get_raw(const vc_scn_op *o, enum slot r)
{
    switch (r) {
    case A8: return o->a8;
    case A16: return o->a16;
    case A32: return o->a32;
    default: return o->a64;
    }
}

static void set_raw(vc_scn_op *o, enum slot r, uint64_t v)
{
    switch (r) {
    case A8: o->a8 = (uint8_t)v; break;
    case A16: o->a16 = (uint16_t)v; break;
    case A32: o->a32 = (uint32_t)v; break;
    default: o->a64 = v; break;
    }
}

static uint64_t get(const vc_scn_op *o, enum slot s)
{
    return get_raw(o, slots[s].raw) >> slots[s].shift & slots[s].mask;
}

/* v fits slots[s].mask: the parser checked it. */
static void set(vc_scn_op *o, enum slot s, uint64_t v)
{
    uint64_t m = slots[s].mask << slots[s].shift;
    set_raw(o, slots[s].raw, (get_raw(o, slots[s].raw) & ~m) | v << slots[s].shift);
}

/* Bits of raw slot r that field slot f shows. */
static uint64_t covers(enum slot f, enum slot r)
{
    return slots[f].raw == r ? slots[f].mask << slots[f].shift : 0;
}

static uint16_t header_reserved(const vc_scenario *s)
{
    return (uint16_t)(s->reserved[9] | s->reserved[10] << 8);
}

static void print_flags(FILE *out, unsigned v)
{
    const char *sep = "";
    for (size_t i = 0; i < NFLAGS; i++) {
        if (v & flag_names[i].bit) {
            fprintf(out, "%s%s", sep, flag_names[i].name);
            sep = "|";
            v &= ~flag_names[i].bit;
        }
    }
    if (v || !*sep)
        fprintf(out, "%s0x%x", sep, v);
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
    if (header_reserved(s))
        fprintf(out, " reserved=0x%x", header_reserved(s));
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
        for (enum slot r = A8; r <= A64; r++) {
            uint64_t shown = 0;
            for (unsigned k = 0; k < MAX_FIELDS && fields[o->op][k].name; k++)
                shown |= covers(fields[o->op][k].slot, r);
            if (get(o, r) & ~shown)
                fprintf(out, " %s=0x%" PRIx64, raw_names[r], get(o, r));
        }
        fputc('\n', out);
    }
}

/* ---- parsing ---- */

typedef struct ctx {
    char *err;
    size_t errcap;
    unsigned line;
    unsigned header_line; /* 0 until the header is read */
} ctx;

__attribute__((format(printf, 2, 3))) static bool fail(ctx *c, const char *fmt, ...)
{
    int n = snprintf(c->err, c->errcap, "line %u: ", c->line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < c->errcap)
        vsnprintf(c->err + n, c->errcap - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

/* NAME|NAME|number...: flag names are read in flags= fields only. */
static const char *parse_flags(const char *v, uint64_t *out)
{
    uint64_t acc = 0;
    for (const char *p = v;; p++) {
        size_t n = strcspn(p, "|"), i = 0;
        uint64_t bits = 0;
        const char *why;
        if (n == 0)
            return "has an empty flag";
        while (i < NFLAGS && !(strlen(flag_names[i].name) == n && !strncmp(p, flag_names[i].name, n)))
            i++;
        if (i < NFLAGS)
            bits = flag_names[i].bit;
        else if (isalpha((unsigned char)p[0]))
            return "names an unknown flag (NEXT WRITE INDIRECT AVAIL USED SAME MAIN, or a number)";
        else if ((why = vc_scn_parse_u64(p, n, &bits)))
            return why;
        acc |= bits;
        p += n;
        if (!*p)
            break;
    }
    *out = acc;
    return NULL;
}

/* The value of name=val, refused unless it fits the field's mask. */
static bool value(ctx *c, const char *name, const char *val, bool flags, uint64_t mask,
                  uint64_t *v)
{
    const char *why = flags ? parse_flags(val, v) : vc_scn_parse_u64(val, strlen(val), v);
    if (why)
        return fail(c, "%s=%s %s", name, val, why);
    if (!(*v & ~mask))
        return true;
    if (!(mask & (mask + 1))) /* 0..2^n-1 */
        return fail(c, "%s=%s is out of range (0..%" PRIu64 ")", name, val, mask);
    return fail(c, "%s=%s sets bits 0x%" PRIx64 " that belong to other fields (it holds 0x%" PRIx64
            ")", name, val, *v & ~mask, mask);
}

static void set_header(vc_scenario *s, enum hkey k, uint64_t v)
{
    static const uint8_t bit[] = { VC_SCN_F_PACKED, VC_SCN_F_INDIRECT, VC_SCN_F_EVENT_IDX,
                                   VC_SCN_F_IN_ORDER };
    switch (k) {
    case H_QSIZE: s->raw_qsize = (uint16_t)v; break;
    case H_USED: s->used_policy = (uint8_t)v; break;
    case H_MODEL_QUEUE: s->reserved[0] = (uint8_t)v; break;
    case H_MODEL_FEATURES:
        for (unsigned i = 0; i < 8; i++)
            s->reserved[1 + i] = (uint8_t)(v >> (8 * i));
        break;
    case H_RESERVED:
        s->reserved[9] = (uint8_t)v;
        s->reserved[10] = (uint8_t)(v >> 8);
        break;
    default: s->features = (uint8_t)(v ? s->features | bit[k] : s->features & ~bit[k]); break;
    }
}

static bool header_field(ctx *c, vc_scenario *s, const char *name, const char *val, uint32_t *seen)
{
    unsigned k = 0;
    while (k < NHKEYS && strcmp(name, hkeys[k].name) != 0)
        k++;
    if (k == NHKEYS)
        return fail(c, "the header has no field '%s'", name);
    if (*seen & 1u << k)
        return fail(c, "'%s' given twice", name);
    *seen |= 1u << k;
    uint64_t v;
    if (!value(c, name, val, false, hkeys[k].max, &v))
        return false;
    set_header(s, (enum hkey)k, v);
    return true;
}

/* Named fields are keys 0..MAX_FIELDS-1, the raw slots the NRAW after them;
 * a raw slot overlaps named fields on purpose (print adds the bytes no field
 * shows after the fields), so only the same key twice is refused. */
static bool op_field(ctx *c, vc_scn_op *o, const char *name, const char *val, uint32_t *seen)
{
    unsigned k = 0;
    while (k < MAX_FIELDS && fields[o->op][k].name && strcmp(name, fields[o->op][k].name) != 0)
        k++;
    if (k == MAX_FIELDS || !fields[o->op][k].name) {
        k = 0;
        while (k < NRAW && strcmp(name, raw_names[k]) != 0)
            k++;
        if (k == NRAW)
            return fail(c, "%s has no field '%s'", vc_scn_op_name(o->op), name);
        k += MAX_FIELDS;
    }
    if (*seen & 1u << k)
        return fail(c, "'%s' given twice", name);
    *seen |= 1u << k;
    enum slot sl = k < MAX_FIELDS ? fields[o->op][k].slot : (enum slot)(k - MAX_FIELDS);
    uint64_t v;
    if (!value(c, name, val, strcmp(name, "flags") == 0, slots[sl].mask, &v))
        return false;
    set(o, sl, v);
    return true;
}

static bool parse_line(ctx *c, vc_scenario *s, char *line)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = 0;
    char *save;
    char *tok = strtok_r(line, " \t\r", &save);
    if (!tok)
        return true;
    bool header = strcmp(tok, "scenario") == 0;
    vc_scn_op op = { 0 };
    if (header && c->header_line)
        return fail(c, "a second 'scenario' header (the first is on line %u)", c->header_line);
    if (header) {
        c->header_line = c->line;
    } else {
        unsigned k = 0;
        while (k < VC_SCN_NOPS && strcmp(tok, vc_scn_op_name(k)) != 0)
            k++;
        if (k == VC_SCN_NOPS)
            return fail(c, "unknown operation '%s'", tok);
        if (!c->header_line)
            return fail(c, "%s before the 'scenario' header line", tok);
        if (s->nops >= VC_SCN_MAX_OPS)
            return fail(c, "more than %u operations", VC_SCN_MAX_OPS);
        op.op = (uint8_t)k;
    }
    uint32_t seen = 0;
    while ((tok = strtok_r(NULL, " \t\r", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return fail(c, "bad field '%s' (want name=value)", tok);
        *eq = 0;
        if (!(header ? header_field(c, s, tok, eq + 1, &seen) : op_field(c, &op, tok, eq + 1, &seen)))
            return false;
    }
    if (!header)
        s->ops[s->nops++] = op;
    return true;
}

bool vc_scn_parse(FILE *in, vc_scenario *s, char *err, size_t errcap)
{
    memset(s, 0, sizeof(*s));
    ctx c = { err, errcap, 0, 0 };
    char line[VC_SCN_LINE_MAX + 1];
    for (;;) {
        int more = 0;
        c.line++;
        const char *why = vc_scn_read_line(in, line, &more);
        if (why)
            return fail(&c, "the line %s", why);
        if (!more)
            break;
        if (!parse_line(&c, s, line))
            return false;
    }
    if (!c.header_line) {
        snprintf(err, errcap, "no 'scenario' header line");
        return false;
    }
    /* normalise through the binary form so derived fields are right */
    static uint8_t buf[VC_SCN_HDR + VC_SCN_REC * VC_SCN_MAX_OPS];
    size_t n = vc_scn_encode(s, buf, sizeof(buf));
    vc_scn_decode(buf, n, s);
    return true;
}
