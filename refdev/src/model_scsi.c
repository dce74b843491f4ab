/* SCSI host with one target and one in-memory LUN (disk image from the
 * options; no target at all when detached): INQUIRY, TEST UNIT READY, REQUEST SENSE, READ CAPACITY(10/16),
 * READ/WRITE(10/16), SYNCHRONIZE CACHE, REPORT LUNS; CHECK CONDITION with
 * fixed-format sense for the rest. Task management and async notification
 * on the control queue; an event queue for hotplug events. The host can
 * hold requests in flight (vc_scsi_hold): task management then aborts or
 * resets them, each completed before the function's own answer. The host
 * can also plug a second, read-only view of the disk at target 1
 * (vc_scsi_hotplug), with transport reset events when HOTPLUG is on. */
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "refdev/held.h"
#include "refdev/models.h"
#include "vc/spec_devices.h"
#include "vc/spec_features.h"

#define SCSI_QUEUE_MAX 128
#define SCSI_NQUEUES 3 /* control, event, one request queue */
#define SECTOR 512u
#define SENSE_DEFAULT 96u
#define CDB_DEFAULT 32u
#define EVENT_SIZE 16u /* le32 event, u8 lun[8], le32 reason */
#define REQ_FIXED 19u  /* lun, id, task_attr, prio, crn */
#define RESP_FIXED 12u /* sense_len, residual, status_qualifier, status, response */
#define SENSE_LEN 18u
#define SCSI_INFLIGHT 8u /* requests the host holds at most */

/* feature bits, from specs/features.tsv */
enum {
    F_INOUT = VIRTIO_SCSI_F_INOUT_BIT,
    F_HOTPLUG = VIRTIO_SCSI_F_HOTPLUG_BIT,
    F_CHANGE = VIRTIO_SCSI_F_CHANGE_BIT,
};
enum { C_NUM_QUEUES = 0, C_SEG_MAX = 4, C_MAX_SECTORS = 8, C_CMD_PER_LUN = 12,
       C_EVENT_INFO_SIZE = 16, C_SENSE_SIZE = 20, C_CDB_SIZE = 24, C_MAX_CHANNEL = 28,
       C_MAX_TARGET = 30, C_MAX_LUN = 32, C_SIZE = 36 };
enum { Q_CTRL = 0, Q_EVENT = 1 };
enum { R_OK = 0, R_OVERRUN = 1, R_ABORTED = 2, R_BAD_TARGET = 3, R_RESET = 4, R_FAILURE = 9,
       R_FUNCTION_SUCCEEDED = 10, R_FUNCTION_REJECTED = 11 };
enum { TMF_ABORT_TASK = 0, TMF_ABORT_TASK_SET = 1, TMF_CLEAR_ACA = 2, TMF_CLEAR_TASK_SET = 3,
       TMF_I_T_NEXUS_RESET = 4, TMF_LUN_RESET = 5, TMF_QUERY_TASK = 6, TMF_QUERY_TASK_SET = 7 };
enum { EV_NO_EVENT = 0 };
enum { T_TMF = 0, T_AN_QUERY = 1, T_AN_SUBSCRIBE = 2 };
enum { ST_GOOD = 0, ST_CHECK_CONDITION = 2 };
enum { K_ILLEGAL_REQUEST = 5, K_DATA_PROTECT = 7 };
#define EVENTS_MISSED 0x80000000u

typedef struct scsi {
    vc_dev dev;
    uint8_t *disk;
    uint64_t sectors;
    bool read_only;
    bool detached; /* no target at all: every address is BAD_TARGET */
    vc_held events;
    bool events_lost;
    bool hold; /* requests stay in flight until released or cancelled */
    bool target1; /* the hot-plugged read-only view at target 1 */
    bool on_target1; /* the request being served addresses it */
    struct inflight {
        bool live;
        unsigned q;
        uint64_t tag;
        uint8_t lun[8];
        vc_chain c;
    } inflight[SCSI_INFLIGHT];
    vc_seg *inflight_segs; /* SCSI_INFLIGHT x the queue size */
} scsi;

/* The outcome of one command, written into the response header. */
typedef struct outcome {
    uint8_t response, status, sense_key, asc;
    uint64_t transferred; /* bytes of data moved */
} outcome;

static void check(outcome *o, uint8_t key, uint8_t asc)
{
    o->status = ST_CHECK_CONDITION;
    o->sense_key = key;
    o->asc = asc;
}

static uint32_t cfg32(const vc_dev *d, unsigned off) { return vc_get32(d->config + off); }

/* Copies a device-built answer into datain, limited by the CDB's allocation
 * length and the buffer. */
static void answer(vc_dev *d, vc_chain *c, uint64_t din_off, const uint8_t *data, uint32_t len,
                   uint32_t alloc, outcome *o)
{
    uint64_t room = c->in_bytes - din_off, n = len < alloc ? len : alloc;
    if (n > room)
        n = room;
    o->transferred = vc_chain_write(d->mem, c, din_off, data, n);
}

static void inquiry(scsi *s, vc_chain *c, uint64_t din_off, const uint8_t *cdb, bool lun_ok,
                    outcome *o)
{
    uint8_t buf[64] = { 0 };
    uint32_t len, alloc = vc_get_be16(cdb + 3);
    if (cdb[1] & 1) { /* vital product data */
        static const char serial[] = "vconform-scsi0";
        buf[1] = cdb[2];
        if (cdb[2] == 0x00) {
            buf[3] = 2;
            buf[4] = 0x00;
            buf[5] = 0x80;
            len = 6;
        } else if (cdb[2] == 0x80) {
            buf[3] = sizeof(serial) - 1;
            memcpy(buf + 4, serial, sizeof(serial) - 1);
            len = 4 + sizeof(serial) - 1;
        } else {
            check(o, K_ILLEGAL_REQUEST, 0x24); /* invalid field in CDB */
            return;
        }
    } else {
        buf[0] = lun_ok ? 0x00 : 0x7f; /* direct access, or no LUN here */
        buf[2] = 5;                    /* SPC-3 */
        buf[3] = 2;
        buf[4] = 31;
        buf[7] = 0x02; /* command queueing */
        memcpy(buf + 8, "VCONFORM", 8);
        memcpy(buf + 16, "REFDEV DISK     ", 16);
        memcpy(buf + 32, "1.0 ", 4);
        len = 36;
    }
    answer(&s->dev, c, din_off, buf, len, alloc, o);
}

static void rw(scsi *s, vc_chain *c, uint64_t dout_off, uint64_t din_off, uint64_t lba,
               uint64_t count, bool write, outcome *o)
{
    vc_dev *d = &s->dev;
    if (lba > s->sectors || count > s->sectors - lba) {
        check(o, K_ILLEGAL_REQUEST, 0x21); /* LBA out of range */
        return;
    }
    if (write && (s->read_only || s->on_target1)) {
        check(o, K_DATA_PROTECT, 0x27); /* write protected */
        return;
    }
    uint64_t len = count * SECTOR;
    uint64_t room = write ? c->out_bytes - dout_off : c->in_bytes - din_off;
    if (len > room) {
        o->response = R_OVERRUN; /* the data buffer cannot hold the transfer */
        return;
    }
    uint8_t *at = s->disk + lba * SECTOR;
    o->transferred = write ? vc_chain_read(d->mem, c, dout_off, at, len)
                           : vc_chain_write(d->mem, c, din_off, at, len);
}

static void execute(scsi *s, vc_chain *c, const uint8_t *cdb, bool lun_ok, uint64_t dout_off,
                    uint64_t din_off, outcome *o)
{
    uint8_t buf[32] = { 0 };
    uint64_t last = s->sectors ? s->sectors - 1 : 0;
    if (!lun_ok && cdb[0] != 0x12 && cdb[0] != 0xa0) {
        check(o, K_ILLEGAL_REQUEST, 0x25); /* logical unit not supported */
        return;
    }
    switch (cdb[0]) {
    case 0x00: /* TEST UNIT READY */
    case 0x35: /* SYNCHRONIZE CACHE(10): writes are never cached */
        break;
    case 0x03: /* REQUEST SENSE: nothing pending */
        buf[0] = 0x70;
        buf[7] = 10;
        answer(&s->dev, c, din_off, buf, SENSE_LEN, cdb[4], o);
        break;
    case 0x12:
        inquiry(s, c, din_off, cdb, lun_ok, o);
        break;
    case 0x25: /* READ CAPACITY(10) */
        vc_put_be32(buf, last > 0xffffffffu ? 0xffffffffu : (uint32_t)last);
        vc_put_be32(buf + 4, SECTOR);
        answer(&s->dev, c, din_off, buf, 8, 8, o);
        break;
    case 0x9e: /* SERVICE ACTION IN(16) */
        if ((cdb[1] & 0x1f) != 0x10) {
            check(o, K_ILLEGAL_REQUEST, 0x24);
            break;
        }
        vc_put_be64(buf, last); /* READ CAPACITY(16) */
        vc_put_be32(buf + 8, SECTOR);
        answer(&s->dev, c, din_off, buf, 32, vc_get_be32(cdb + 10), o);
        break;
    case 0x28:
    case 0x2a:
        rw(s, c, dout_off, din_off, vc_get_be32(cdb + 2), vc_get_be16(cdb + 7), cdb[0] == 0x2a, o);
        break;
    case 0x88:
    case 0x8a:
        rw(s, c, dout_off, din_off, vc_get_be64(cdb + 2), vc_get_be32(cdb + 10), cdb[0] == 0x8a,
           o);
        break;
    case 0xa0: /* REPORT LUNS: LUN 0 only */
        vc_put_be32(buf, 8);
        answer(&s->dev, c, din_off, buf, 16, vc_get_be32(cdb + 6), o);
        break;
    default:
        check(o, K_ILLEGAL_REQUEST, 0x20); /* invalid command operation code */
        break;
    }
}

/* lun[0] = 1, lun[1] = target, then a flat single-level LUN. */
static uint8_t address(const scsi *s, const uint8_t *lun, bool *lun_ok)
{
    bool target0 = !s->detached && lun[1] == 0, target1 = s->target1 && lun[1] == 1;
    if (lun[0] != 1 || !(target0 || target1))
        return R_BAD_TARGET;
    *lun_ok = ((lun[2] & 0x3f) << 8 | lun[3]) == 0;
    return R_OK;
}

static uint32_t serve_req(vc_dev *d, unsigned q, vc_chain *c)
{
    scsi *s = d->model;
    uint64_t cdb_size = cfg32(d, C_CDB_SIZE), sense_size = cfg32(d, C_SENSE_SIZE);
    uint64_t req_len = REQ_FIXED + cdb_size, resp_len = RESP_FIXED + sense_size;
    if (c->out_bytes < req_len || c->in_bytes < resp_len) {
        vc_dev_fault(d, "SCSI_REQ_LAYOUT", REQ_DRV_IMPLIED_SCSI_REQ_LAYOUT, (int)q, false,
                     "request: %llu readable (need %llu), %llu writable (need %llu)",
                     (unsigned long long)c->out_bytes, (unsigned long long)req_len,
                     (unsigned long long)c->in_bytes, (unsigned long long)resp_len);
        return 0;
    }
    uint8_t hdr[REQ_FIXED], cdb[32] = { 0 };
    vc_chain_read(d->mem, c, 0, hdr, REQ_FIXED);
    vc_chain_read(d->mem, c, REQ_FIXED, cdb, cdb_size < 32 ? cdb_size : 32);
    outcome o = { 0 };
    bool lun_ok = false;
    o.response = address(s, hdr, &lun_ok);
    s->on_target1 = hdr[1] == 1;
    bool has_out = c->out_bytes > req_len, has_in = c->in_bytes > resp_len;
    if (o.response == R_OK && has_out && has_in && !vc_dev_has(d, F_INOUT)) {
        vc_dev_fault(d, "SCSI_INOUT", REQ_DRV_IMPLIED_SCSI_REQ_LAYOUT, (int)q, false,
                     "data in both directions without INOUT");
        o.response = R_FAILURE;
    }
    if (o.response == R_OK)
        execute(s, c, cdb, lun_ok, req_len, resp_len, &o);
    uint64_t data_len = has_out ? c->out_bytes - req_len : c->in_bytes - resp_len;
    uint8_t resp[RESP_FIXED + SENSE_LEN] = { 0 };
    uint32_t sense_len = 0;
    if (o.status == ST_CHECK_CONDITION) {
        uint8_t *sense = resp + RESP_FIXED;
        sense[0] = 0x70; /* current error, fixed format */
        sense[2] = o.sense_key;
        sense[7] = SENSE_LEN - 8;
        sense[12] = o.asc;
        sense_len = sense_size < SENSE_LEN ? (uint32_t)sense_size : SENSE_LEN;
    }
    vc_put32(resp, sense_len);
    vc_put32(resp + 4, (uint32_t)(data_len - o.transferred));
    resp[10] = o.status;   /* SAM status (dev.scsi_req.1) */
    resp[11] = o.response; /* a defined response code (dev.scsi_req.2) */
    vc_chain_write(d->mem, c, 0, resp, RESP_FIXED + sense_len);
    return (uint32_t)(resp_len + (has_out ? 0 : o.transferred));
}

/* Completes held request i: executed now (R_OK), or cancelled with
 * response (only the response header written). */
static void finish(scsi *s, unsigned i, uint8_t response)
{
    vc_dev *d = &s->dev;
    struct inflight *f = &s->inflight[i];
    uint32_t w = 0;
    if (response == R_OK) {
        w = serve_req(d, f->q, &f->c);
    } else {
        uint8_t resp[RESP_FIXED] = { 0 };
        uint64_t resp_at = REQ_FIXED + cfg32(d, C_CDB_SIZE), sense_size = cfg32(d, C_SENSE_SIZE);
        bool has_out = f->c.out_bytes > resp_at;
        uint64_t data_len = has_out ? f->c.out_bytes - resp_at : f->c.in_bytes - (RESP_FIXED + sense_size);
        vc_put32(resp + 4, (uint32_t)data_len); /* nothing moved */
        resp[11] = response;                    /* ABORTED or RESET (dev.scsi_req.2) */
        w = (uint32_t)vc_chain_write(d->mem, &f->c, 0, resp, RESP_FIXED);
    }
    vc_dev_push(d, f->q, &f->c, w);
    f->live = false;
}

/* Takes the request queue's chains into the in-flight slots (hold on). */
static void take(scsi *s, unsigned q)
{
    vc_dev *d = &s->dev;
    for (unsigned i = 0; i < SCSI_INFLIGHT;) {
        struct inflight *f = &s->inflight[i];
        if (f->live) {
            i++;
            continue;
        }
        f->c = (vc_chain){ .seg = s->inflight_segs + (size_t)i * d->q[q].max_size, .cap = d->q[q].max_size };
        if (!vc_dev_pop(d, q, &f->c))
            return;
        if (f->c.out_bytes < REQ_FIXED + cfg32(d, C_CDB_SIZE) ||
            f->c.in_bytes < RESP_FIXED + cfg32(d, C_SENSE_SIZE)) {
            vc_dev_push(d, q, &f->c, serve_req(d, q, &f->c)); /* malformed: faulted at once, slot reused */
            continue;
        }
        uint8_t hdr[REQ_FIXED] = { 0 };
        vc_chain_read(d->mem, &f->c, 0, hdr, REQ_FIXED);
        memcpy(f->lun, hdr, 8);
        f->tag = vc_get64(hdr + 8);
        f->q = q;
        f->live = true;
        i++;
    }
}

/* A task management function on the held requests of lun (whole target
 * for an I_T nexus reset); returns the function's response. The effects
 * are pushed first: the driver sees them before the answer. */
static uint8_t tmf(scsi *s, uint32_t sub, const uint8_t *lun, uint64_t tag)
{
    unsigned hits = 0;
    for (unsigned i = 0; i < SCSI_INFLIGHT; i++) {
        struct inflight *f = &s->inflight[i];
        bool target = f->live && f->lun[0] == lun[0] && f->lun[1] == lun[1];
        bool same = target && memcmp(f->lun + 2, lun + 2, 2) == 0;
        bool task = same && f->tag == tag;
        if (sub == TMF_ABORT_TASK && task)
            finish(s, i, R_ABORTED);
        else if ((sub == TMF_ABORT_TASK_SET || sub == TMF_CLEAR_TASK_SET) && same)
            finish(s, i, R_ABORTED);
        else if ((sub == TMF_LUN_RESET && same) || (sub == TMF_I_T_NEXUS_RESET && target))
            finish(s, i, R_RESET);
        else
            hits += (sub == TMF_QUERY_TASK && task) || (sub == TMF_QUERY_TASK_SET && same);
    }
    if (sub > TMF_QUERY_TASK_SET)
        return R_FUNCTION_REJECTED;
    return hits ? R_FUNCTION_SUCCEEDED : R_OK; /* FUNCTION COMPLETE */
}

static uint32_t serve_ctrl(vc_dev *d, unsigned q, vc_chain *c)
{
    uint8_t req[28] = { 0 };
    uint64_t got = vc_chain_read(d->mem, c, 0, req, sizeof(req));
    uint32_t type = got >= 4 ? vc_get32(req) : 0xffffffffu;
    bool lun_ok;
    if (type == T_TMF && got >= 24 && c->in_bytes >= 1) {
        uint32_t sub = vc_get32(req + 4);
        uint8_t r = address(d->model, req + 8, &lun_ok);
        if (r == R_OK)
            r = tmf(d->model, sub, req + 8, vc_get64(req + 16));
        vc_chain_write(d->mem, c, 0, &r, 1);
        return 1;
    }
    if ((type == T_AN_QUERY || type == T_AN_SUBSCRIBE) && got >= 16 && c->in_bytes >= 5) {
        uint8_t resp[5] = { 0 }; /* no asynchronous events supported */
        resp[4] = address(d->model, req + 4, &lun_ok);
        vc_chain_write(d->mem, c, 0, resp, 5);
        return 5;
    }
    vc_dev_fault(d, "SCSI_CTRL_LAYOUT", REQ_DRV_IMPLIED_SCSI_REQ_LAYOUT, (int)q, false,
                 "control request type %u: %llu readable, %llu writable bytes", (unsigned)type,
                 (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
    return 0;
}

static bool event_buf_ok(vc_dev *d, unsigned q, const vc_chain *c)
{
    if (c->out_bytes == 0 && c->in_bytes >= EVENT_SIZE)
        return true;
    vc_dev_fault(d, "SCSI_EVENT_BUFFER", REQ_DRV_SCSI_EVENT_2, (int)q, false,
                 "event buffer: %llu readable, %llu writable bytes",
                 (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
    return false;
}

/* Fills the oldest held event buffer; lost events before it are flagged. */
static void push_event(scsi *s, uint32_t event, uint32_t reason, uint8_t target)
{
    vc_dev *d = &s->dev;
    uint8_t e[EVENT_SIZE] = { 0 };
    vc_put32(e, event | (s->events_lost ? EVENTS_MISSED : 0));
    if (event != EV_NO_EVENT) {
        e[4] = 1; /* the target, LUN 0 */
        e[5] = target;
    }
    vc_put32(e + 12, reason);
    uint32_t w = (uint32_t)vc_chain_write(d->mem, vc_held_at(&s->events, 0), 0, e, EVENT_SIZE);
    vc_held_push(&s->events, d, Q_EVENT, w);
    s->events_lost = false;
}

static void notify(vc_dev *d, unsigned q)
{
    scsi *s = d->model;
    if (q == Q_CTRL) {
        vc_dev_serve(d, q, serve_ctrl);
    } else if (q == Q_EVENT) {
        /* a buffer after lost events: say so at once (dev.scsi_event.1) */
        if (vc_held_fill(&s->events, d, q, event_buf_ok) && s->events_lost)
            push_event(s, EV_NO_EVENT, 0, 0);
    } else if (s->hold) {
        take(s, q);
    } else {
        vc_dev_serve(d, q, serve_req);
    }
}

static void config_write(vc_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    /* only sense_size and cdb_size are writable (drv.scsi_cfg.1) */
    if ((off == C_SENSE_SIZE || off == C_CDB_SIZE) && len == 4) {
        memcpy(d->config + off, buf, 4);
        return;
    }
    vc_dev_fault(d, "SCSI_CONFIG_WRITE", REQ_DRV_SCSI_CFG_1, -1, false,
                 "write of %u bytes at %u", len, off);
}

static void fill_config(scsi *s, uint16_t qmax)
{
    uint8_t *c = s->dev.config;
    memset(c, 0, C_SIZE);
    vc_put32(c + C_NUM_QUEUES, SCSI_NQUEUES - 2);
    vc_put32(c + C_SEG_MAX, qmax - 2u);
    vc_put32(c + C_MAX_SECTORS, 0xffff);
    vc_put32(c + C_CMD_PER_LUN, qmax);
    vc_put32(c + C_EVENT_INFO_SIZE, EVENT_SIZE);
    vc_put32(c + C_SENSE_SIZE, SENSE_DEFAULT); /* back to defaults on reset (dev.scsi_cfg.1) */
    vc_put32(c + C_CDB_SIZE, CDB_DEFAULT);
}

static void reset(vc_dev *d)
{
    scsi *s = d->model;
    vc_held_clear(&s->events);
    s->events_lost = false;
    for (unsigned i = 0; i < SCSI_INFLIGHT; i++)
        s->inflight[i].live = false; /* the rings are gone */
    fill_config(s, d->q[0].max_size);
}

static void queue_reset(vc_dev *d, unsigned q)
{
    scsi *s = d->model;
    if (q == Q_EVENT)
        vc_held_clear(&s->events);
    for (unsigned i = 0; i < SCSI_INFLIGHT; i++)
        if (s->inflight[i].q == q)
            s->inflight[i].live = false;
}

static void destroy(vc_dev *d)
{
    scsi *s = d->model;
    vc_held_free(&s->events);
    free(s->inflight_segs);
}

static const vc_model_ops scsi_ops = {
    .name = "scsi",
    .device_id = VC_DEV_ID_SCSI,
    .config_write = config_write,
    .queue_notify = notify,
    .reset = reset,
    .queue_reset = queue_reset,
    .destroy = destroy,
};

vc_dev *vc_scsi_create(const vc_gmem *mem, const vc_model_opts *o)
{
    if (!o || (!o->detached && (!o->disk || o->disk_bytes == 0 || o->disk_bytes % SECTOR)))
        return NULL;
    scsi *s = calloc(1, sizeof(*s));
    uint16_t qmax = o->queue_max ? o->queue_max : SCSI_QUEUE_MAX;
    if (!s || !vc_held_init(&s->events, qmax, qmax) ||
        !(s->inflight_segs = calloc((size_t)SCSI_INFLIGHT * qmax, sizeof(vc_seg)))) {
        if (s)
            vc_held_free(&s->events);
        free(s);
        return NULL;
    }
    uint16_t qm[SCSI_NQUEUES] = { qmax, qmax, qmax };
    uint64_t f = VC_TRANSPORT_FEATURES | 1ull << F_HOTPLUG | 1ull << F_CHANGE;
    vc_dev_init(&s->dev, &scsi_ops, s, mem, f & ~o->features_off, C_SIZE, SCSI_NQUEUES, qm);
    s->detached = o->detached;
    s->disk = o->detached ? NULL : o->disk;
    s->sectors = o->detached ? 0 : o->disk_bytes / SECTOR;
    s->read_only = o->read_only;
    fill_config(s, qmax);
    return &s->dev;
}

static bool send_event(scsi *s, uint32_t event, uint32_t reason, uint8_t target)
{
    vc_dev *d = &s->dev;
    /* transport reset events only with HOTPLUG (dev.scsi_event.2) */
    if (event == 1 && !vc_dev_has(d, F_HOTPLUG))
        return false;
    if (d->status & VC_STATUS_DRIVER_OK)
        vc_held_fill(&s->events, d, Q_EVENT, event_buf_ok);
    if (s->events.n == 0) {
        s->events_lost = true; /* flagged on the next buffer (dev.scsi_event.1) */
        return false;
    }
    push_event(s, event, reason, target);
    return true;
}

bool vc_scsi_send_event(vc_dev *d, uint32_t event, uint32_t reason)
{
    return send_event(d->model, event, reason, 0);
}

bool vc_scsi_hotplug(vc_dev *d, bool present)
{
    scsi *s = d->model;
    if (s->detached || s->target1 == present)
        return false;
    s->target1 = present;
    /* RESCAN or REMOVED for target 1, only with HOTPLUG (dev.scsi_event.2) */
    send_event(s, 1, present ? 1 : 2, 1);
    return true;
}

void vc_scsi_hold(vc_dev *d, bool hold)
{
    scsi *s = d->model;
    s->hold = hold;
    if (hold)
        return;
    for (unsigned i = 0; i < SCSI_INFLIGHT; i++) /* released: they finish, oldest slot first */
        if (s->inflight[i].live)
            finish(s, i, R_OK);
    for (unsigned q = 2; q < d->nqueues; q++)
        notify(d, q);
}
