/* Planted bugs for the fuzzing self-test (fuzz/README.md).
 *
 * Build with -DVC_MUTANT=<n> to re-create one real bug class in the reference
 * device; 0 (the default) is the clean, strict device. Each check that a
 * mutant disables is written as `if (!VC_MUTANT_IS(X) && bad) reject;` so the
 * clean build pays nothing.
 */
#ifndef VC_MUTANT_H
#define VC_MUTANT_H

#ifndef VC_MUTANT
#define VC_MUTANT 0
#endif

/* X(number, name, bug class) */
#define VC_MUTANTS(X)                                                          \
    X(1, NO_LOOP_CHECK, "descriptor loop not detected")                        \
    X(2, NO_HEAD_CHECK, "chain head index not range-checked")                  \
    X(3, NO_NEXT_CHECK, "next index not range-checked")                        \
    X(4, AVAIL_JUMP, "available index jump past the queue size accepted")      \
    X(5, NESTED_INDIRECT, "indirect descriptor inside an indirect table followed") \
    X(6, INDIRECT_LEN_MOD16, "indirect length not a multiple of 16 accepted")  \
    X(7, INDIRECT_LEN_ZERO, "zero-length indirect table accepted")             \
    X(8, ADDR_OVERFLOW, "buffer address+length wrap not checked")              \
    X(9, TOTAL_LEN_OVERFLOW, "chain total length kept in 32 bits")             \
    X(10, WRITE_BEFORE_READ, "readable descriptor after writable accepted")    \
    X(11, PACKED_WRAP, "packed avail wrap counter not toggled on ring wrap")   \
    X(12, USED_LEN, "used length not bounded by the writable space")           \
    X(13, LONG_CHAIN, "chain limit check off by one (segment array overflow)") \
    X(14, USED_EVENT_OFF1, "split used_event test off by one (new - event < new - old)") \
    X(15, PACKED_EVENT_WRAP, "packed event offset compared against the avail wrap counter") \
    X(16, PACKED_USED_STEP, "packed used position advanced one slot per buffer, not per list") \
    /* control-plane bugs in the PCI front (refdev/src/pci_front.c), found by the ctl target */ \
    X(17, FEATURES_HIGH_UNCHECKED, "FEATURES_OK kept with unoffered bits in the high feature window") \
    X(18, RESET_KEEPS_QUEUE, "reset leaves queue 0 enabled on its old ring")  \
    X(19, QSEL_ALIAS, "queue_select past num_queues aliases queue 0")        \
    X(20, ISR_NOCLEAR, "modern ISR read does not clear it")                  \
    X(21, VECTOR_UNCHECKED, "MSI-X vector past the table accepted")

enum {
#define VC_MUT_ENUM(n, name, text) VC_MUT_##name = n,
    VC_MUTANTS(VC_MUT_ENUM)
#undef VC_MUT_ENUM
};

#define VC_MUTANT_IS(name) (VC_MUTANT == VC_MUT_##name)

#endif
