/* vconform-vhost-dev's options (see vd_opts.h and the usage text). */
#include "vd_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATTERN_SECTORS 2048 /* the runner's pattern disk (guest-probe/PROTOCOL.md) */
#define MAX_IMAGE (1ull << 30)

static void usage(void)
{
    fprintf(stderr,
            "usage: vconform-vhost-dev --socket PATH --device %s [options]\n"
            "  --log FILE            JSON Lines record (default: standard output)\n"
            "  --image FILE          blk, scsi: the disk, read into memory (writes stay there);\n"
            "                        default: the 1 MiB pattern disk of guest-probe/PROTOCOL.md\n"
            "  --serial TEXT         blk: the GET_ID answer (default vconform-refdev)\n"
            "  --read-only           blk: offer VIRTIO_BLK_F_RO\n"
            "  --detached            nothing behind the device (scsi: no target)\n"
            "  --input keyboard|tablet\n"
            "  --seed N              rng: the generator's seed\n"
            "  --accept-timeout-ms N give up when no front-end connects in time (default: wait)\n"
            "  --trace               every request on standard error\n"
            "  --connections N       serve N connections, each on a fresh device (default 1, 0: no limit)\n"
            "  --modern-only         the front-end gives the guest no legacy interface: its driver\n"
            "                        must accept VIRTIO_F_VERSION_1 (drv.reserved_features.1)\n"
            "  --offers-packed       the front-end offers VIRTIO_F_RING_PACKED to the guest (packed=on):\n"
            "                        a modern driver should accept it (drv.reserved_features.5)\n"
            "  --offers-mtu          net: the front-end offers VIRTIO_NET_F_MTU to the guest (host_mtu):\n"
            "                        a driver should accept it (drv.net_cfg.6)\n"
            "  --offers-offload      net: offer CSUM, HOST_TSO4, HOST_TSO6 and HOST_ECN (QEMU forwards them):\n"
            "                        the driver's checksum and GSO headers are judged against the frames\n"
            "  --provoke             split rings with EVENT_IDX: set the used ring's NO_NOTIFY, which a\n"
            "                        device must not (dev.vq_avail_supp.3), to judge that the driver\n"
            "                        disregards it (drv.vq_avail_supp.5)\n",
            vd_type_names());
}

static bool number(const char *s, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return s[0] && !*end && !errno && *v >= lo && *v <= hi;
}

static uint8_t *pattern_disk(uint64_t *bytes)
{
    uint8_t *d = malloc((size_t)PATTERN_SECTORS * 512);
    if (!d)
        return NULL;
    for (uint64_t s = 0; s < PATTERN_SECTORS; s++) {
        uint8_t *p = d + s * 512;
        memcpy(p, "vconform", 8);
        for (unsigned i = 0; i < 8; i++)
            p[8 + i] = (uint8_t)(s >> (8 * i));
        for (unsigned i = 16; i < 512; i++)
            p[i] = (uint8_t)(s + i);
    }
    *bytes = (uint64_t)PATTERN_SECTORS * 512;
    return d;
}

static uint8_t *read_image(const char *path, uint64_t *bytes)
{
    FILE *f = fopen(path, "rb");
    uint8_t *d = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && (uint64_t)n <= MAX_IMAGE && n % 512 == 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (d = malloc((size_t)n)) && fread(d, 1, (size_t)n, f) == (size_t)n) {
        fclose(f);
        *bytes = (uint64_t)n;
        return d;
    }
    if (n > 0 && ((uint64_t)n > MAX_IMAGE || n % 512))
        fprintf(stderr, "vconform-vhost-dev: %s: %ld bytes (want a multiple of 512, at most 1 GiB)\n", path, n);
    else
        fprintf(stderr, "vconform-vhost-dev: %s: %s\n", path, errno ? strerror(errno) : "empty or unreadable");
    free(d);
    if (f)
        fclose(f);
    return NULL;
}

bool vd_opts_parse(vd_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->connections = 1;
    const char *image = NULL;
    long v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = strcmp(a, "--read-only") && strcmp(a, "--detached") && strcmp(a, "--trace") &&
                     strcmp(a, "--modern-only") && strcmp(a, "--offers-packed") &&
                     strcmp(a, "--offers-mtu") && strcmp(a, "--provoke") && strcmp(a, "--offers-offload");
        if (takes && !val) {
            fprintf(stderr, "vconform-vhost-dev: %s wants a value\n", a);
            usage();
            return false;
        }
        if (!strcmp(a, "--socket"))
            o->socket = val;
        else if (!strcmp(a, "--device") && !(o->type = vd_type_find(val))) {
            fprintf(stderr, "vconform-vhost-dev: unknown device %s (one of %s)\n", val, vd_type_names());
            return false;
        } else if (!strcmp(a, "--device"))
            ;
        else if (!strcmp(a, "--log"))
            o->log = val;
        else if (!strcmp(a, "--image"))
            image = val;
        else if (!strcmp(a, "--serial"))
            o->model.serial = val;
        else if (!strcmp(a, "--read-only"))
            o->model.read_only = true;
        else if (!strcmp(a, "--modern-only"))
            o->modern_only = true;
        else if (!strcmp(a, "--offers-packed"))
            o->offers_packed = true;
        else if (!strcmp(a, "--offers-mtu"))
            o->offers_mtu = true;
        else if (!strcmp(a, "--offers-offload"))
            o->model.offload = true;
        else if (!strcmp(a, "--provoke"))
            o->provoke = true;
        else if (!strcmp(a, "--trace"))
            o->trace = true;
        else if (!strcmp(a, "--detached"))
            o->model.detached = true;
        else if (!strcmp(a, "--input") && (!strcmp(val, "keyboard") || !strcmp(val, "tablet")))
            o->model.input_kind = !strcmp(val, "tablet") ? VC_INPUT_TABLET : VC_INPUT_KEYBOARD;
        else if (!strcmp(a, "--seed") && number(val, 0, 0x7fffffff, &v))
            o->model.seed = (uint32_t)v;
        else if (!strcmp(a, "--connections") && number(val, 0, 1000000, &v))
            o->connections = v;
        else if (!strcmp(a, "--accept-timeout-ms") && number(val, 1, 86400000, &v))
            o->accept_timeout_ms = (int)v;
        else {
            fprintf(stderr, "vconform-vhost-dev: bad option %s%s%s\n", a, takes ? " " : "", takes ? val : "");
            usage();
            return false;
        }
        i += takes;
    }
    if (!o->socket || !o->type) {
        usage();
        return false;
    }
    bool disk = !strcmp(o->type->name, "blk") || (!strcmp(o->type->name, "scsi") && !o->model.detached);
    if (disk) {
        o->model.disk = image ? read_image(image, &o->model.disk_bytes) : pattern_disk(&o->model.disk_bytes);
        if (!o->model.disk)
            return false;
    }
    return true;
}

void vd_opts_free(vd_opts *o)
{
    free(o->model.disk);
    o->model.disk = NULL;
}
