/* SCSI host: on target 0 LUN 0, TEST UNIT READY (past the power-on unit
 * attention), INQUIRY, READ CAPACITY(10), READ(10) of the runner's pattern,
 * REPORT LUNS; an unknown opcode must come back CHECK CONDITION with
 * ILLEGAL REQUEST sense, and an absent target as BAD_TARGET. A host with no
 * LUN 0 at target 0 (no disk attached) conforms when it says so; the checks
 * that need the LUN are then skipped. Header sizes follow the device's
 * cdb_size and sense_size. */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "vc/req_ids.h"

#include "dev_scsi.h"

#define SECTOR 512u
#define DATA_MAX 4096u
enum { Q_CTRL = VP_SCSI_Q_CTRL, Q_EVENT = VP_SCSI_Q_EVENT, Q_REQ = VP_SCSI_Q_REQ };
enum { C_SENSE_SIZE = 20, C_CDB_SIZE = 24 };
enum { R_OK = VP_SCSI_S_OK, R_BAD_TARGET = VP_SCSI_S_BAD_TARGET };
/* after reset (dev.scsi_cfg.1), and what the probe writes instead */
enum { SENSE_DEFAULT = 96, CDB_DEFAULT = 32, SENSE_PROBE = 40, CDB_PROBE = 16, SENSE_SMALL = 8 };

typedef vp_scsi scsi;
typedef vp_scsi_answer answer;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void vp_scsi_build(vp_scsi *s, uint64_t req, uint64_t resp, uint8_t target, uint64_t tag, const uint8_t *cdb,
                   unsigned cdb_len)
{
    uint32_t req_len = 19 + s->cdb_size, resp_len = 12 + s->sense_size;
    uint8_t *q = vp_drv_host(s->v, req, req_len), *p = vp_drv_host(s->v, resp, resp_len);
    memset(q, 0, req_len);
    q[0] = 1; /* single-level LUN structure */
    q[1] = target;
    q[2] = 0x40; /* flat addressing, LUN 0 */
    for (unsigned i = 0; i < 8; i++)
        q[8 + i] = (uint8_t)(tag >> (8 * i));
    memcpy(q + 19, cdb, cdb_len);
    memset(p, 0xee, resp_len);
}

void vp_scsi_parse(vp_scsi *s, uint64_t resp, uint32_t used, vp_scsi_answer *a)
{
    const uint8_t *p = vp_drv_host(s->v, resp, 12 + s->sense_size);
    a->used = used;
    a->sense_len = le32(p);
    a->residual = le32(p + 4);
    a->status = p[10];
    a->response = p[11];
    const uint8_t *sense = p + 12;
    uint32_t have = a->sense_len < s->sense_size ? a->sense_len : s->sense_size;
    bool fixed = have >= 14 && (sense[0] & 0x7f) >= 0x70 && (sense[0] & 0x7f) <= 0x71;
    bool desc = have >= 4 && (sense[0] & 0x7f) >= 0x72;
    a->key = fixed ? sense[2] & 0xf : desc ? sense[1] & 0xf : 0xff;
    a->asc = fixed ? sense[12] : desc ? sense[2] : 0xff;
}

/* One command to target/lun with data_in bytes expected back; false after
 * reporting a failed round-trip. */
static bool command(scsi *s, const char *id, uint8_t target, const uint8_t *cdb, unsigned cdb_len,
                    uint32_t data_in, answer *a)
{
    char err[128];
    uint32_t req_len = 19 + s->cdb_size, resp_len = 12 + s->sense_size, used;
    vp_scsi_build(s, s->req, s->resp, target, s->v->roundtrips, cdb, cdb_len);
    vc_seg sg[3] = {{s->req, req_len, false}, {s->resp, resp_len, true}, {s->data, data_in, true}};
    vp_rt rt = vp_drv_roundtrip(s->v, Q_REQ, sg, 1, data_in ? 2 : 1, false, &used, err, sizeof err);
    if (!vp_report_rt(s->v, id, REQ_DRV_IMPLIED_SCSI_REQ_LAYOUT, rt, err))
        return false;
    vp_scsi_parse(s, s->resp, used, a);
    return true;
}

static bool good(scsi *s, const char *id, const answer *a)
{
    char ob[96];
    snprintf(ob, sizeof ob, "response %u, status 0x%02x, sense key %u", a->response, a->status, a->key);
    return vp_expect(s->v->c->rep, id, REQ_DEV_SCSI_REQ_1 "," REQ_DEV_SCSI_REQ_2,
                     a->response == R_OK && a->status == 0, "response 0 (OK), status GOOD", ob, NULL);
}

/* The answer to TEST UNIT READY when there is no LUN 0 at target 0: no
 * target at all, or a target without that LUN (LOGICAL UNIT NOT SUPPORTED). */
static bool no_lun(const answer *a)
{
    return a->response == R_BAD_TARGET || (a->response == R_OK && a->status == 2 && a->key == 5 && a->asc == 0x25);
}

/* The checks that need LUN 0, in the order they run: skipped from the first
 * one not yet run when the LUN turns out to be absent. */
static void skip_lun_checks(vp_report *r, unsigned from, const char *why)
{
    static const char *const need_lun[] = {"scsi.inquiry", "scsi.inquiry.disk", "scsi.read_capacity",
                                           "scsi.read", "scsi.report_luns", "scsi.unknown_opcode"};
    for (unsigned i = from; i < sizeof need_lun / sizeof need_lun[0]; i++)
        vp_check(r, need_lun[i], "", VP_SKIP, NULL, NULL, "no LUN 0 at target 0 (%s)", why);
}

/* A target the host does not have must be answered BAD_TARGET. */
static void bad_target(scsi *s, answer *a)
{
    static const uint8_t tur[6] = {0x00};
    char ob[64];
    if (!command(s, "scsi.bad_target", 77, tur, 6, 0, a))
        return;
    snprintf(ob, sizeof ob, "response %u, status 0x%02x", a->response, a->status);
    vp_expect(s->v->c->rep, "scsi.bad_target", REQ_DEV_SCSI_REQ_2, a->response == R_BAD_TARGET,
              "response 3 (BAD_TARGET)", ob, "target 77");
}

/* sense_size bounds the sense the device writes, whatever room the driver
 * gave: with 8 set and the probe's 40 bytes offered, an error's sense must
 * stop at 8 (the rest of the buffer is data-in, and nothing moves there). */
static void sense_bound(scsi *s)
{
    static const uint8_t bogus[6] = {0xc7};
    char err[128], ob[96];
    uint32_t used, resp_len = 12 + s->sense_size;
    vp_tp_cfg_write(s->v->t, C_SENSE_SIZE, 4, SENSE_SMALL);
    vp_scsi_build(s, s->req, s->resp, 0, 0x5e45e, bogus, sizeof bogus);
    vc_seg sg[2] = {{s->req, 19 + s->cdb_size, false}, {s->resp, resp_len, true}};
    vp_rt rt = vp_drv_roundtrip(s->v, Q_REQ, sg, 1, 1, false, &used, err, sizeof err);
    vp_tp_cfg_write(s->v->t, C_SENSE_SIZE, 4, s->sense_size);
    if (!vp_report_rt(s->v, "scsi.sense.bounded", REQ_DRV_IMPLIED_SCSI_REQ_LAYOUT, rt, err))
        return;
    const uint8_t *p = vp_drv_host(s->v, s->resp, resp_len);
    uint32_t sense_len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    unsigned past = 0;
    for (uint32_t i = 12 + SENSE_SMALL; i < resp_len; i++)
        past += p[i] != 0xee;
    snprintf(ob, sizeof ob, "response %u, status 0x%02x, sense_len %u, %u byte(s) written past it", p[11], p[10],
             sense_len, past);
    vp_expect(s->v->c->rep, "scsi.sense.bounded", REQ_DEV_SCSI_REQ_1 "," REQ_DEV_SCSI_REQ_2,
              p[11] == R_OK && p[10] == 2 && sense_len <= SENSE_SMALL && !past,
              "CHECK CONDITION, sense_len <= 8, nothing past 8 bytes of sense", ob,
              "sense_size 8, 40 bytes of sense room offered");
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void vp_devtest_scsi(vp_drv *v, vp_seen *seen)
{
    vp_report *r = v->c->rep;
    char err[128], ob[128];
    if (!vp_drv_queues(v, Q_CTRL, Q_REQ, "scsi.queue"))
        return;
    scsi s = {.v = v};
    s.cdb_size = (uint32_t)vp_tp_cfg(v->t, C_CDB_SIZE, 4);
    s.sense_size = (uint32_t)vp_tp_cfg(v->t, C_SENSE_SIZE, 4);
    snprintf(ob, sizeof ob, "cdb_size %u, sense_size %u", s.cdb_size, s.sense_size);
    /* the previous personality wrote other sizes before its reset */
    vp_expect(r, "scsi.config.defaults", REQ_DEV_SCSI_CFG_1,
              s.cdb_size == CDB_DEFAULT && s.sense_size == SENSE_DEFAULT, "cdb_size 32, sense_size 96", ob,
              "after reset");
    /* the driver may pick smaller sizes; the device must then frame by them
     * (semantics: QEMU's vhost-user-scsi exits on such a write, and the
     * +vhost probe VMs leave the semantics out) */
    if (v->c->opt.semantics) {
        vp_tp_cfg_write(v->t, C_CDB_SIZE, 4, CDB_PROBE);
        vp_tp_cfg_write(v->t, C_SENSE_SIZE, 4, SENSE_PROBE);
        s.cdb_size = (uint32_t)vp_tp_cfg(v->t, C_CDB_SIZE, 4);
        s.sense_size = (uint32_t)vp_tp_cfg(v->t, C_SENSE_SIZE, 4);
        snprintf(ob, sizeof ob, "cdb_size %u, sense_size %u", s.cdb_size, s.sense_size);
        vp_expect(r, "scsi.config.write", "", s.cdb_size == CDB_PROBE && s.sense_size == SENSE_PROBE,
                  "cdb_size 16, sense_size 40", ob, "read back after the driver wrote them");
    }
    if (!vp_expect(r, "scsi.config.sizes", "", s.cdb_size >= 16 && s.cdb_size <= 256 && s.sense_size >= 18 &&
                   s.sense_size <= 256, "cdb 16-256, sense 18-256", ob, "the probe sends 16-byte CDBs"))
        return;
    s.req = vp_drv_alloc(v, 19 + s.cdb_size, 16);
    s.resp = vp_drv_alloc(v, 12 + s.sense_size, 16);
    s.data = vp_drv_alloc(v, DATA_MAX, 512);
    s.ev = vp_drv_alloc(v, VP_SCSI_EVENT_BUFS * VP_SCSI_EVENT_SIZE, 16);
    if (!s.req || !s.resp || !s.data || !s.ev) {
        vp_check(r, "scsi.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    vp_drv_driver_ok(v);
    seen->ran = true;
    for (unsigned i = 0; i < VP_SCSI_EVENT_BUFS; i++) { /* event buffers, as a driver keeps posted */
        vc_seg sg = {s.ev + VP_SCSI_EVENT_SIZE * i, VP_SCSI_EVENT_SIZE, true};
        memset(vp_drv_host(v, sg.addr, sg.len), 0xee, sg.len);
        if (!vp_report_rt(v, "scsi.event.post", REQ_DRV_SCSI_EVENT_1,
                          vp_drv_post(v, Q_EVENT, &sg, 0, 1, false, &s.ev_tok[i], err, sizeof err), err))
            return;
    }
    answer a;
    static const uint8_t tur[6] = {0x00};
    unsigned tries = 0;
    do { /* a fresh LUN may report UNIT ATTENTION first */
        if (!command(&s, "scsi.tur", 0, tur, 6, 0, &a))
            return;
    } while (++tries < 4 && a.response == R_OK && a.status == 2 && a.key == 6);
    if (no_lun(&a)) {
        snprintf(ob, sizeof ob, "response %u, status 0x%02x, sense key %u, asc 0x%02x", a.response, a.status,
                 a.key, a.asc);
        vp_check(r, "scsi.tur", "", VP_PASS, "GOOD, or no LUN 0 at target 0", ob, "no LUN 0 at target 0");
        skip_lun_checks(r, 0, a.response == R_BAD_TARGET ? "no target 0: no disk attached?" : "LUN not supported");
        bad_target(&s, &a);
        return;
    }
    if (!good(&s, "scsi.tur", &a))
        return;
    static const uint8_t inquiry[6] = {0x12, 0, 0, 0, 36, 0};
    uint8_t *d = vp_drv_host(v, s.data, DATA_MAX);
    memset(d, 0xee, 64);
    if (!command(&s, "scsi.inquiry", 0, inquiry, 6, 36, &a) || !good(&s, "scsi.inquiry", &a))
        return;
    char vendor[9] = {0}, product[17] = {0};
    memcpy(vendor, d + 8, 8);
    memcpy(product, d + 16, 16);
    unsigned qualifier = d[0] >> 5;
    if (qualifier == 1 || qualifier == 3) { /* no device at this LUN: QEMU's target without LUN 0 says 1 */
        snprintf(ob, sizeof ob, "INQUIRY: peripheral qualifier %u", qualifier);
        skip_lun_checks(r, 1, ob);
        bad_target(&s, &a);
        return;
    }
    snprintf(ob, sizeof ob, "type %u, '%s' '%s'", d[0] & 0x1f, vendor, product);
    vp_expect(r, "scsi.inquiry.disk", "", (d[0] & 0x1f) == 0, "type 0 (direct access)", ob, NULL);
    static const uint8_t cap10[10] = {0x25};
    if (!command(&s, "scsi.read_capacity", 0, cap10, 10, 8, &a) || !good(&s, "scsi.read_capacity", &a))
        return;
    uint32_t last = be32(d), bs = be32(d + 4);
    snprintf(ob, sizeof ob, "%u blocks of %u bytes", last + 1, bs);
    if (!vp_expect(r, "scsi.read_capacity.size", "", bs == SECTOR && last >= 3, "512-byte blocks, >= 4", ob,
                   NULL))
        return;
    seen->value = (uint64_t)last + 1;
    static const uint8_t rd10[10] = {0x28, 0, 0, 0, 0, 1, 0, 0, 2, 0}; /* LBA 1, 2 blocks */
    memset(d, 0xee, 3 * SECTOR);
    /* a sector more room than the read moves: that much is residual */
    if (!command(&s, "scsi.read", 0, rd10, 10, 3 * SECTOR, &a) || !good(&s, "scsi.read", &a))
        return;
    snprintf(ob, sizeof ob, "residual %u", a.residual);
    vp_expect(r, "scsi.read.residual", "", a.residual == SECTOR, "residual 512", ob,
              "3 sectors of data-in offered, 2 read");
    seen->digest = vp_fnv1a(d, 2 * SECTOR, 2166136261u);
    seen->ok = true;
    if (v->c->opt.blk_pattern) {
        uint8_t want[2 * SECTOR];
        vp_blk_pattern(want, 1, 2);
        bool same = memcmp(want, d, 2 * SECTOR) == 0;
        seen->ok = vp_expect(r, "scsi.read.pattern", REQ_DEV_IMPLIED_BLK_DATA, same, "the disk pattern",
                             same ? "the disk pattern" : "other bytes", "blocks 1-2");
    }
    static const uint8_t luns[12] = {0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0};
    if (!command(&s, "scsi.report_luns", 0, luns, 12, 64, &a) || !good(&s, "scsi.report_luns", &a))
        return;
    snprintf(ob, sizeof ob, "list length %u", be32(d));
    vp_expect(r, "scsi.report_luns.list", "", be32(d) >= 8 && be32(d) % 8 == 0, "one LUN or more", ob, NULL);
    /* errors the device must describe, not swallow */
    static const uint8_t bogus[6] = {0xc7};
    if (!command(&s, "scsi.unknown_opcode", 0, bogus, 6, 0, &a))
        return;
    snprintf(ob, sizeof ob, "response %u, status 0x%02x, sense key %u, asc 0x%02x, sense_len %u", a.response,
             a.status, a.key, a.asc, a.sense_len);
    vp_expect(r, "scsi.unknown_opcode", REQ_DEV_SCSI_REQ_1 "," REQ_DEV_SCSI_REQ_2,
              a.response == R_OK && a.status == 2 && a.key == 5 && a.sense_len > 0 && a.sense_len <= s.sense_size,
              "response OK, CHECK CONDITION, ILLEGAL REQUEST sense within sense_size", ob, NULL);
    bad_target(&s, &a);
    if (!v->c->opt.semantics)
        return;
    sense_bound(&s);
    vp_scsi_tmf(&s);
    vp_scsi_events_quiet(&s);
    vp_scsi_hotplug(&s);
}
