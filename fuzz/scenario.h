/* Fuzz scenarios: a compact, versioned, transport-neutral description of a
 * driver's side of one virtqueue, decoded totally (every byte string is some
 * scenario) so that mutation never wastes an execution on a parse error.
 *
 * Layout: a 16-byte header, then 16-byte operation records. A trailing
 * partial record is zero-padded. The text form is in fuzz/scn_text.c.
 *
 * Header
 *   [0]     version (1; other values are read as 1)
 *   [1]     feature bits: 0 packed, 1 indirect, 2 event idx, 3 in-order
 *   [2..3]  queue size: split 1 << (v % 11), packed v % 1024 + 1
 *   [4]     used-length policy: 0 all writable bytes, 1 none, 2 half, 3 one more
 *   [5]     model targets: which of the model's queues (modulo their count)
 *   [6..13] model targets: device feature bits to accept (LE, masked by offer)
 *   [14]    ring-layer targets: bits 0-3, chains the backend takes before it
 *           uses them (0 or 1: one at a time; a hint, fuzz/adapter.h)
 *   [15]    reserved (kept, ignored)
 *
 * Guest memory (fixed map, so scenarios are position-independent):
 *   rings    0x00010000 .. +256 KiB  descriptor table, driver and device areas
 *   tables   0x00100000 .. +512 KiB  16 indirect tables of 2048 entries
 *   data A   0x00200000 .. +64 KiB
 *   data B   0x00210000 .. +64 KiB   (adjacent to A: buffers may straddle)
 *   data C   0x00300000 .. +64 KiB   (after a gap)
 *   big      0x01000000 .. +64 MiB   (ring-layer targets only: 65 buffers
 *                                     of 64 MiB pass 4 GiB in total)
 *
 * Operations (record byte 0 is the opcode, modulo the count):
 *   DESC   [1] flags  [2..3] index  [4..7] len  [8..15] addr
 *          main-table descriptor; next defaults to index + 1 (split), the
 *          packed buffer id defaults to the ring position
 *   IDESC  [1] flags  [2..3] table<<11 | entry  [4..7] len  [8..15] addr
 *          indirect-table entry; next defaults to entry + 1
 *   NEXT   [1] 0 main table / 1 indirect  [2..3] index (as above)  [4..5] next
 *          (packed main table: sets the buffer id instead)
 *   AVAIL  [2..3] split: head to publish; packed: descriptors in the chain
 *   AIDX   [2..3] split: store this avail idx as is (jumps, rewinds)
 *   KICK   the device serves the queue
 *   RESET  queue reset: device and driver state back to the start
 *   WRAP   packed: flip the driver's wrap counter (confusion on purpose)
 *   EVENT  [1] which, modulo 5: 0 avail flags / 1 used_event / 2 packed
 *          driver event off_wrap / 3 packed driver event flags / 4 an event
 *          value entries ahead of the driver (scn_play.c)  [2..3] value
 *   MEM    [1] len (1..8)  [4..7] gpa  [8..15] bytes: raw guest write
 *   FILL   [1] flags: bits 1-2 WRITE/INDIRECT, bits 3-5 length shift,
 *          bit 6 same address for all, bit 7 main table  [2..3] first index
 *          (as DESC/IDESC)  [4..5] count  [6..7] length each (<< 2*shift)
 *          [8..15] first address: writes count linked descriptors at once
 *          (long chains, and chains past 4 GiB in total, in one record)
 */
#ifndef VC_SCENARIO_H
#define VC_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#define VC_SCN_HDR 16
#define VC_SCN_REC 16
#define VC_SCN_MAX_OPS 4096

#define VC_SCN_F_PACKED 1u
#define VC_SCN_F_INDIRECT 2u
#define VC_SCN_F_EVENT_IDX 4u
#define VC_SCN_F_IN_ORDER 8u

#define VC_SCN_RINGS 0x00010000ull
#define VC_SCN_RINGS_SIZE (256u << 10)
#define VC_SCN_TABLES 0x00100000ull
#define VC_SCN_TABLE_ENTRIES 2048u
#define VC_SCN_NTABLES 16u
#define VC_SCN_TABLES_SIZE (VC_SCN_NTABLES * VC_SCN_TABLE_ENTRIES * 16u)
#define VC_SCN_DATA_A 0x00200000ull
#define VC_SCN_DATA_B 0x00210000ull
#define VC_SCN_DATA_C 0x00300000ull
#define VC_SCN_DATA_SIZE (64u << 10)
#define VC_SCN_BIG 0x01000000ull
#define VC_SCN_BIG_SIZE (64u << 20)

#define VC_SCN_OPS(X)                                                          \
    X(DESC) X(IDESC) X(NEXT) X(AVAIL) X(AIDX) X(KICK) X(RESET) X(WRAP) X(EVENT) X(MEM) X(FILL)

typedef enum vc_scn_opcode {
#define VC_SCN_OP_ENUM(name) VC_SCN_##name,
    VC_SCN_OPS(VC_SCN_OP_ENUM)
#undef VC_SCN_OP_ENUM
    VC_SCN_NOPS
} vc_scn_opcode;

typedef struct vc_scn_op {
    uint8_t op;  /* vc_scn_opcode */
    uint8_t a8;
    uint16_t a16;
    uint32_t a32;
    uint64_t a64;
} vc_scn_op;

typedef struct vc_scenario {
    uint8_t version;
    uint8_t features; /* VC_SCN_F_* */
    uint16_t qsize;   /* decoded, valid for the ring type */
    uint16_t raw_qsize;
    uint8_t used_policy;
    uint8_t reserved[11];
    uint32_t nops;
    vc_scn_op ops[VC_SCN_MAX_OPS];
} vc_scenario;

/* Decodes any byte string (never fails; ops beyond VC_SCN_MAX_OPS dropped). */
void vc_scn_decode(const uint8_t *data, size_t len, vc_scenario *s);
/* Encodes back to bytes; returns the length written (at most cap). */
size_t vc_scn_encode(const vc_scenario *s, uint8_t *out, size_t cap);
const char *vc_scn_op_name(unsigned op);
/* Features for the ring layer (VC_F_* bit mask) implied by the header. */
uint64_t vc_scn_ring_features(const vc_scenario *s);
/* Model targets: the queue selector and device feature bits (header 5..13). */
static inline unsigned vc_scn_model_queue(const vc_scenario *s) { return s->reserved[0]; }
/* Chains the backend should take before using them (header byte 14). */
static inline unsigned vc_scn_batch(const vc_scenario *s) { return s->reserved[9] & 15u; }
static inline uint64_t vc_scn_model_features(const vc_scenario *s)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)s->reserved[1 + i] << (8 * i);
    return v;
}

#endif
