/* The verdict oracle: an independent, deliberately plain re-reading of the
 * ring rules that says what a conforming device must do next - take this
 * chain (with these descriptor slots and this writable space) or refuse the
 * ring with this code. It shares no walking code with lib/ (N-version
 * check); only the error codes and memory interface are common.
 *
 * Check order matters for exact codes and follows the spec's reading order:
 * per descriptor, the slot itself, then indirect rules, then the buffer
 * (length limit, memory, direction, total), then the link to the next one.
 */
#ifndef VC_ORACLE_H
#define VC_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

#include "vc/gmem.h"
#include "vc/vq_errors.h"

#define VC_ORACLE_MAX_RANGES 64

typedef struct vc_oracle_chain {
    uint16_t id;
    uint16_t slots;    /* packed: ring slots used */
    uint64_t writable; /* bytes */
    uint32_t nseg;
    /* counts of the lists below; the overflow flags say a list was too long
     * to keep (its checks are then skipped) */
    uint32_t nranges, nwr, nrd;
    bool ranges_overflow, wr_overflow, rd_overflow;
    /* Lists last: vc_oracle_next clears only what comes before them (3 KiB
     * cleared per chain was a tenth of the fuzzer's time). */
    /* descriptor bytes a conforming device reads for this chain */
    struct { uint64_t gpa, len; } range[VC_ORACLE_MAX_RANGES];
    /* the chain's device-writable buffers */
    struct { uint64_t gpa, len; } wr[VC_ORACLE_MAX_RANGES];
    /* the chain's device-readable buffers (a backend that parses requests
     * reads them, wherever the driver put them) */
    struct { uint64_t gpa, len; } rd[VC_ORACLE_MAX_RANGES];
} vc_oracle_chain;

typedef struct vc_oracle {
    const vc_gmem *mem;
    uint16_t size;
    bool packed, indirect, in_order;
    uint64_t desc, driver, device;
    uint16_t last_avail;      /* split */
    uint16_t pos; bool wrap;  /* packed */
} vc_oracle;

void vc_oracle_init(vc_oracle *o, const vc_gmem *mem, uint64_t features, uint16_t size,
                    uint64_t desc, uint64_t driver, uint64_t device);
/* Expected verdict for the next chain: VC_OK with *got (and the chain), VC_OK
 * without *got when nothing is available, or the refusal code. Advances. */
vc_err vc_oracle_next(vc_oracle *o, vc_oracle_chain *c, bool *got);

#endif
