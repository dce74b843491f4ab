#include "chain_build.h"

#include "vc/mutant.h"
#include "vc/ring.h"

void vc_chain_reset(vc_chain *c)
{
    c->id = 0;
    c->ndesc = 0;
    c->nseg = 0;
    c->n_out = 0;
    c->out_bytes = 0;
    c->in_bytes = 0;
}

vc_err vc_chain_add(const vc_gmem *m, vc_chain *c, uint64_t addr, uint32_t len, bool write)
{
    if (VC_MUTANT_IS(LONG_CHAIN) ? c->nseg > c->cap : c->nseg >= c->cap)
        return VC_E_CHAIN_TOO_LONG;
    if (VC_MUTANT_IS(ADDR_OVERFLOW)) {
        /* the classic bug: end computed with wrap, checked against nothing */
        if (len && !vc_gmem_valid(m, addr, 1))
            return VC_E_BUF_ADDR;
    } else if (!vc_gmem_valid(m, addr, len)) {
        return VC_E_BUF_ADDR;
    }
    if (!write && c->nseg > c->n_out && !VC_MUTANT_IS(WRITE_BEFORE_READ))
        return VC_E_WRITE_BEFORE_READ;
    /* the spec's bound is 2^32 bytes in total; a 32-bit sum is the bug */
    uint64_t total = c->out_bytes + c->in_bytes + len;
    if (VC_MUTANT_IS(TOTAL_LEN_OVERFLOW) ? (uint32_t)total < len : total > (1ull << 32))
        return VC_E_TOTAL_LEN;
    c->seg[c->nseg++] = (vc_seg){ .addr = addr, .len = len, .write = write };
    if (write) {
        c->in_bytes += len;
    } else {
        c->n_out++;
        c->out_bytes += len;
    }
    return VC_OK;
}

vc_err vc_indirect_check(const vc_gmem *m, uint64_t addr, uint32_t len, uint32_t *entries)
{
    if (len == 0 && !VC_MUTANT_IS(INDIRECT_LEN_ZERO))
        return VC_E_INDIRECT_LEN;
    if (len % VC_SPLIT_DESC_SIZE != 0 && !VC_MUTANT_IS(INDIRECT_LEN_MOD16))
        return VC_E_INDIRECT_LEN;
    if (!vc_gmem_valid(m, addr, len))
        return VC_E_BUF_ADDR;
    *entries = len / VC_SPLIT_DESC_SIZE;
    return VC_OK;
}
