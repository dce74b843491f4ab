/* Control-plane sequences: register-level programs a driver runs against a
 * device's PCI front (status, features, queue set-up, notify, ISR, MSI-X,
 * raw accesses of any width anywhere in its structures), with expectations on
 * what the device answers. Transport-neutral: a named register resolves to
 * the modern common configuration or to the legacy I/O registers by mode, so
 * one sequence can be played in legacy, transitional and modern-only modes,
 * in the guest (guest-probe/src/ctl_play.c) and against the reference
 * device's front (fuzz targets, --sim). Sibling of the chain scenarios
 * (scenario.h); the text form is in ctl_text.c.
 *
 * Binary form (for fuzzers): decoded totally, every byte string is some
 * sequence (out-of-range fields are folded into range, unknown bytes kept).
 *   header, 64 bytes
 *     [0]      version (1)
 *     [1]      modes it applies to: VC_CTL_M_* (0 reads as all)
 *     [2]      what the spec requires of the device: vc_ctl_spec
 *     [3]      number of requirement ids that follow the header (<= 15)
 *     [4..11]  device feature bits the sequence needs offered (LE)
 *     [12..13] device types it applies to: bit i = VC_CTL_TYPES entry i (0: all)
 *     [14]     interface: vc_ctl_iface (modulo the count)
 *     [15]     reserved (kept)
 *     [16..47] name (NUL-padded; characters outside [A-Za-z0-9._-] read as '_')
 *     [48..63] reserved (kept)
 *   then nreqs requirement ids of 32 bytes each (NUL-padded, as the name)
 *   then 32-byte operation records (a trailing partial one is zero-padded)
 *     [0]      opcode (modulo the count)
 *     [1]      target: a vc_ctl_space (raw ops) or a vc_ctl_reg (named ops)
 *     [2]      access width of raw ops: 1, 2, 3, 4 or 8 (others fold onto
 *              these); named ops use their register's width and keep it 0
 *     [3]      low nibble: expectation (vc_ctl_expect, modulo the count);
 *              high nibble: index of the requirement id it checks (modulo
 *              the number of ids)
 *     [4]      flags: VC_CTL_OF_*
 *     [5]      queue index (queue ops, REQUEST, NOTIFY)
 *     [6..7]   reserved (kept)
 *     [8..11]  offset inside the target structure
 *     [12..15] aux: a BAR number (space bar), a bound in ms (waits), ...
 *     [16..23] value (written, or expected)
 *     [24..31] mask (expectations; 0 reads as all bits of the width)
 *
 * Addresses a sequence gives to ring address registers (queue_desc/driver/
 * device, legacy queue_pfn) are offsets into the player's ring area, never
 * guest-physical addresses: a player adds its own base, so no sequence can
 * point a device at memory outside the player's arena (the value ALL
 * writes 0: no ring). Reads of them give the offset back when the address
 * is inside the ring area. */
#ifndef VC_CTL_SEQ_H
#define VC_CTL_SEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VC_CTL_HDR 64
#define VC_CTL_REQ_LEN 32
#define VC_CTL_NAME_LEN 32
#define VC_CTL_REC 32
#define VC_CTL_MAX_REQS 15
#define VC_CTL_MAX_OPS 512

/* Modes a sequence applies to. */
#define VC_CTL_M_LEGACY 1u
#define VC_CTL_M_TRANSITIONAL 2u
#define VC_CTL_M_MODERN 4u
#define VC_CTL_M_ALL 7u

/* Device types, by the short names of specs/device_types.tsv (bit order). */
#define VC_CTL_TYPES(X) X(net) X(blk) X(console) X(rng) X(balloon) X(scsi) X(input)

/* What the spec requires of the device, in one word (documentation the
 * reports carry; the verdict itself comes from the expectations):
 *   accept       the device must act on the operations (e.g. a reset)
 *   ignore       the device must leave its state as it was
 *   refuse       the device must refuse (e.g. clear FEATURES_OK)
 *   safe         the spec leaves the outcome open: the device must only
 *                stay consistent and alive (liveness after the sequence) */
#define VC_CTL_SPECS(X) X(accept) X(ignore) X(refuse) X(safe)
typedef enum vc_ctl_spec {
#define VC_CTL_SPEC_ENUM(n) VC_CTL_SPEC_##n,
    VC_CTL_SPECS(VC_CTL_SPEC_ENUM)
#undef VC_CTL_SPEC_ENUM
    VC_CTL_NSPECS
} vc_ctl_spec;

/* The register interface a sequence is played through: any (modern where
 * the device has it, so legacy in legacy mode only), or only legacy (also
 * on transitional devices) or only modern. */
#define VC_CTL_IFACES(X) X(any) X(legacy) X(modern)
typedef enum vc_ctl_iface {
#define VC_CTL_IFACE_ENUM(n) VC_CTL_I_##n,
    VC_CTL_IFACES(VC_CTL_IFACE_ENUM)
#undef VC_CTL_IFACE_ENUM
    VC_CTL_NIFACES
} vc_ctl_iface;

/* Structures a raw access addresses (offsets are relative to their start):
 *   common notify isr device  the modern structures found by capability
 *   device    (also legacy: BAR0 from 20, or 24 while MSI-X is on)
 *   legacy    legacy I/O BAR0 (the whole BAR)
 *   pci       PCI configuration space
 *   bar       BAR aux, from offset 0
 *   ring      the player's ring area in guest memory (what named ring
 *             address registers point into)
 *   used      the device area (split: used ring) of the ring QSETUP made for
 *             queue q: e.g. off 2 width 2 is the split used index */
#define VC_CTL_SPACES(X) X(common) X(notify) X(isr) X(device) X(legacy) X(pci) X(bar) X(ring) X(used)
typedef enum vc_ctl_space {
#define VC_CTL_SPACE_ENUM(n) VC_CTL_S_##n,
    VC_CTL_SPACES(VC_CTL_SPACE_ENUM)
#undef VC_CTL_SPACE_ENUM
    VC_CTL_NSPACES
} vc_ctl_space;

/* Named registers, transport-neutral where the two interfaces share one:
 * X(name, modern common offset, modern width, legacy BAR0 offset, legacy
 * width, is a ring address). -1: not in that interface. isr is offset 0 of
 * the ISR structure (modern) or BAR0 19 (legacy); msix_config and queue_vector sit
 * at 20/22 in legacy BAR0 (MSI-X on). Offsets within the modern common
 * configuration are those of the virtio 1.x layout. */
#define VC_CTL_REGS(X)                                                         \
    X(dfselect, 0, 4, -1, 0, 0)                                                \
    X(df, 4, 4, 0, 4, 0)                                                       \
    X(gfselect, 8, 4, -1, 0, 0)                                                \
    X(gf, 12, 4, 4, 4, 0)                                                      \
    X(msix_config, 16, 2, 20, 2, 0)                                            \
    X(num_queues, 18, 2, -1, 0, 0)                                             \
    X(status, 20, 1, 18, 1, 0)                                                 \
    X(generation, 21, 1, -1, 0, 0)                                             \
    X(qselect, 22, 2, 14, 2, 0)                                                \
    X(qsize, 24, 2, 12, 2, 0)                                                  \
    X(qvector, 26, 2, 22, 2, 0)                                                \
    X(qenable, 28, 2, -1, 0, 0)                                                \
    X(qnotifyoff, 30, 2, -1, 0, 0)                                             \
    X(qdesc, 32, 8, -1, 0, 1)                                                  \
    X(qdriver, 40, 8, -1, 0, 1)                                                \
    X(qdevice, 48, 8, -1, 0, 1)                                                \
    X(qnotifydata, 56, 2, -1, 0, 0)                                            \
    X(qreset, 58, 2, -1, 0, 0)                                                 \
    X(qpfn, -1, 0, 8, 4, 1)                                                    \
    X(isr, 0, 1, 19, 1, 0)
typedef enum vc_ctl_reg {
#define VC_CTL_REG_ENUM(n, mo, mw, lo, lw, addr) VC_CTL_R_##n,
    VC_CTL_REGS(VC_CTL_REG_ENUM)
#undef VC_CTL_REG_ENUM
    VC_CTL_NREGS
} vc_ctl_reg;

typedef struct vc_ctl_reg_info {
    const char *name;
    int modern_off, legacy_off; /* -1: absent in that interface */
    unsigned modern_width, legacy_width;
    bool ring_address;          /* value is an offset into the ring area */
} vc_ctl_reg_info;
const vc_ctl_reg_info *vc_ctl_reg_get(unsigned reg); /* NULL when out of range */

/* Expectations on what a read returns (value/mask from the record):
 *   none       just read (the value is kept for a later 'unchanged')
 *   eq         (v & mask) == value
 *   ne         (v & mask) != value
 *   oneof      (v & mask) is value or the value of a following ALSO op
 *   unchanged  v equals the previous read of the same place in the sequence
 * REQUEST: eq means the request must complete, ne that it must not. A
 * player may skip what it cannot play (the reason is its verdict). */
#define VC_CTL_EXPECTS(X) X(none) X(eq) X(ne) X(oneof) X(unchanged)
typedef enum vc_ctl_expect {
#define VC_CTL_EXPECT_ENUM(n) VC_CTL_E_##n,
    VC_CTL_EXPECTS(VC_CTL_EXPECT_ENUM)
#undef VC_CTL_EXPECT_ENUM
    VC_CTL_NEXPECTS
} vc_ctl_expect;

/* Op flags. */
#define VC_CTL_OF_WINDOW 1u /* through the pci_cfg capability window (modern) */
#define VC_CTL_OF_SOFT 2u   /* WAIT: running out of time is not a violation */
/* The value (written, or expected) is relative to a fact of the device the
 * player knows, so one sequence fits every type: */
#define VC_CTL_OF_PLUS_TQ 4u  /* + the index of the type's request queue */
#define VC_CTL_OF_PLUS_NQ 8u  /* + the number of queues (num_queues; legacy: counted) */
#define VC_CTL_OF_PLUS_NV 16u /* + the MSI-X table size */
#define VC_CTL_OF_ALL 31u
/* Queue index meaning the device type's request queue (where the
 * known-good request goes): q=target in the text form. */
#define VC_CTL_Q_TARGET 0xffu

/* Requirement ids: "-" names none. A REQUEST, RESET or INIT citing it that
 * fails means the device stopped answering (wedged), not a rule broken;
 * other expectations citing none give no verdict when they fail. */
#define VC_CTL_REQ_NONE "-"

/* Operations:
 *   RD      named register read (target reg), with an expectation
 *   WR      named register write of value
 *   READ    raw read: target space, offset, width (aux: BAR for space bar)
 *   WRITE   raw write of value (same addressing)
 *   ALSO    one more accepted value for the oneof read before it
 *   WAIT    reads a named register until (v & mask) == value, at most aux ms;
 *           a timeout violates the op's requirement unless flag soft
 *   SLEEP   aux ms
 *   RESET   writes 0 to status and waits (at most aux ms) for it to read 0
 *           (the wait's failure violates the op's requirement)
 *   INIT    reset, ACKNOWLEDGE, DRIVER, driver features = offered & value
 *           (VERSION_1 added in the modern interface, removed in legacy),
 *           FEATURES_OK (modern) and checks it stuck (expectation eq: it must
 *           have, ne: it must not have)
 *   QSETUP  sets queue q up at the player's ring area for q (size value, 0
 *           for the device's maximum; legacy: the device's size) and enables it
 *   NOTIFY  kicks queue q through the real notify mechanism (value: the data
 *           written; 0 writes the queue index)
 *   REQUEST sends one known-good request of the device type on queue q (the
 *           type's request queue: q=target) and waits at most aux ms: eq it
 *           must complete, ne it must not, none: sent, not waited for
 *   MSIX    value 1: enables MSI-X with every vector masked (function
 *           mask), 0: disables it; the legacy register layout follows
 *   FEATURES writes value as the driver features (both 32-bit halves in the
 *           modern interface, the low half in legacy) */
#define VC_CTL_OPS(X)                                                          \
    X(RD) X(WR) X(READ) X(WRITE) X(ALSO) X(WAIT) X(SLEEP) X(RESET) X(INIT)   \
    X(QSETUP) X(NOTIFY) X(REQUEST) X(MSIX) X(FEATURES)
typedef enum vc_ctl_opcode {
#define VC_CTL_OP_ENUM(n) VC_CTL_##n,
    VC_CTL_OPS(VC_CTL_OP_ENUM)
#undef VC_CTL_OP_ENUM
    VC_CTL_NOPS
} vc_ctl_opcode;

typedef struct vc_ctl_op {
    uint8_t op;       /* vc_ctl_opcode */
    uint8_t target;   /* vc_ctl_space or vc_ctl_reg */
    uint8_t width;    /* 1, 2, 3, 4 or 8 */
    uint8_t expect;   /* vc_ctl_expect */
    uint8_t req;      /* index into the sequence's reqs */
    uint8_t flags;    /* VC_CTL_OF_* */
    uint8_t queue;
    uint16_t reserved;
    uint32_t off;
    uint32_t aux;
    uint64_t value;
    uint64_t mask;    /* 0: all bits of the width */
} vc_ctl_op;

typedef struct vc_ctl_seq {
    uint8_t version;
    uint8_t modes;    /* VC_CTL_M_* */
    uint8_t spec;     /* vc_ctl_spec */
    uint8_t nreqs;
    uint64_t features;
    uint16_t types;   /* VC_CTL_TYPES bits, 0: all */
    uint8_t iface;    /* vc_ctl_iface */
    uint8_t reserved0;
    uint8_t reserved1[16];
    char name[VC_CTL_NAME_LEN + 1];
    char reqs[VC_CTL_MAX_REQS][VC_CTL_REQ_LEN + 1];
    uint32_t nops;
    vc_ctl_op ops[VC_CTL_MAX_OPS];
} vc_ctl_seq;

/* Decodes any byte string (never fails; ops past VC_CTL_MAX_OPS dropped). */
void vc_ctl_decode(const uint8_t *data, size_t len, vc_ctl_seq *s);
/* Encodes to bytes; returns the length written (0 when cap < the header). */
size_t vc_ctl_encode(const vc_ctl_seq *s, uint8_t *out, size_t cap);

const char *vc_ctl_op_name(unsigned op);
const char *vc_ctl_space_name(unsigned space);
const char *vc_ctl_expect_name(unsigned e);
const char *vc_ctl_spec_name(unsigned spec);
const char *vc_ctl_iface_name(unsigned iface);
const char *vc_ctl_type_name(unsigned i); /* VC_CTL_TYPES entry i, NULL past the end */
unsigned vc_ctl_ntypes(void);
/* Whether op o takes a named register (RD WR WAIT) rather than a space. */
bool vc_ctl_op_named(unsigned op);
/* The mask an op compares with: its mask, or all bits of its width. */
uint64_t vc_ctl_op_mask(const vc_ctl_op *o);
/* The requirement op o checks ("" when the sequence names none). */
const char *vc_ctl_op_req(const vc_ctl_seq *s, const vc_ctl_op *o);
/* Whether sequence s may be played in mode m (one VC_CTL_M_* bit) and
 * through the legacy interface there: false when it does not apply. */
bool vc_ctl_plays_in(const vc_ctl_seq *s, unsigned mode, bool *legacy);
/* Width of named register r in the interface (0: absent there). */
unsigned vc_ctl_reg_width(unsigned reg, bool legacy);

#endif
