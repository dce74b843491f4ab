/* Scenario executor: plays a scenario's driver operations against a backend
 * (through vc_adapter) and checks, after every step, what the backend did:
 *
 *  - verdict: each chain it takes or refuses matches the oracle (a chain the
 *    spec forbids must be refused, a valid one taken; for the reference
 *    device the refusal code must match too);
 *  - reads: it reads no descriptor that was not made available;
 *  - writes: it writes only into writable buffers of chains it took and
 *    into the used ring / device area, never into the descriptor table;
 *  - used ring: entries only for chains it took, lengths within their
 *    writable space, the index moved by at most the chains taken;
 *  - work: guest-memory accesses per kick stay within a budget (else: hang).
 *
 * Every violation is a finding naming the requirement.
 */
#ifndef VC_EXEC_H
#define VC_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "adapter.h"
#include "scenario.h"

#define VC_FZ_MAX_FINDINGS 8

typedef struct vc_fz_finding {
    const char *kind; /* stable name, e.g. "accepted-forbidden-chain" */
    const char *req;  /* requirement short id, or NULL */
    char detail[200];
} vc_fz_finding;

/* What the backend did, in order, for differential runs (fuzz/diff.h). */
#define VC_FZ_MAX_EVENTS 256
typedef struct vc_fz_event {
    char kind;        /* 'K' kick, 'T' took chain id, 'R' refused the ring, 'U' used id len */
    uint16_t id;
    uint32_t len;
} vc_fz_event;

typedef struct vc_fz_report {
    /* scalars first: a run clears only these (the arrays are read up to
     * nfindings and nev) */
    unsigned nfindings;
    unsigned nev;
    bool ev_lost; /* more than VC_FZ_MAX_EVENTS: the tail is not compared */
    /* events from this index on depend on what the backend wrote (a chain
     * taken had writable buffers over descriptor memory: the driver's
     * fault), so two conforming backends may differ; UINT_MAX: none */
    unsigned data_dependent_from;
    /* a backend ended a kick early at the harness's request (run budget
     * spent) from this event on; UINT_MAX: never */
    unsigned stopped_from;
    unsigned chains_taken, kicks, refusals;
    uint64_t accesses;
    vc_fz_finding finding[VC_FZ_MAX_FINDINGS];
    vc_fz_event ev[VC_FZ_MAX_EVENTS];
} vc_fz_report;

typedef struct vc_fz vc_fz; /* guest memory, backend, oracle state: reused */

/* Work after which a run stops: the backend's guest-memory accesses plus the
 * descriptors and ring slots the driver side wrote (some 20-40 us of work). Checked
 * between operations and, through enough(), between chains, so the longest
 * chain a scenario can build (a full indirect table) is still walked; a run
 * that has done this much has shown what it can, more only slows fuzzing. */
#define VC_FZ_RUN_BUDGET (1u << 10)

/* strict_codes: refusal codes must equal the oracle's (reference device). */
vc_fz *vc_fz_new(const vc_adapter *ad, bool strict_codes);
void vc_fz_free(vc_fz *f);
/* For backends that parse requests: reading a taken chain's buffers is then
 * allowed even where the driver placed them over descriptor memory. */
void vc_fz_data_reads(vc_fz *f, bool on);
/* Adds the big region (scenario.h) so chains can pass 4 GiB in total; for
 * backends whose work does not grow with buffer sizes (the ring layer). */
bool vc_fz_big_memory(vc_fz *f);
/* Runs one scenario; returns the number of findings (details in *r). */
unsigned vc_fz_run(vc_fz *f, const vc_scenario *s, vc_fz_report *r);
/* The finding's tier: "device" (a device MUST broken), "should" (a device
 * SHOULD / SHOULD NOT), "tolerated" (the backend accepted what a driver must
 * not do: legitimate, kept apart), "liveness" (a hang or a valid ring
 * refused: no statement to name), "reference" (the reference device refused
 * with another code than the oracle). Sanitizer reports are the
 * "memory" tier (fuzz/findings.py). */
const char *vc_fz_tier(const vc_fz_finding *x);
/* Describes r's findings in msg, one per line, "kind [requirement] (tier):
 * detail", each after "who: " when who is given; returns the length written
 * (NUL-terminated, within cap). */
size_t vc_fz_format(const vc_fz_report *r, const char *who, char *msg, size_t cap);

#endif
