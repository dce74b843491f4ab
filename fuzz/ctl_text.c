/* Text form of control-plane sequences (ctl_seq.h), the form the corpus is
 * written in. One header line, then one operation per line:
 *
 *   ctl name=feat-after-ok modes=legacy,transitional,modern spec=ignore
 *       requires=dev.pci_common.4          (one line in a file)
 *   INIT features=ALL expect=eq
 *   FEATURES value=0
 *   RD reg=gf expect=unchanged req=dev.pci_common.4
 *   READ space=common off=20 width=3
 *   WRITE space=bar bar=7 off=0 width=4 value=1 via=window
 *   REQUEST q=0 expect=eq ms=500
 *
 * Header keys: name, modes (legacy,transitional,modern or all), spec
 * (accept ignore refuse safe), iface (any legacy modern), features
 * (transport feature names without VIRTIO_F_, '|' or ',' separated, or a
 * number), types (net,blk,... or all), requires (requirement ids; more on
 * lines "requires ID,ID,..." after the header).
 * Operation keys: reg, space, off, width, q (a number, or target: the
 * type's request queue), value, mask, expect, req, via (window), soft (0/1),
 * plus (target|nqueues|nvectors: the value is relative), and ms/bar/aux (one slot: a bound in ms for waits,
 * a BAR number for space=bar). Values may be numbers (decimal, 0x hex) or
 * '|'-joined symbols: ACKNOWLEDGE DRIVER DRIVER_OK FEATURES_OK NEEDS_RESET
 * FAILED NO_VECTOR ALL, and F_<feature> for a transport feature bit.
 * A req= not listed in requires is added to it. '#' starts a comment.
 * Values that do not fit their bytes, keys given twice, registers or
 * structures the sequence's interface lacks are refused, naming the line. */
#include "ctl_text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "scn_lex.h"
#include "vc/spec_features.h"

static const struct { const char *name; uint64_t v; } symbols[] = {
    { "ACKNOWLEDGE", 1 }, { "DRIVER", 2 }, { "DRIVER_OK", 4 }, { "FEATURES_OK", 8 },
    { "NEEDS_RESET", 0x40 }, { "FAILED", 0x80 }, { "NO_VECTOR", 0xffff }, { "ALL", UINT64_MAX },
};
#define NSYMBOLS (sizeof(symbols) / sizeof(symbols[0]))

static const struct { const char *name; unsigned bit; } tfeatures[] = {
#define VC_CTL_TFEAT(dev, bit, name, legacy, g0, g1, g2, g3) { #name, bit },
    VC_FEATURES(VC_CTL_TFEAT)
#undef VC_CTL_TFEAT
};
static const unsigned tfeature_dev[] = {
#define VC_CTL_TFEAT_DEV(dev, bit, name, legacy, g0, g1, g2, g3) dev,
    VC_FEATURES(VC_CTL_TFEAT_DEV)
#undef VC_CTL_TFEAT_DEV
};
#define NTFEATURES (sizeof(tfeatures) / sizeof(tfeatures[0]))
#define FPREFIX "VIRTIO_F_"

static const struct { const char *name; unsigned bit; } plus_names[] = {
    { "target", VC_CTL_OF_PLUS_TQ }, { "nqueues", VC_CTL_OF_PLUS_NQ }, { "nvectors", VC_CTL_OF_PLUS_NV },
};
#define NPLUS (sizeof(plus_names) / sizeof(plus_names[0]))

static const char *const mode_names[] = { "legacy", "transitional", "modern" };

/* A transport feature by its name without VIRTIO_F_; -1 when unknown. */
static int tfeature(const char *p, size_t n)
{
    for (size_t i = 0; i < NTFEATURES; i++) {
        const char *nm = tfeatures[i].name;
        if (tfeature_dev[i] == 0 && strncmp(nm, FPREFIX, strlen(FPREFIX)) == 0 &&
            strlen(nm + strlen(FPREFIX)) == n && strncmp(nm + strlen(FPREFIX), p, n) == 0)
            return (int)tfeatures[i].bit;
    }
    return -1;
}

/* ---- printing ---- */

static void print_bits(FILE *out, uint64_t v, bool features)
{
    const char *sep = "";
    if (v == UINT64_MAX) {
        fprintf(out, "ALL");
        return;
    }
    if (features && __builtin_popcountll(v) <= 4) { /* names while they stay short */
        for (size_t i = 0; i < NTFEATURES; i++) {
            uint64_t b = 1ull << tfeatures[i].bit;
            if (tfeature_dev[i] == 0 && tfeatures[i].bit < 64 && (v & b)) {
                fprintf(out, "%s%s", sep, tfeatures[i].name + strlen(FPREFIX));
                sep = "|";
                v &= ~b;
            }
        }
    }
    if (v || !*sep)
        fprintf(out, "%s0x%" PRIx64, sep, v);
}

static void print_list(FILE *out, const char *key, unsigned bits, const char *(*name)(unsigned),
                       unsigned n)
{
    fprintf(out, " %s=", key);
    const char *sep = "";
    for (unsigned i = 0; i < n; i++) {
        if (bits & 1u << i) {
            fprintf(out, "%s%s", sep, name(i));
            sep = ",";
        }
    }
}

static const char *mode_name(unsigned i) { return mode_names[i]; }

static bool aux_is_ms(unsigned op)
{
    return op == VC_CTL_WAIT || op == VC_CTL_SLEEP || op == VC_CTL_RESET ||
           op == VC_CTL_REQUEST || op == VC_CTL_INIT;
}

void vc_ctl_print(FILE *out, const vc_ctl_seq *s)
{
    fprintf(out, "ctl");
    if (s->name[0])
        fprintf(out, " name=%s", s->name);
    print_list(out, "modes", s->modes, mode_name, 3);
    fprintf(out, " spec=%s", vc_ctl_spec_name(s->spec));
    if (s->iface)
        fprintf(out, " iface=%s", vc_ctl_iface_name(s->iface));
    if (s->features) {
        fprintf(out, " features=");
        print_bits(out, s->features, true);
    }
    if (s->types)
        print_list(out, "types", s->types, vc_ctl_type_name, vc_ctl_ntypes());
    /* a few ids in the header, more on 'requires' lines of four (lines are short) */
    if (s->nreqs && s->nreqs <= 2) {
        fprintf(out, " requires=");
        for (unsigned i = 0; i < s->nreqs; i++)
            fprintf(out, "%s%s", i ? "," : "", s->reqs[i]);
    }
    if (s->reserved0)
        fprintf(out, " reserved=0x%x", s->reserved0);
    fputc('\n', out);
    for (unsigned i = 0; s->nreqs > 2 && i < s->nreqs; i++)
        fprintf(out, "%s%s%s", i % 4 ? "," : "requires ", s->reqs[i],
                i % 4 == 3 || i + 1 == s->nreqs ? "\n" : "");
    for (uint32_t i = 0; i < s->nops; i++) {
        const vc_ctl_op *o = &s->ops[i];
        bool named = vc_ctl_op_named(o->op), raw = o->op == VC_CTL_READ || o->op == VC_CTL_WRITE;
        fprintf(out, "%s", vc_ctl_op_name(o->op));
        if (named)
            fprintf(out, " reg=%s", vc_ctl_reg_get(o->target)->name);
        else if (raw || o->target)
            fprintf(out, " space=%s", vc_ctl_space_name(o->target));
        if (o->queue == VC_CTL_Q_TARGET)
            fprintf(out, " q=target");
        else if (o->queue)
            fprintf(out, " q=%u", o->queue);
        if (o->off || raw)
            fprintf(out, " off=0x%" PRIx32, o->off);
        if (!named && (raw || o->width != 1))
            fprintf(out, " width=%u", o->width);
        if (o->aux)
            fprintf(out, " %s=%" PRIu32,
                    aux_is_ms(o->op) ? "ms" : raw && o->target == VC_CTL_S_bar ? "bar" : "aux",
                    o->aux);
        if (o->value || o->op == VC_CTL_WR || o->op == VC_CTL_WRITE || o->op == VC_CTL_ALSO ||
            (o->expect != VC_CTL_E_none && o->expect != VC_CTL_E_unchanged)) {
            fprintf(out, " value=");
            print_bits(out, o->value, o->op == VC_CTL_INIT || o->op == VC_CTL_FEATURES);
        }
        if (o->mask)
            fprintf(out, " mask=0x%" PRIx64, o->mask);
        if (o->expect)
            fprintf(out, " expect=%s", vc_ctl_expect_name(o->expect));
        if (s->nreqs && (o->req || o->expect))
            fprintf(out, " req=%s", s->reqs[o->req % s->nreqs]);
        if (o->flags & VC_CTL_OF_WINDOW)
            fprintf(out, " via=window");
        if (o->flags & VC_CTL_OF_SOFT)
            fprintf(out, " soft=1");
        if (o->flags & (VC_CTL_OF_PLUS_TQ | VC_CTL_OF_PLUS_NQ | VC_CTL_OF_PLUS_NV)) {
            const char *sep = " plus=";
            for (unsigned pi = 0; pi < NPLUS; pi++)
                if (o->flags & plus_names[pi].bit) {
                    fprintf(out, "%s%s", sep, plus_names[pi].name);
                    sep = "|";
                }
        }
        if (o->reserved)
            fprintf(out, " reserved=0x%x", o->reserved);
        fputc('\n', out);
    }
}

/* ---- parsing ---- */

typedef struct ctx {
    char *err;
    size_t errcap;
    unsigned line;
    unsigned header_line;
    bool strict;
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

/* A number, or symbols joined by '|' (features: transport feature names). */
static bool value(ctx *c, const char *key, const char *v, bool features, uint64_t max,
                  uint64_t *out)
{
    uint64_t acc = 0;
    for (const char *p = v;; p++) {
        size_t n = strcspn(p, features ? "|," : "|");
        uint64_t bits = 0;
        if (n == 0)
            return fail(c, "%s=%s has an empty part", key, v);
        size_t i = 0;
        while (i < NSYMBOLS && !(strlen(symbols[i].name) == n && !strncmp(p, symbols[i].name, n)))
            i++;
        int fb = -1;
        if (i < NSYMBOLS) {
            bits = symbols[i].v;
        } else if (features && (fb = tfeature(p, n)) >= 0) {
            bits = fb < 64 ? 1ull << fb : 0;
        } else if (n > 2 && p[0] == 'F' && p[1] == '_' &&
                   (fb = tfeature(p + 2, n - 2)) >= 0) {
            bits = fb < 64 ? 1ull << fb : 0;
        } else {
            const char *why = vc_scn_parse_u64(p, n, &bits);
            if (why)
                return fail(c, "%s=%s: '%.*s' %s (or a known symbol)", key, v, (int)n, p, why);
        }
        if (fb >= 64)
            return fail(c, "%s=%s: feature bit %d is past bit 63", key, v, fb);
        acc |= bits;
        p += n;
        if (!*p)
            break;
    }
    if (acc > max)
        return fail(c, "%s=%s is out of range (0..0x%" PRIx64 ")", key, v, max);
    *out = acc;
    return true;
}

/* Finds v (n bytes) in names[0..count); -1 when absent. */
static int lookup(const char *v, size_t n, const char *(*name)(unsigned), unsigned count)
{
    for (unsigned i = 0; i < count; i++)
        if (strlen(name(i)) == n && strncmp(name(i), v, n) == 0)
            return (int)i;
    return -1;
}

static bool name_list(ctx *c, const char *key, const char *v, const char *(*name)(unsigned),
                      unsigned count, unsigned *out)
{
    unsigned acc = 0;
    if (strcmp(v, "all") == 0) {
        *out = (1u << count) - 1;
        return true;
    }
    for (const char *p = v;; p++) {
        size_t n = strcspn(p, ",");
        int i = lookup(p, n, name, count);
        if (i < 0)
            return fail(c, "%s=%s: unknown '%.*s'", key, v, (int)n, p);
        acc |= 1u << i;
        p += n;
        if (!*p)
            break;
    }
    *out = acc;
    return true;
}

static bool ident_ok(const char *v, size_t n, size_t max)
{
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = v[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* Index of requirement id v (n bytes) in s, added when new (always when
 * listed: a decoded sequence may list one twice); -1 on error. */
static int add_req(ctx *c, vc_ctl_seq *s, const char *v, size_t n, bool listed)
{
    if (!ident_ok(v, n, VC_CTL_REQ_LEN))
        return fail(c, "requirement id '%.*s' is not an id of at most %d characters "
                       "[A-Za-z0-9._-]", (int)n, v, VC_CTL_REQ_LEN), -1;
    for (unsigned i = 0; !listed && i < s->nreqs; i++)
        if (strlen(s->reqs[i]) == n && strncmp(s->reqs[i], v, n) == 0)
            return (int)i;
    if (s->nreqs >= VC_CTL_MAX_REQS)
        return fail(c, "more than %d requirement ids", VC_CTL_MAX_REQS), -1;
    memcpy(s->reqs[s->nreqs], v, n);
    s->reqs[s->nreqs][n] = 0;
    return s->nreqs++;
}

/* A comma-separated list of requirement ids ("req=" and "requires"). */
static bool add_req_list(ctx *c, vc_ctl_seq *s, const char *list)
{
    for (const char *p = list;; p++) {
        size_t n = strcspn(p, ",");
        if (add_req(c, s, p, n, true) < 0)
            return false;
        p += n;
        if (!*p)
            return true;
    }
}

static const char *const hkeys[] = { "name", "modes", "spec", "iface", "features", "types",
                                     "requires", "reserved" };
#define NHKEYS (sizeof(hkeys) / sizeof(hkeys[0]))

static const char *spec_name(unsigned i) { return vc_ctl_spec_name(i); }
static const char *iface_name(unsigned i) { return vc_ctl_iface_name(i); }
static const char *space_name(unsigned i) { return vc_ctl_space_name(i); }
static const char *expect_name(unsigned i) { return vc_ctl_expect_name(i); }
static const char *reg_name(unsigned i) { return vc_ctl_reg_get(i)->name; }
static const char *type_name(unsigned i) { return vc_ctl_type_name(i); }

static bool header_field(ctx *c, vc_ctl_seq *s, const char *key, const char *v, uint32_t *seen)
{
    unsigned k = 0, bits;
    uint64_t num;
    int i;
    while (k < NHKEYS && strcmp(key, hkeys[k]) != 0)
        k++;
    if (k == NHKEYS)
        return fail(c, "the header has no key '%s'", key);
    if (*seen & 1u << k)
        return fail(c, "'%s' given twice", key);
    *seen |= 1u << k;
    switch (k) {
    case 0:
        if (!ident_ok(v, strlen(v), VC_CTL_NAME_LEN))
            return fail(c, "name=%s is not a name of at most %d characters [A-Za-z0-9._-]", v,
                        VC_CTL_NAME_LEN);
        strcpy(s->name, v);
        return true;
    case 1:
        if (!name_list(c, key, v, mode_name, 3, &bits))
            return false;
        s->modes = (uint8_t)bits;
        return true;
    case 2:
    case 3:
        i = lookup(v, strlen(v), k == 2 ? spec_name : iface_name,
                   k == 2 ? VC_CTL_NSPECS : VC_CTL_NIFACES);
        if (i < 0)
            return fail(c, "%s=%s is not one of the known words", key, v);
        if (k == 2)
            s->spec = (uint8_t)i;
        else
            s->iface = (uint8_t)i;
        return true;
    case 4:
        if (!value(c, key, v, true, UINT64_MAX, &num))
            return false;
        s->features = num;
        return true;
    case 5:
        if (!name_list(c, key, v, type_name, vc_ctl_ntypes(), &bits))
            return false;
        s->types = (uint16_t)bits;
        return true;
    case 6:
        return add_req_list(c, s, v);
    default:
        if (!value(c, key, v, false, 0xff, &num))
            return false;
        s->reserved0 = (uint8_t)num;
        return true;
    }
}

enum okey { K_REG, K_SPACE, K_OFF, K_WIDTH, K_Q, K_VALUE, K_MASK, K_EXPECT, K_REQ, K_VIA,
            K_SOFT, K_AUX, K_RESERVED, K_PLUS, NOKEYS };
static const char *const okeys[NOKEYS] = { "reg", "space", "off", "width", "q", "value", "mask",
                                           "expect", "req", "via", "soft", "aux", "reserved", "plus" };

static bool op_field(ctx *c, vc_ctl_seq *s, vc_ctl_op *o, const char *key, const char *v,
                     uint32_t *seen)
{
    unsigned k = 0;
    const char *kk = strcmp(key, "ms") == 0 || strcmp(key, "bar") == 0 ? "aux" : key;
    while (k < NOKEYS && strcmp(kk, okeys[k]) != 0)
        k++;
    if (k == NOKEYS)
        return fail(c, "%s has no key '%s'", vc_ctl_op_name(o->op), key);
    if (*seen & 1u << k)
        return fail(c, "'%s' given twice (ms, bar and aux are one slot)", key);
    *seen |= 1u << k;
    bool named = vc_ctl_op_named(o->op);
    uint64_t num = 0;
    int i;
    switch (k) {
    case K_REG:
    case K_SPACE:
        if ((k == K_REG) != named)
            return fail(c, "%s takes %s, not %s", vc_ctl_op_name(o->op), named ? "reg" : "space",
                        key);
        i = k == K_REG ? lookup(v, strlen(v), reg_name, VC_CTL_NREGS)
                       : lookup(v, strlen(v), space_name, VC_CTL_NSPACES);
        if (i < 0)
            return fail(c, "unknown %s '%s'", key, v);
        o->target = (uint8_t)i;
        return true;
    case K_EXPECT:
        i = lookup(v, strlen(v), expect_name, VC_CTL_NEXPECTS);
        if (i < 0)
            return fail(c, "expect=%s is not one of none eq ne oneof unchanged", v);
        o->expect = (uint8_t)i;
        return true;
    case K_REQ:
        i = add_req(c, s, v, strlen(v), false);
        if (i < 0)
            return false;
        o->req = (uint8_t)i;
        return true;
    case K_VIA:
        if (strcmp(v, "window") != 0)
            return fail(c, "via=%s: only via=window is known", v);
        o->flags |= VC_CTL_OF_WINDOW;
        return true;
    case K_SOFT:
        if (!value(c, key, v, false, 1, &num))
            return false;
        o->flags = (uint8_t)(num ? o->flags | VC_CTL_OF_SOFT : o->flags & ~VC_CTL_OF_SOFT);
        return true;
    case K_PLUS:
        for (const char *p = v;; p++) {
            size_t n = strcspn(p, "|");
            unsigned pi = 0;
            while (pi < NPLUS && !(strlen(plus_names[pi].name) == n && !strncmp(p, plus_names[pi].name, n)))
                pi++;
            if (pi == NPLUS)
                return fail(c, "plus=%s: '%.*s' is not target, nqueues or nvectors", v, (int)n, p);
            o->flags |= (uint8_t)plus_names[pi].bit;
            p += n;
            if (!*p)
                break;
        }
        return true;
    case K_Q:
        if (strcmp(v, "target") == 0) {
            o->queue = VC_CTL_Q_TARGET;
            return true;
        }
        break;
    case K_WIDTH:
        if (named)
            return fail(c, "%s uses the register's own width", vc_ctl_op_name(o->op));
        if (!value(c, key, v, false, 8, &num))
            return false;
        if (num != 1 && num != 2 && num != 3 && num != 4 && num != 8)
            return fail(c, "width=%s: an access is 1, 2, 3, 4 or 8 bytes", v);
        o->width = (uint8_t)num;
        return true;
    default:
        break;
    }
    static const uint64_t max[NOKEYS] = { [K_OFF] = UINT32_MAX, [K_Q] = 0xff,
                                          [K_VALUE] = UINT64_MAX, [K_MASK] = UINT64_MAX,
                                          [K_AUX] = UINT32_MAX, [K_RESERVED] = 0xffff };
    bool feat = k == K_VALUE && (o->op == VC_CTL_INIT || o->op == VC_CTL_FEATURES);
    if (!value(c, key, v, feat, max[k], &num))
        return false;
    switch (k) {
    case K_OFF: o->off = (uint32_t)num; break;
    case K_Q: o->queue = (uint8_t)num; break;
    case K_VALUE: o->value = num; break;
    case K_MASK: o->mask = num; break;
    case K_AUX: o->aux = (uint32_t)num; break;
    default: o->reserved = (uint16_t)num; break;
    }
    return true;
}

/* The interfaces the sequence may be played through: bit 0 legacy, 1 modern. */
static unsigned ifaces(const vc_ctl_seq *s)
{
    if (s->iface == VC_CTL_I_legacy)
        return 1;
    if (s->iface == VC_CTL_I_modern)
        return 2;
    return (s->modes & VC_CTL_M_LEGACY ? 1u : 0u) |
           (s->modes & (VC_CTL_M_TRANSITIONAL | VC_CTL_M_MODERN) ? 2u : 0u);
}

/* An op must make sense in every interface the sequence is played through. */
static bool op_check(ctx *c, const vc_ctl_seq *s, const vc_ctl_op *o, uint32_t seen)
{
    unsigned need = ifaces(s);
    const char *name = vc_ctl_op_name(o->op);
    if (vc_ctl_op_named(o->op)) {
        if (!(seen & 1u << K_REG))
            return fail(c, "%s needs reg=", name);
        const vc_ctl_reg_info *r = vc_ctl_reg_get(o->target);
        if ((need & 1) && r->legacy_off < 0)
            return fail(c, "register %s is not in the legacy interface this sequence uses "
                           "(set iface=modern or drop legacy from modes)", r->name);
        if ((need & 2) && r->modern_off < 0)
            return fail(c, "register %s is not in the modern interface this sequence uses "
                           "(set iface=legacy or use modes=legacy)", r->name);
        if (o->op == VC_CTL_WAIT && !(seen & 1u << K_AUX))
            return fail(c, "WAIT needs a bound (ms=)");
    }
    if (o->op == VC_CTL_READ || o->op == VC_CTL_WRITE) {
        if (!(seen & 1u << K_SPACE) || !(seen & 1u << K_WIDTH))
            return fail(c, "%s needs space= and width=", name);
        bool modern_only = o->target == VC_CTL_S_common || o->target == VC_CTL_S_notify ||
                           o->target == VC_CTL_S_isr || (o->flags & VC_CTL_OF_WINDOW);
        bool memory = o->target == VC_CTL_S_ring || o->target == VC_CTL_S_used;
        if (memory && (o->flags & VC_CTL_OF_WINDOW))
            return fail(c, "space %s is guest memory: not through the window", vc_ctl_space_name(o->target));
        if (o->width == 3 && !(o->flags & VC_CTL_OF_WINDOW) && !memory)
            return fail(c, "no CPU access is 3 bytes wide: width=3 goes through via=window");
        if ((need & 1) && modern_only)
            return fail(c, "space %s%s is modern, but this sequence plays through legacy",
                        vc_ctl_space_name(o->target), o->flags & VC_CTL_OF_WINDOW ? " via window" : "");
        if ((need & 2) && o->target == VC_CTL_S_legacy)
            return fail(c, "space legacy, but this sequence plays through the modern interface");
    }
    if (o->op == VC_CTL_ALSO &&
        (o == s->ops || (o[-1].op != VC_CTL_ALSO && o[-1].expect != VC_CTL_E_oneof)))
        return fail(c, "ALSO follows a read with expect=oneof (or another ALSO)");
    if ((o->op == VC_CTL_REQUEST || o->op == VC_CTL_RESET) && !(seen & 1u << K_AUX))
        return fail(c, "%s needs a bound (ms=)", name);
    bool judged = o->expect != VC_CTL_E_none || (o->op == VC_CTL_WAIT && !(o->flags & VC_CTL_OF_SOFT));
    if (judged && !(seen & 1u << K_REQ))
        return fail(c, "%s judges the device: name the requirement (req=ID, or req=- on a request or "
                       "reset whose failure only means the device stopped answering)", name);
    if (o->op == VC_CTL_REQUEST && o->expect != VC_CTL_E_eq && o->expect != VC_CTL_E_ne &&
        o->expect != VC_CTL_E_none)
        return fail(c, "REQUEST takes expect=eq (must complete), ne (must not) or none (sent, not waited for)");
    return true;
}

static bool parse_line(ctx *c, vc_ctl_seq *s, char *line)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = 0;
    char *save;
    char *tok = strtok_r(line, " \t\r", &save);
    if (!tok)
        return true;
    if (strcmp(tok, "requires") == 0) { /* more requirement ids: "requires ID,ID" */
        char *list = strtok_r(NULL, " \t\r", &save);
        if (!c->header_line)
            return fail(c, "requires before the 'ctl' header line");
        if (!list || strtok_r(NULL, " \t\r", &save))
            return fail(c, "requires takes one comma-separated list of ids");
        return add_req_list(c, s, list);
    }
    bool header = strcmp(tok, "ctl") == 0;
    if (header && c->header_line)
        return fail(c, "a second 'ctl' header (the first is on line %u)", c->header_line);
    vc_ctl_op *o = NULL;
    if (header) {
        c->header_line = c->line;
    } else {
        int k = lookup(tok, strlen(tok), vc_ctl_op_name, VC_CTL_NOPS);
        if (k < 0)
            return fail(c, "unknown operation '%s'", tok);
        if (!c->header_line)
            return fail(c, "%s before the 'ctl' header line", tok);
        if (s->nops >= VC_CTL_MAX_OPS)
            return fail(c, "more than %d operations", VC_CTL_MAX_OPS);
        o = &s->ops[s->nops];
        memset(o, 0, sizeof(*o));
        o->op = (uint8_t)k;
        o->width = vc_ctl_op_named(o->op) ? 0 : 1;
    }
    uint32_t seen = 0;
    while ((tok = strtok_r(NULL, " \t\r", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok || !eq[1])
            return fail(c, "bad field '%s' (want key=value)", tok);
        *eq = 0;
        if (!(header ? header_field(c, s, tok, eq + 1, &seen) : op_field(c, s, o, tok, eq + 1, &seen)))
            return false;
    }
    if (header)
        return true;
    if (c->strict && !op_check(c, s, o, seen))
        return false;
    s->nops++;
    return true;
}

static bool parse(FILE *in, vc_ctl_seq *s, char *err, size_t errcap, bool strict)
{
    memset(s, 0, sizeof(*s));
    s->modes = VC_CTL_M_ALL;
    ctx c = { err, errcap, 0, 0, strict };
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
        snprintf(err, errcap, "no 'ctl' header line");
        return false;
    }
    /* modes are checked after the whole header: an op's interface check needs them */
    if (!s->modes) {
        snprintf(err, errcap, "line %u: modes is empty", c.header_line);
        return false;
    }
    s->version = 1;
    return true;
}

bool vc_ctl_parse(FILE *in, vc_ctl_seq *s, char *err, size_t errcap)
{
    return parse(in, s, err, errcap, true);
}

bool vc_ctl_parse_lax(FILE *in, vc_ctl_seq *s, char *err, size_t errcap)
{
    return parse(in, s, err, errcap, false);
}
