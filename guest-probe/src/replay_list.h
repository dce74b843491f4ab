/* The scenarios a replay plays: every file under a folder (sorted by path,
 * so the guest and the runner count them alike), or one file. A file is the
 * scenario text form when it is printable text, else the binary form
 * (fuzz/scenario.h). Text files may carry directives for the replay, one
 * per line:
 *
 *   #@ use req=dev.vq_indirect.2
 *
 * use: every chain the verdict oracle finds valid must come back used, on
 * devices whose replay queue answers any chain; a device that refuses one
 * (or leaves it) violates the named requirement. */
#ifndef VP_REPLAY_LIST_H
#define VP_REPLAY_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"

#define VP_MAX_SCENARIOS 4096

typedef struct vp_scnlist {
    char *root;       /* as given */
    char **name;      /* path below root ("" root is a file: its base name) */
    char **path;      /* path to open */
    unsigned n;
} vp_scnlist;

typedef struct vp_scnmeta {
    bool use;         /* valid chains must be used */
    char req[48];     /* requirement a failure names, "" */
} vp_scnmeta;

/* false with err when root cannot be read or holds no file. */
bool vp_scnlist_load(vp_scnlist *l, const char *root, char *err, size_t errlen);
void vp_scnlist_free(vp_scnlist *l);
/* Reads scenario i; false with err (a text file that does not parse). */
bool vp_scn_read(const vp_scnlist *l, unsigned i, vc_scenario *s, vp_scnmeta *meta, char *err, size_t errlen);

#endif
