/* virtio-fs round trip: one FUSE_INIT on the first request queue. The fs
 * device is outside the requirement catalogue, so only the ring-level
 * statements are named (used length, notification, device-readable bytes
 * untouched); the FUSE answer itself is checked without a requirement. */
#include <stdio.h>
#include <string.h>

#include "rt.h"
#include "scenario.h"
#include "vc/req_ids.h"

#define FUSE_INIT 26u
#define IN_HDR 40u   /* len, opcode, unique, nodeid, uid, gid, pid, padding */
#define INIT_IN 64u  /* major, minor, max_readahead, flags, flags2, unused */
#define OUT_HDR 16u  /* len, error, unique */
#define REPLY_ROOM 256u
#define REQ VC_SCN_DATA_A
#define REPLY (VC_SCN_DATA_A + 0x1000)

uint64_t rt_fs_features(void)
{
    return 0; /* VERSION_1 only */
}

static uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

int rt_fs(vh_dev *d, vh_report *r)
{
    uint8_t *req = vh_dev_host(d, REQ, IN_HDR + INIT_IN), *rep = vh_dev_host(d, REPLY, REPLY_ROOM);
    memset(req, 0, IN_HDR + INIT_IN);
    uint32_t w[] = { IN_HDR + INIT_IN, FUSE_INIT };
    memcpy(req, w, sizeof(w));
    uint64_t unique = 0x76636f6e66ull; /* ours, to find in the answer */
    memcpy(req + 8, &unique, 8);
    uint32_t init[] = { 7, 31, 0, 0 }; /* protocol 7.31 */
    memcpy(req + IN_HDR, init, sizeof(init));
    uint8_t copy[IN_HDR + INIT_IN];
    memcpy(copy, req, sizeof(copy));
    memset(rep, 0xee, REPLY_ROOM);
    vc_seg sg[2] = { { REQ, IN_HDR + INIT_IN, false }, { REPLY, REPLY_ROOM, true } };
    vh_done done;
    char err[256], ob[96], ex[96];
    if (!vh_dev_request(d, sg, 1, 1, false, &done, err, sizeof(err))) {
        vh_check(r, "fs.init", "", VH_FAIL, "an answer", "none", "%s", err);
        return 1;
    }
    uint64_t got_unique;
    memcpy(&got_unique, rep + 8, 8);
    int32_t error = (int32_t)ld32(rep + 4);
    uint32_t len = ld32(rep);
    snprintf(ob, sizeof(ob), "error %d, %u bytes, unique %s", error, len, got_unique == unique ? "ours" : "other");
    vh_expect(r, "fs.init", "", error == 0 && got_unique == unique && len >= OUT_HDR && len <= REPLY_ROOM,
              "error 0, our unique", ob);
    uint32_t written = 0;
    while (written < REPLY_ROOM && rep[written] != 0xee)
        written++;
    snprintf(ex, sizeof(ex), "at most %u (the answer's length)", len);
    snprintf(ob, sizeof(ob), "%u (%u bytes differ from the poison from the start)", done.used, written);
    vh_expect(r, "fs.init.used_len", REQ_DEV_VQ_USED_2, done.used <= len, ex, ob);
    vh_expect(r, "vq.notify", REQ_DEV_VQ_USED_SUPP_3, done.notified, "a call (flags 0, no EVENT_IDX)",
              done.notified ? "a call" : "none");
    vh_expect(r, "vq.readable_intact", REQ_DEV_VQ_DESC_1, memcmp(copy, req, sizeof(copy)) == 0,
              "the request untouched", memcmp(copy, req, sizeof(copy)) ? "changed" : "untouched");
    return 0;
}
