/* Strict reading for the scenario text form: lines and numbers are refused,
 * never bent (fgets splits long lines and stops at NUL; strtoull takes signs,
 * octal and overflow without a word). */
#ifndef VC_SCN_LEX_H
#define VC_SCN_LEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bytes a line may hold, its newline not counted. */
#define VC_SCN_LINE_MAX 510

/* Reads one line, without its newline, into buf (VC_SCN_LINE_MAX + 1 bytes).
 * Returns NULL with *more set (false at the end of the input), or why the
 * line is refused. */
const char *vc_scn_read_line(FILE *in, char *buf, int *more);
/* Reads s[0..n) as a decimal or 0x-hex number of at most 64 bits; returns
 * NULL, or why it is not one. */
const char *vc_scn_parse_u64(const char *s, size_t n, uint64_t *out);

#endif
