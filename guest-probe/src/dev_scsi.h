/* The SCSI host test's shared pieces: the driver's view of one host and one
 * command's answer, for the task management and event checks beside it. */
#ifndef VP_DEV_SCSI_H
#define VP_DEV_SCSI_H

#include "checks.h"

enum { VP_SCSI_Q_CTRL = 0, VP_SCSI_Q_EVENT = 1, VP_SCSI_Q_REQ = 2 };
/* response codes (the spec's VIRTIO_SCSI_S_*) */
enum { VP_SCSI_S_OK = 0, VP_SCSI_S_OVERRUN = 1, VP_SCSI_S_ABORTED = 2, VP_SCSI_S_BAD_TARGET = 3,
       VP_SCSI_S_RESET = 4, VP_SCSI_S_FAILURE = 9, VP_SCSI_S_FUNCTION_SUCCEEDED = 10,
       VP_SCSI_S_FUNCTION_REJECTED = 11, VP_SCSI_S_INCORRECT_LUN = 12 };
#define VP_SCSI_EVENT_BUFS 4u
#define VP_SCSI_EVENT_SIZE 16u

typedef struct vp_scsi {
    vp_drv *v;
    uint32_t cdb_size, sense_size;
    uint64_t req, resp, data;
    uint64_t ev;                      /* VP_SCSI_EVENT_BUFS event buffers, posted */
    uint32_t ev_tok[VP_SCSI_EVENT_BUFS];
} vp_scsi;

typedef struct vp_scsi_answer {
    uint32_t sense_len, residual, used;
    uint8_t status, response, key, asc;
} vp_scsi_answer;

/* Builds a command to target, LUN 0 with tag in the request buffer at req
 * (the response buffer at resp set to 0xee). */
void vp_scsi_build(vp_scsi *s, uint64_t req, uint64_t resp, uint8_t target, uint64_t tag, const uint8_t *cdb,
                   unsigned cdb_len);
/* Decodes the response header and sense at resp. */
void vp_scsi_parse(vp_scsi *s, uint64_t resp, uint32_t used, vp_scsi_answer *a);

/* dev_scsi_tmf.c: task management with a request in flight, and bad
 * addresses on the control queue. */
void vp_scsi_tmf(vp_scsi *s);
/* dev_scsi_tmf.c: no event came back on the event queue (nothing was
 * plugged), after the rest of the test. */
void vp_scsi_events_quiet(vp_scsi *s);
/* dev_scsi_events.c: events across a disk plugged and unplugged by the
 * runner, without and then with HOTPLUG (the session is reset and set up
 * again: s describes the new one afterwards). */
void vp_scsi_hotplug(vp_scsi *s);

#endif
