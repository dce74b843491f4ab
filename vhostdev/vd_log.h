/* The back-end's record of a connection, JSON Lines (one object a line,
 * "v": 1), for the runner (harness/vcharness/vhost.py reads it as untrusted
 * input) and for people:
 *   start    tool, device, args
 *   protocol what was offered and acknowledged at the handshake
 *   session  a device start: the features the front-end passed, the mode
 *   status   a SET_STATUS value (what QEMU forwards of the device status)
 *   fault    side (driver, front-end, device), session, code, req, queue, detail
 *   rules    per session: every driver rule evaluated, times seen and broken
 *   end      why the connection ended, totals
 * 64-bit feature words are hex strings (JSON numbers lose bits). */
#ifndef VD_LOG_H
#define VD_LOG_H

#include <stdint.h>
#include <stdio.h>

#include "vd_rules.h"

#define VD_LOG_MAX_FAULTS 2000 /* fault lines per connection; the rest are counted */

typedef struct vd_log {
    FILE *out;
    long long t0;
    unsigned faults_logged;
    uint64_t faults_unlogged;
} vd_log;

void vd_log_start(vd_log *l, FILE *out, const char *device, int argc, char **argv);
void vd_log_protocol(vd_log *l, uint64_t features_offered, uint64_t proto_offered, uint64_t proto);
void vd_log_session(vd_log *l, unsigned n, uint64_t features, uint64_t unoffered, const char *mode);
void vd_log_status(vd_log *l, unsigned session, uint64_t status);
void vd_log_fault(vd_log *l, const char *side, unsigned session, const char *code, const char *req,
                  int queue, const char *detail);
void vd_log_rules(vd_log *l, unsigned session, const char *mode, uint64_t chains, const vd_rules *r);
void vd_log_end(vd_log *l, const char *reason, unsigned sessions, uint64_t faults);

#endif
