/* vhost-user message codec (see vu_msg.h). Numbers are in host byte order,
 * as the protocol has them; every field is copied with memcpy, never read
 * through a cast pointer. */
#include "vu_msg.h"

#include <string.h>

typedef struct req_info {
    uint32_t id;
    const char *name;
    vu_payload req, rep;
    vu_fds fds;
} req_info;

static const req_info requests[] = {
#define VU_REQ_ROW(n, i, rq, rp, f) { i, #n, rq, rp, f },
    VU_REQUESTS(VU_REQ_ROW)
#undef VU_REQ_ROW
};

static const struct { const char *name, *text; } errors[VU_E_COUNT] = {
    [VU_OK] = { "VU_OK", "no error" },
#define VU_ERR_ROW(code, text) [code] = { #code, text },
    VU_ERRORS(VU_ERR_ROW)
#undef VU_ERR_ROW
};

const char *vu_err_name(vu_err e)
{
    return (unsigned)e < VU_E_COUNT ? errors[e].name : "VU_E_?";
}

const char *vu_err_text(vu_err e)
{
    return (unsigned)e < VU_E_COUNT ? errors[e].text : "unknown error";
}

static const req_info *find(uint32_t id)
{
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
        if (requests[i].id == id)
            return &requests[i];
    return NULL;
}

const char *vu_request_name(uint32_t request)
{
    const req_info *r = find(request);
    return r ? r->name : NULL;
}

/* A reply with no payload of its own is the u64 acknowledgement. */
static vu_payload layout(const req_info *r, bool reply)
{
    if (!reply)
        return r->req;
    return r->rep == VU_P_NONE ? VU_P_U64 : r->rep;
}

bool vu_request_payload(uint32_t request, bool reply, vu_payload *p)
{
    const req_info *r = find(request);
    if (r)
        *p = layout(r, reply);
    return r != NULL;
}

bool vu_request_replies(uint32_t request)
{
    const req_info *r = find(request);
    return r && r->rep != VU_P_NONE;
}

static uint32_t ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void st64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static bool wraps(uint64_t base, uint64_t len)
{
    return base + len < base;
}

static bool region_ok(const vu_region *r)
{
    return r->size > 0 && !wraps(r->gpa, r->size) && !wraps(r->uva, r->size) &&
           !wraps(r->mmap_offset, r->size);
}

/* Payload bytes a layout needs; for MEM and CONFIG from the count/size word
 * that starts it (n). UINT32_MAX: impossible. */
static uint32_t layout_size(vu_payload p, uint32_t n)
{
    switch (p) {
    case VU_P_NONE: return 0;
    case VU_P_U64: return 8;
    case VU_P_STATE: return 8;
    case VU_P_ADDR: return 40;
    case VU_P_REGION: return 40;
    case VU_P_MEM: return n <= VU_MAX_REGIONS ? 8 + 32 * n : UINT32_MAX;
    case VU_P_CONFIG: return n <= VU_CONFIG_MAX ? 12 + n : UINT32_MAX;
    }
    return UINT32_MAX;
}

static vu_err check_flags(uint32_t flags, bool reply)
{
    if ((flags & VU_FLAG_VERSION_MASK) != VU_VERSION)
        return VU_E_VERSION;
    uint32_t rest = flags & ~VU_FLAG_VERSION_MASK;
    if (reply ? rest != VU_FLAG_REPLY : (rest & ~VU_FLAG_NEED_REPLY) != 0)
        return VU_E_FLAGS;
    return VU_OK;
}

/* Largest payload a request or reply may have, before its count word is
 * known (MEM and CONFIG grow with it); a CONFIG reply may be empty, which
 * is how a back-end says it failed. */
static bool size_possible(vu_payload p, bool reply, uint32_t size)
{
    switch (p) {
    case VU_P_MEM: return size >= 8 && size <= layout_size(p, VU_MAX_REGIONS) && (size - 8) % 32 == 0;
    case VU_P_CONFIG:
        return (reply && size == 0) || (size >= 12 && size <= layout_size(p, VU_CONFIG_MAX));
    default: return size == layout_size(p, 0);
    }
}

vu_err vu_decode_header(const uint8_t *buf, size_t len, bool reply, vu_msg *m)
{
    memset(m, 0, offsetof(vu_msg, fds));
    if (len < VU_HDR_SIZE)
        return VU_E_SHORT;
    m->request = ld32(buf);
    m->flags = ld32(buf + 4);
    m->size = ld32(buf + 8);
    vu_err e = check_flags(m->flags, reply);
    if (e != VU_OK)
        return e;
    const req_info *r = find(m->request);
    if (!r)
        return VU_E_REQUEST;
    return size_possible(layout(r, reply), reply, m->size) ? VU_OK : VU_E_SIZE;
}

static vu_err check_fds(const req_info *r, const vu_msg *m, bool reply)
{
    unsigned want_lo = 0, want_hi = 0;
    if (!reply) {
        switch (r->fds) {
        case VU_FD_NONE: break;
        case VU_FD_VRING: want_lo = want_hi = (m->u.u64 & VU_VRING_NOFD) ? 0 : 1; break;
        case VU_FD_REGIONS: want_lo = want_hi = m->u.mem.nregions; break;
        case VU_FD_ONE: want_lo = want_hi = 1; break;
        case VU_FD_UPTO1: want_hi = 1; break;
        }
    }
    return m->nfds >= want_lo && m->nfds <= want_hi ? VU_OK : VU_E_FDS;
}

/* The values a payload may hold, beyond its size. */
static vu_err check_values(const req_info *r, vu_payload p, const vu_msg *m, bool reply)
{
    switch (p) {
    case VU_P_U64:
        if (!reply && r->fds == VU_FD_VRING && (m->u.u64 & ~(uint64_t)(VU_VRING_IDX_MASK | VU_VRING_NOFD)))
            return VU_E_VALUE;
        return VU_OK;
    case VU_P_ADDR: return (m->u.addr.flags & ~VU_ADDR_F_LOG) ? VU_E_VALUE : VU_OK;
    case VU_P_MEM:
        for (uint32_t i = 0; i < m->u.mem.nregions; i++)
            if (!region_ok(&m->u.mem.region[i]))
                return VU_E_VALUE;
        return VU_OK;
    case VU_P_REGION: return region_ok(&m->u.region) ? VU_OK : VU_E_VALUE;
    case VU_P_CONFIG:
        if (m->size == 0) /* an empty reply: the back-end's failure */
            return VU_OK;
        if (m->u.config.offset > VU_CONFIG_MAX - m->u.config.size ||
            (m->u.config.flags & ~VU_CONFIG_F_MIGRATION))
            return VU_E_VALUE;
        return VU_OK;
    default: return VU_OK;
    }
}

static void get_region(const uint8_t *p, vu_region *r)
{
    r->gpa = ld64(p);
    r->size = ld64(p + 8);
    r->uva = ld64(p + 16);
    r->mmap_offset = ld64(p + 24);
}

static void put_region(uint8_t *p, const vu_region *r)
{
    st64(p, r->gpa);
    st64(p + 8, r->size);
    st64(p + 16, r->uva);
    st64(p + 24, r->mmap_offset);
}

vu_err vu_decode(const uint8_t *buf, size_t len, const int *fds, unsigned nfds, bool reply,
                 vu_msg *m)
{
    vu_err e = vu_decode_header(buf, len, reply, m);
    if (e != VU_OK)
        return e;
    if (len - VU_HDR_SIZE < m->size)
        return VU_E_TRUNCATED;
    if (len - VU_HDR_SIZE > m->size)
        return VU_E_TRAILING;
    if (nfds > VU_MAX_FDS)
        return VU_E_FDS;
    m->nfds = nfds;
    if (nfds)
        memcpy(m->fds, fds, nfds * sizeof(*fds));
    const req_info *r = find(m->request);
    vu_payload p = layout(r, reply);
    const uint8_t *b = buf + VU_HDR_SIZE;
    switch (p) {
    case VU_P_NONE: break;
    case VU_P_U64: m->u.u64 = ld64(b); break;
    case VU_P_STATE: m->u.state = (vu_state){ ld32(b), ld32(b + 4) }; break;
    case VU_P_ADDR:
        m->u.addr = (vu_addr){ ld32(b), ld32(b + 4), ld64(b + 8), ld64(b + 16), ld64(b + 24), ld64(b + 32) };
        break;
    case VU_P_MEM:
        m->u.mem.nregions = ld32(b);
        if (m->u.mem.nregions > VU_MAX_REGIONS)
            return VU_E_REGIONS;
        if (layout_size(p, m->u.mem.nregions) != m->size)
            return VU_E_SIZE;
        for (uint32_t i = 0; i < m->u.mem.nregions; i++)
            get_region(b + 8 + 32 * i, &m->u.mem.region[i]);
        break;
    case VU_P_REGION: get_region(b + 8, &m->u.region); break;
    case VU_P_CONFIG:
        if (m->size == 0)
            break;
        m->u.config.offset = ld32(b);
        m->u.config.size = ld32(b + 4);
        m->u.config.flags = ld32(b + 8);
        if (layout_size(p, m->u.config.size) != m->size)
            return VU_E_SIZE;
        memcpy(m->u.config.data, b + 12, m->u.config.size);
        break;
    }
    e = check_values(r, p, m, reply);
    return e != VU_OK ? e : check_fds(r, m, reply);
}

vu_err vu_encode(vu_msg *m, bool reply, uint8_t *out, size_t cap, size_t *len)
{
    *len = 0;
    vu_err e = check_flags(m->flags, reply);
    if (e != VU_OK)
        return e;
    const req_info *r = find(m->request);
    if (!r)
        return VU_E_REQUEST;
    vu_payload p = layout(r, reply);
    uint32_t n = p == VU_P_MEM ? m->u.mem.nregions : p == VU_P_CONFIG ? m->u.config.size : 0;
    if (p == VU_P_MEM && n > VU_MAX_REGIONS)
        return VU_E_REGIONS;
    /* a CONFIG reply of size 0 is kept as the back-end's failure answer */
    bool empty = p == VU_P_CONFIG && reply && m->size == 0 && n == 0;
    uint32_t size = empty ? 0 : layout_size(p, n);
    if (size == UINT32_MAX)
        return VU_E_SIZE;
    if (m->nfds > VU_MAX_FDS)
        return VU_E_FDS;
    m->size = size;
    if ((e = check_values(r, p, m, reply)) != VU_OK || (e = check_fds(r, m, reply)) != VU_OK)
        return e;
    if (cap < VU_HDR_SIZE + size)
        return VU_E_TRUNCATED;
    memset(out, 0, VU_HDR_SIZE + size);
    st32(out, m->request);
    st32(out + 4, m->flags);
    st32(out + 8, size);
    uint8_t *b = out + VU_HDR_SIZE;
    switch (p) {
    case VU_P_NONE: break;
    case VU_P_U64: st64(b, m->u.u64); break;
    case VU_P_STATE: st32(b, m->u.state.index); st32(b + 4, m->u.state.num); break;
    case VU_P_ADDR:
        st32(b, m->u.addr.index);
        st32(b + 4, m->u.addr.flags);
        st64(b + 8, m->u.addr.desc);
        st64(b + 16, m->u.addr.used);
        st64(b + 24, m->u.addr.avail);
        st64(b + 32, m->u.addr.log);
        break;
    case VU_P_MEM:
        st32(b, n);
        for (uint32_t i = 0; i < n; i++)
            put_region(b + 8 + 32 * i, &m->u.mem.region[i]);
        break;
    case VU_P_REGION: put_region(b + 8, &m->u.region); break;
    case VU_P_CONFIG:
        if (empty)
            break;
        st32(b, m->u.config.offset);
        st32(b + 4, n);
        st32(b + 8, m->u.config.flags);
        memcpy(b + 12, m->u.config.data, n);
        break;
    }
    *len = VU_HDR_SIZE + size;
    return VU_OK;
}
