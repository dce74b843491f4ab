/* The probe's check groups, run by drive.c over one driver session. */
#ifndef VP_CHECKS_H
#define VP_CHECKS_H

#include "drv.h"

/* What a device round-trip saw, to compare the two interfaces of a
 * transitional device. */
typedef struct vp_seen {
    bool ran;
    bool ok;
    uint64_t value;     /* e.g. blk capacity */
    uint32_t digest;    /* e.g. FNV-1a of data read back */
} vp_seen;

void vp_checks_negotiation(vp_drv *v);
void vp_checks_common(vp_drv *v);

/* One device type's data-path test: features to take and the round-trip. */
typedef struct vp_devtest {
    const char *type;
    uint64_t want;        /* device feature bits to accept (transport bits added) */
    void (*run)(vp_drv *v, vp_seen *seen);
} vp_devtest;

const vp_devtest *vp_devtest_find(const char *type);
void vp_devtest_rng(vp_drv *v, vp_seen *seen);
void vp_devtest_blk(vp_drv *v, vp_seen *seen);
void vp_devtest_net(vp_drv *v, vp_seen *seen);
void vp_devtest_console(vp_drv *v, vp_seen *seen);
void vp_devtest_balloon(vp_drv *v, vp_seen *seen);
void vp_devtest_scsi(vp_drv *v, vp_seen *seen);
void vp_devtest_input(vp_drv *v, vp_seen *seen);
/* Other types: set up every queue and reach DRIVER_OK; no data round-trip. */
void vp_devtest_generic(vp_drv *v, vp_seen *seen);

uint32_t vp_fnv1a(const void *p, size_t n, uint32_t h);
/* The runner's disk pattern for nsect sectors from sector (PROTOCOL.md). */
void vp_blk_pattern(uint8_t *buf, uint64_t sector, unsigned nsect);
/* Reports one round-trip outcome as a check; true on VP_RT_OK. */
bool vp_report_rt(vp_drv *v, const char *id, const char *reqs, vp_rt rt, const char *err);

#endif
