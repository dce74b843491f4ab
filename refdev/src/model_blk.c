/* Block device over an in-memory disk: read, write, flush, get-id, discard,
 * write-zeroes; strict request layout and range checks. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "refdev/models.h"
#include "vc/spec_devices.h"
#include "vc/spec_features.h"

#define BLK_QUEUE_MAX 256
#define BLK_NUM_QUEUES 2
#define SECTOR 512u

/* feature bits, from specs/features.tsv */
enum {
    F_SEG_MAX = VIRTIO_BLK_F_SEG_MAX_BIT,
    F_RO = VIRTIO_BLK_F_RO_BIT,
    F_BLK_SIZE = VIRTIO_BLK_F_BLK_SIZE_BIT,
    F_FLUSH = VIRTIO_BLK_F_FLUSH_BIT,
    F_TOPOLOGY = VIRTIO_BLK_F_TOPOLOGY_BIT,
    F_CONFIG_WCE = VIRTIO_BLK_F_CONFIG_WCE_BIT,
    F_MQ = VIRTIO_BLK_F_MQ_BIT,
    F_DISCARD = VIRTIO_BLK_F_DISCARD_BIT,
    F_WRITE_ZEROES = VIRTIO_BLK_F_WRITE_ZEROES_BIT,
};
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11, T_WRITE_ZEROES = 13 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };

/* config layout offsets (struct virtio_blk_config) */
enum {
    C_CAPACITY = 0, C_SEG_MAX = 12, C_BLK_SIZE = 20, C_PHYS_EXP = 24, C_MIN_IO = 26, C_OPT_IO = 28,
    C_WRITEBACK = 32, C_NUM_QUEUES = 34, C_MAX_DISCARD_SECTORS = 36, C_MAX_DISCARD_SEG = 40,
    C_DISCARD_ALIGN = 44, C_MAX_WZ_SECTORS = 48, C_MAX_WZ_SEG = 52, C_WZ_MAY_UNMAP = 56,
    C_SIZE = 60,
};
#define MAX_DWZ_SEG 32u
#define DWZ_SIZE 16u /* struct virtio_blk_discard_write_zeroes */
#define DWZ_F_UNMAP 1u

typedef struct blk {
    vc_dev dev;
    uint8_t *disk;
    uint64_t sectors;
    char serial[20];
} blk;


static void fill_config(blk *b)
{
    uint8_t *c = b->dev.config;
    memset(c, 0, C_SIZE); /* padding and unused fields are zero (dev.blk_init.3) */
    vc_put64(c + C_CAPACITY, b->sectors);
    vc_put32(c + C_SEG_MAX, BLK_QUEUE_MAX - 2);
    vc_put32(c + C_BLK_SIZE, SECTOR);
    c[C_PHYS_EXP] = 0;
    vc_put16(c + C_MIN_IO, 1);
    vc_put32(c + C_OPT_IO, 0);
    c[C_WRITEBACK] = 1; /* writeback until the driver picks (FLUSH is offered) */
    vc_put16(c + C_NUM_QUEUES, BLK_NUM_QUEUES);
    vc_put32(c + C_MAX_DISCARD_SECTORS, 0xffffffffu);
    vc_put32(c + C_MAX_DISCARD_SEG, MAX_DWZ_SEG);
    vc_put32(c + C_DISCARD_ALIGN, 1);
    vc_put32(c + C_MAX_WZ_SECTORS, 0xffffffffu);
    vc_put32(c + C_MAX_WZ_SEG, MAX_DWZ_SEG);
    c[C_WZ_MAY_UNMAP] = 0; /* zeroing never deallocates here */
}

/* True when [sector, sector+count) lies on the disk. */
static bool in_range(const blk *b, uint64_t sector, uint64_t count)
{
    return sector <= b->sectors && count <= b->sectors - sector;
}

static uint8_t do_io(blk *b, unsigned q, vc_chain *c, uint32_t type, uint64_t sector,
                     uint64_t *written)
{
    vc_dev *d = &b->dev;
    bool out = type == T_OUT;
    uint64_t len = out ? c->out_bytes - 16 : c->in_bytes - 1;
    if (len % SECTOR) {
        vc_dev_fault(d, "BLK_LEN_NOT_SECTORS", REQ_DRV_BLK_OP_6, (int)q, false,
                     "data length %llu", (unsigned long long)len);
        return S_IOERR;
    }
    if (!in_range(b, sector, len / SECTOR)) {
        vc_dev_fault(d, "BLK_BEYOND_CAPACITY", REQ_DRV_BLK_OP_2, (int)q, false,
                     "sector %llu + %llu beyond %llu", (unsigned long long)sector,
                     (unsigned long long)(len / SECTOR), (unsigned long long)b->sectors);
        return S_IOERR;
    }
    uint8_t *at = b->disk + sector * SECTOR;
    if (out) {
        if (vc_dev_has(d, F_RO))
            return S_IOERR; /* and nothing written (dev.blk_op.3) */
        return vc_chain_read(d->mem, c, 16, at, len) == len ? S_OK : S_IOERR;
    }
    *written = vc_chain_write(d->mem, c, 0, at, len);
    return *written == len ? S_OK : S_IOERR;
}

static uint8_t do_dwz(blk *b, unsigned q, vc_chain *c, uint32_t type)
{
    vc_dev *d = &b->dev;
    bool wz = type == T_WRITE_ZEROES;
    if (!vc_dev_has(d, wz ? F_WRITE_ZEROES : F_DISCARD))
        return S_UNSUPP;
    uint64_t len = c->out_bytes - 16;
    if (len == 0 || len % DWZ_SIZE) {
        vc_dev_fault(d, "BLK_DWZ_LEN", REQ_DRV_BLK_OP_7, (int)q, false, "data length %llu",
                     (unsigned long long)len);
        return S_IOERR;
    }
    if (len / DWZ_SIZE > MAX_DWZ_SEG) {
        vc_dev_fault(d, "BLK_DWZ_TOO_MANY", wz ? REQ_DRV_BLK_OP_11 : REQ_DRV_BLK_OP_9, (int)q,
                     false, "%llu segments", (unsigned long long)(len / DWZ_SIZE));
        return S_IOERR;
    }
    for (uint64_t off = 16; off < 16 + len; off += DWZ_SIZE) {
        uint8_t raw[DWZ_SIZE];
        if (vc_chain_read(d->mem, c, off, raw, DWZ_SIZE) != DWZ_SIZE)
            return S_IOERR;
        uint64_t sector;
        uint32_t num, flags;
        memcpy(&sector, raw, 8);
        memcpy(&num, raw + 8, 4);
        memcpy(&flags, raw + 12, 4);
        sector = le64toh(sector);
        num = le32toh(num);
        flags = le32toh(flags);
        if (flags & ~DWZ_F_UNMAP)
            return S_UNSUPP; /* unknown flag (dev.blk_op.4) */
        if (!wz && (flags & DWZ_F_UNMAP))
            return S_UNSUPP; /* unmap on discard (dev.blk_op.5) */
        if (!in_range(b, sector, num))
            return S_IOERR;
        /* discarded sectors read back as zeroes too: allowed, and deterministic */
        memset(b->disk + sector * SECTOR, 0, (uint64_t)num * SECTOR); /* dev.blk_op.8 */
    }
    return S_OK;
}

static uint32_t serve(vc_dev *d, unsigned q, vc_chain *c)
{
    blk *b = d->model;
    uint8_t hdr[16];
    if (c->out_bytes < 16 || c->in_bytes < 1 ||
        vc_chain_read(d->mem, c, 0, hdr, 16) != 16) {
        vc_dev_fault(d, "BLK_BAD_LAYOUT", REQ_DRV_IMPLIED_BLK_REQ_LAYOUT, (int)q, false,
                     "readable %llu bytes, writable %llu bytes",
                     (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
        return 0; /* no status byte to write to: return the chain empty */
    }
    uint32_t type;
    uint64_t sector, written = 0;
    memcpy(&type, hdr, 4);
    memcpy(&sector, hdr + 8, 8);
    type = le32toh(type);
    sector = le64toh(sector);
    uint8_t status;
    switch (type) {
    case T_IN:
    case T_OUT:
        status = do_io(b, q, c, type, sector, &written);
        break;
    case T_FLUSH:
        if (sector != 0)
            vc_dev_fault(d, "BLK_FLUSH_SECTOR", REQ_DRV_BLK_OP_4, (int)q, false,
                         "flush with sector %llu", (unsigned long long)sector);
        status = vc_dev_has(d, F_FLUSH) ? S_OK : S_UNSUPP;
        break;
    case T_GET_ID:
        if (c->in_bytes - 1 != sizeof(b->serial)) {
            vc_dev_fault(d, "BLK_GET_ID_LEN", REQ_DRV_BLK_OP_8, (int)q, false,
                         "id buffer of %llu bytes", (unsigned long long)(c->in_bytes - 1));
            status = S_IOERR;
            break;
        }
        written = vc_chain_write(d->mem, c, 0, b->serial, sizeof(b->serial));
        status = S_OK;
        break;
    case T_DISCARD:
    case T_WRITE_ZEROES:
        status = do_dwz(b, q, c, type);
        break;
    default:
        status = S_UNSUPP;
        break;
    }
    /* the status byte is the last writable byte; the used length counts
     * only bytes written without a gap from the start (dev.vq_used.2), so it
     * takes the status in only when the data before it was all written (a
     * failed read or an unknown request leaves the data untouched: the
     * status then lies beyond the length, which a device may do) */
    vc_chain_write(d->mem, c, c->in_bytes - 1, &status, 1);
    return (uint32_t)(written == c->in_bytes - 1 ? written + 1 : written);
}

static void notify(vc_dev *d, unsigned q)
{
    vc_dev_serve(d, q, serve);
}

static void config_write(vc_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    /* only writeback is writable, and only with CONFIG_WCE (drv.blk_op.12) */
    if (off == C_WRITEBACK && len == 1 && vc_dev_has(d, F_CONFIG_WCE)) {
        d->config[C_WRITEBACK] = *(const uint8_t *)buf ? 1 : 0;
        return;
    }
    vc_dev_fault(d, "DRV_CONFIG_READONLY", REQ_DRV_CFGSPACE_2, -1, false,
                 "write of %u bytes at %u", len, off);
}

static void driver_ok(vc_dev *d)
{
    /* CONFIG_WCE without FLUSH starts in writethrough (dev.blk_init.2) */
    if (vc_dev_has(d, F_CONFIG_WCE) && !vc_dev_has(d, F_FLUSH))
        d->config[C_WRITEBACK] = 0;
}

static void reset(vc_dev *d)
{
    fill_config(d->model);
}

static const vc_model_ops blk_ops = {
    .name = "blk",
    .device_id = VC_DEV_ID_BLK,
    .config_write = config_write,
    .driver_ok = driver_ok,
    .queue_notify = notify,
    .reset = reset,
};

vc_dev *vc_blk_create(const vc_gmem *mem, const vc_model_opts *o)
{
    if (!o || !o->disk || o->disk_bytes == 0 || o->disk_bytes % SECTOR)
        return NULL;
    blk *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    uint16_t qmax[BLK_NUM_QUEUES];
    for (unsigned i = 0; i < BLK_NUM_QUEUES; i++)
        qmax[i] = o->queue_max ? o->queue_max : BLK_QUEUE_MAX;
    uint64_t f = VC_TRANSPORT_FEATURES | 1ull << F_SEG_MAX | 1ull << F_BLK_SIZE |
                 1ull << F_FLUSH | 1ull << F_TOPOLOGY | 1ull << F_CONFIG_WCE | 1ull << F_MQ |
                 1ull << F_DISCARD | 1ull << F_WRITE_ZEROES;
    if (o->read_only)
        f |= 1ull << F_RO;
    vc_dev_init(&b->dev, &blk_ops, b, mem, f & ~o->features_off, C_SIZE, BLK_NUM_QUEUES, qmax);
    b->disk = o->disk;
    b->sectors = o->disk_bytes / SECTOR;
    const char *serial = o->serial ? o->serial : "vconform-refdev";
    strncpy(b->serial, serial, sizeof(b->serial)); /* NUL-padded, not terminated at 20 */
    fill_config(b);
    return &b->dev;
}
