/* Known findings: a fuzz run that keeps hitting a finding someone already
 * has (fuzz/known/<target>.txt, named by $VC_FZ_KNOWN) should go on looking
 * for new ones instead of stopping on it. A line lists a signature:
 * "kind requirement [who]" (who: the backend in a differential target). */
#ifndef VC_KNOWN_H
#define VC_KNOWN_H

#include <stdbool.h>

/* Loads the file $VC_FZ_KNOWN names (once); false with a message on stderr
 * when it cannot be read or has a malformed line. */
bool vc_known_load(void);
/* True when every finding in msg (vc_fz_format's lines) is a known one. */
bool vc_known_all(const char *msg);

#endif
