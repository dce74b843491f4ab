/* Check records of vconform-vhost, in the guest probe's JSON Lines format
 * (guest-probe/PROTOCOL.md: start, check, end; "v": 1), with "addr" the
 * back-end's socket and "driver" "vhost-user". A short human line per
 * failing check goes to stderr. */
#ifndef VH_REPORT_H
#define VH_REPORT_H

#include <stdbool.h>
#include <stdio.h>

typedef enum vh_verdict { VH_PASS, VH_FAIL, VH_SKIP, VH_ERROR, VH_INFO, VH_NVERDICTS } vh_verdict;

typedef struct vh_report {
    FILE *out;
    const char *addr;
    unsigned n[VH_NVERDICTS];
    long long t0;
} vh_report;

void vh_report_start(vh_report *r, FILE *out, const char *addr, int argc, char **argv);
/* reqs: requirement short ids joined by commas (REQ_* macros), may be "". */
vh_verdict vh_check(vh_report *r, const char *id, const char *reqs, vh_verdict v, const char *expected,
                    const char *observed, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
bool vh_expect(vh_report *r, const char *id, const char *reqs, bool cond, const char *expected,
               const char *observed);
void vh_report_end(vh_report *r);
/* 0 all passed, 1 a check failed, 2 errors only (could not run). */
int vh_report_exit(const vh_report *r);
/* Writes s as a JSON string (quoted, escaped; control bytes as \u00XX). */
void vh_json_str(FILE *out, const char *s);

#endif
