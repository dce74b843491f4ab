#ifndef VC_CTL_TEXT_H
#define VC_CTL_TEXT_H

#include <stdbool.h>
#include <stdio.h>

#include "ctl_seq.h"

void vc_ctl_print(FILE *out, const vc_ctl_seq *s);
/* Parses the text form (corpus files are untrusted): on error returns false
 * with a message naming the line. Besides syntax and ranges it refuses what
 * a hand-written sequence should not hold: registers or structures the
 * sequence's interface lacks, waits and requests without a bound, an ALSO
 * after no oneof read, a REQUEST without expect=eq/ne. */
bool vc_ctl_parse(FILE *in, vc_ctl_seq *s, char *err, size_t errcap);
/* Syntax and ranges only: reads back whatever vc_ctl_print wrote for any
 * decoded byte string (fuzzer findings). */
bool vc_ctl_parse_lax(FILE *in, vc_ctl_seq *s, char *err, size_t errcap);

#endif
