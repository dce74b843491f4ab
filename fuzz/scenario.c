#include "scenario.h"

#include <endian.h>
#include <string.h>

#include "vc/vq_dev.h"

static const char *const names[VC_SCN_NOPS] = {
#define VC_SCN_OP_NAME(name) #name,
    VC_SCN_OPS(VC_SCN_OP_NAME)
#undef VC_SCN_OP_NAME
};

const char *vc_scn_op_name(unsigned op)
{
    return op < VC_SCN_NOPS ? names[op] : "?";
}

/* Fixed-width loads for the decoder's hot loop. */
static uint16_t le16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return le16toh(v); }
static uint32_t le32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static uint64_t le64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }

static void put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t qsize_for(uint8_t features, uint16_t raw)
{
    if (features & VC_SCN_F_PACKED)
        return (uint16_t)(raw % 1024 + 1);
    return (uint16_t)(1u << (raw % 11));
}

void vc_scn_decode(const uint8_t *data, size_t len, vc_scenario *s)
{
    uint8_t hdr[VC_SCN_HDR] = { 0 };
    memcpy(hdr, data, len < VC_SCN_HDR ? len : VC_SCN_HDR);
    s->version = 1;
    s->features = hdr[1] & 0xf;
    s->raw_qsize = le16(hdr + 2);
    s->qsize = qsize_for(s->features, s->raw_qsize);
    s->used_policy = hdr[4] % 4;
    memcpy(s->reserved, hdr + 5, sizeof(s->reserved));
    s->nops = 0;
    for (size_t off = VC_SCN_HDR; off < len && s->nops < VC_SCN_MAX_OPS; off += VC_SCN_REC) {
        uint8_t pad[VC_SCN_REC] = { 0 };
        const uint8_t *rec = data + off;
        if (len - off < VC_SCN_REC) /* a trailing partial record is zero-padded */
            rec = memcpy(pad, data + off, len - off);
        vc_scn_op *o = &s->ops[s->nops++];
        o->op = rec[0] % VC_SCN_NOPS;
        o->a8 = rec[1];
        o->a16 = le16(rec + 2);
        o->a32 = le32(rec + 4);
        o->a64 = le64(rec + 8);
    }
}

size_t vc_scn_encode(const vc_scenario *s, uint8_t *out, size_t cap)
{
    uint8_t hdr[VC_SCN_HDR] = { 0 };
    hdr[0] = 1;
    hdr[1] = s->features;
    put(hdr + 2, s->raw_qsize, 2);
    hdr[4] = s->used_policy;
    memcpy(hdr + 5, s->reserved, sizeof(s->reserved));
    if (cap < VC_SCN_HDR)
        return 0;
    memcpy(out, hdr, VC_SCN_HDR);
    size_t off = VC_SCN_HDR;
    for (uint32_t i = 0; i < s->nops && off + VC_SCN_REC <= cap; i++, off += VC_SCN_REC) {
        const vc_scn_op *o = &s->ops[i];
        out[off] = o->op;
        out[off + 1] = o->a8;
        put(out + off + 2, o->a16, 2);
        put(out + off + 4, o->a32, 4);
        put(out + off + 8, o->a64, 8);
    }
    return off;
}

uint64_t vc_scn_ring_features(const vc_scenario *s)
{
    uint64_t f = 1ull << VC_F_VERSION_1;
    if (s->features & VC_SCN_F_PACKED)
        f |= 1ull << VC_F_RING_PACKED;
    if (s->features & VC_SCN_F_INDIRECT)
        f |= 1ull << VC_F_INDIRECT_DESC;
    if (s->features & VC_SCN_F_EVENT_IDX)
        f |= 1ull << VC_F_EVENT_IDX;
    if (s->features & VC_SCN_F_IN_ORDER)
        f |= 1ull << VC_F_IN_ORDER;
    return f;
}
