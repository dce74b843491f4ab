/* The driver rules the back-end judged in one session: for each
 * requirement, how often the reference device evaluated it on what the
 * driver wrote (a chain taken, a ring started) and how often the driver
 * broke it. A rule counts as kept when it was evaluated at least once and
 * never broken; the runner turns each into a pass or fail check. */
#ifndef VD_RULES_H
#define VD_RULES_H

#include <stdint.h>

#define VD_MAX_RULES 96

typedef struct vd_rule {
    const char *req; /* short id, a string literal (REQ_* macro) */
    uint64_t seen, broken;
} vd_rule;

typedef struct vd_rules {
    unsigned n;
    vd_rule r[VD_MAX_RULES];
} vd_rules;

void vd_rules_clear(vd_rules *r);
/* The rule was evaluated once more. */
void vd_rules_seen(vd_rules *r, const char *req);
/* The driver broke it (also counts as evaluated). */
void vd_rules_broken(vd_rules *r, const char *req);

#endif
