#include "ctl_seq.h"

#include <string.h>

static const char *const op_names[VC_CTL_NOPS] = {
#define VC_CTL_OP_NAME(n) #n,
    VC_CTL_OPS(VC_CTL_OP_NAME)
#undef VC_CTL_OP_NAME
};
static const char *const space_names[VC_CTL_NSPACES] = {
#define VC_CTL_SPACE_NAME(n) #n,
    VC_CTL_SPACES(VC_CTL_SPACE_NAME)
#undef VC_CTL_SPACE_NAME
};
static const char *const expect_names[VC_CTL_NEXPECTS] = {
#define VC_CTL_EXPECT_NAME(n) #n,
    VC_CTL_EXPECTS(VC_CTL_EXPECT_NAME)
#undef VC_CTL_EXPECT_NAME
};
static const char *const spec_names[VC_CTL_NSPECS] = {
#define VC_CTL_SPEC_NAME(n) #n,
    VC_CTL_SPECS(VC_CTL_SPEC_NAME)
#undef VC_CTL_SPEC_NAME
};
static const char *const iface_names[VC_CTL_NIFACES] = {
#define VC_CTL_IFACE_NAME(n) #n,
    VC_CTL_IFACES(VC_CTL_IFACE_NAME)
#undef VC_CTL_IFACE_NAME
};
static const char *const type_names[] = {
#define VC_CTL_TYPE_NAME(n) #n,
    VC_CTL_TYPES(VC_CTL_TYPE_NAME)
#undef VC_CTL_TYPE_NAME
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))
static const vc_ctl_reg_info regs[VC_CTL_NREGS] = {
#define VC_CTL_REG_INFO(n, mo, mw, lo, lw, addr) { #n, mo, lo, mw, lw, addr },
    VC_CTL_REGS(VC_CTL_REG_INFO)
#undef VC_CTL_REG_INFO
};

const char *vc_ctl_op_name(unsigned op) { return op < VC_CTL_NOPS ? op_names[op] : "?"; }
const char *vc_ctl_space_name(unsigned s) { return s < VC_CTL_NSPACES ? space_names[s] : "?"; }
const char *vc_ctl_expect_name(unsigned e) { return e < VC_CTL_NEXPECTS ? expect_names[e] : "?"; }
const char *vc_ctl_spec_name(unsigned s) { return s < VC_CTL_NSPECS ? spec_names[s] : "?"; }
const char *vc_ctl_iface_name(unsigned i) { return i < VC_CTL_NIFACES ? iface_names[i] : "?"; }
const char *vc_ctl_type_name(unsigned i) { return i < NTYPES ? type_names[i] : NULL; }
unsigned vc_ctl_ntypes(void) { return NTYPES; }
const vc_ctl_reg_info *vc_ctl_reg_get(unsigned r) { return r < VC_CTL_NREGS ? &regs[r] : NULL; }

bool vc_ctl_op_named(unsigned op)
{
    return op == VC_CTL_RD || op == VC_CTL_WR || op == VC_CTL_WAIT;
}

unsigned vc_ctl_reg_width(unsigned r, bool legacy)
{
    if (r >= VC_CTL_NREGS)
        return 0;
    if (legacy)
        return regs[r].legacy_off < 0 ? 0 : regs[r].legacy_width;
    return regs[r].modern_off < 0 ? 0 : regs[r].modern_width;
}

bool vc_ctl_plays_in(const vc_ctl_seq *s, unsigned mode, bool *legacy)
{
    if (!(s->modes & mode))
        return false;
    switch (s->iface) {
    case VC_CTL_I_legacy: *legacy = true; return mode != VC_CTL_M_MODERN;
    case VC_CTL_I_modern: *legacy = false; return mode != VC_CTL_M_LEGACY;
    default: *legacy = mode == VC_CTL_M_LEGACY; return true;
    }
}

uint64_t vc_ctl_op_mask(const vc_ctl_op *o)
{
    if (o->mask)
        return o->mask;
    unsigned w = o->width;
    if (vc_ctl_op_named(o->op) || w >= 8 || w == 0)
        return UINT64_MAX;
    return (1ull << (8 * w)) - 1;
}

const char *vc_ctl_op_req(const vc_ctl_seq *s, const vc_ctl_op *o)
{
    return s->nreqs ? s->reqs[o->req % s->nreqs] : "";
}

static uint64_t ld(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void st(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Names and ids are printable identifiers: anything else reads as '_'. */
static void ident(char *dst, const uint8_t *src, size_t n)
{
    size_t i = 0;
    for (; i < n && src[i]; i++) {
        char c = (char)src[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        dst[i] = ok ? c : '_';
    }
    dst[i] = 0;
}

static uint8_t fold_width(uint8_t w)
{
    static const uint8_t widths[] = { 1, 2, 3, 4, 8 };
    if (w == 1 || w == 2 || w == 3 || w == 4 || w == 8)
        return w;
    return widths[w % 5];
}

void vc_ctl_decode(const uint8_t *data, size_t len, vc_ctl_seq *s)
{
    uint8_t hdr[VC_CTL_HDR] = { 0 };
    memcpy(hdr, data, len < VC_CTL_HDR ? len : VC_CTL_HDR);
    s->version = 1;
    s->modes = hdr[1] & VC_CTL_M_ALL ? hdr[1] & VC_CTL_M_ALL : VC_CTL_M_ALL;
    s->spec = hdr[2] % VC_CTL_NSPECS;
    s->nreqs = hdr[3] % (VC_CTL_MAX_REQS + 1);
    s->features = ld(hdr + 4, 8);
    s->types = (uint16_t)(ld(hdr + 12, 2) & ((1u << NTYPES) - 1));
    s->iface = hdr[14] % VC_CTL_NIFACES;
    s->reserved0 = hdr[15];
    ident(s->name, hdr + 16, VC_CTL_NAME_LEN);
    memcpy(s->reserved1, hdr + 48, sizeof(s->reserved1));
    size_t off = VC_CTL_HDR;
    for (unsigned i = 0; i < s->nreqs; i++, off += VC_CTL_REQ_LEN) {
        uint8_t id[VC_CTL_REQ_LEN] = { 0 };
        if (off < len)
            memcpy(id, data + off, len - off < VC_CTL_REQ_LEN ? len - off : VC_CTL_REQ_LEN);
        ident(s->reqs[i], id, VC_CTL_REQ_LEN);
        if (!s->reqs[i][0]) /* an id is never empty: the text form needs one */
            strcpy(s->reqs[i], "_");
    }
    s->nops = 0;
    for (; off < len && s->nops < VC_CTL_MAX_OPS; off += VC_CTL_REC) {
        uint8_t rec[VC_CTL_REC] = { 0 };
        memcpy(rec, data + off, len - off < VC_CTL_REC ? len - off : VC_CTL_REC);
        vc_ctl_op *o = &s->ops[s->nops++];
        o->op = rec[0] % VC_CTL_NOPS;
        bool named = vc_ctl_op_named(o->op);
        o->target = (uint8_t)(rec[1] % (named ? VC_CTL_NREGS : VC_CTL_NSPACES));
        o->width = named ? 0 : fold_width(rec[2]);
        o->expect = (rec[3] & 0xf) % VC_CTL_NEXPECTS;
        o->req = s->nreqs ? (uint8_t)((rec[3] >> 4) % s->nreqs) : 0;
        for (unsigned k = 0; k < o->req; k++) /* the first of equal ids, as text reads it */
            if (strcmp(s->reqs[k], s->reqs[o->req]) == 0) {
                o->req = (uint8_t)k;
                break;
            }
        o->flags = rec[4] & VC_CTL_OF_ALL;
        o->queue = rec[5];
        o->reserved = (uint16_t)ld(rec + 6, 2);
        o->off = (uint32_t)ld(rec + 8, 4);
        o->aux = (uint32_t)ld(rec + 12, 4);
        o->value = ld(rec + 16, 8);
        o->mask = ld(rec + 24, 8);
    }
}

size_t vc_ctl_encode(const vc_ctl_seq *s, uint8_t *out, size_t cap)
{
    if (cap < VC_CTL_HDR)
        return 0;
    memset(out, 0, VC_CTL_HDR);
    out[0] = 1;
    out[1] = s->modes;
    out[2] = s->spec;
    out[3] = s->nreqs;
    st(out + 4, s->features, 8);
    st(out + 12, s->types, 2);
    out[14] = s->iface;
    out[15] = s->reserved0;
    memcpy(out + 16, s->name, strnlen(s->name, VC_CTL_NAME_LEN));
    memcpy(out + 48, s->reserved1, sizeof(s->reserved1));
    size_t off = VC_CTL_HDR;
    for (unsigned i = 0; i < s->nreqs && i < VC_CTL_MAX_REQS; i++, off += VC_CTL_REQ_LEN) {
        if (off + VC_CTL_REQ_LEN > cap)
            return off;
        memset(out + off, 0, VC_CTL_REQ_LEN);
        memcpy(out + off, s->reqs[i], strnlen(s->reqs[i], VC_CTL_REQ_LEN));
    }
    for (uint32_t i = 0; i < s->nops && off + VC_CTL_REC <= cap; i++, off += VC_CTL_REC) {
        const vc_ctl_op *o = &s->ops[i];
        uint8_t *r = out + off;
        r[0] = o->op;
        r[1] = o->target;
        r[2] = o->width;
        r[3] = (uint8_t)((o->expect & 0xf) | (o->req & 0xf) << 4);
        r[4] = o->flags;
        r[5] = o->queue;
        st(r + 6, o->reserved, 2);
        st(r + 8, o->off, 4);
        st(r + 12, o->aux, 4);
        st(r + 16, o->value, 8);
        st(r + 24, o->mask, 8);
    }
    return off;
}
