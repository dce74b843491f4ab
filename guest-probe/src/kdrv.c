/* Certifies the guest kernel's own virtio drivers: loads the modules the
 * runner packed into the initramfs, then per function records whether a
 * driver bound, which interface it chose (VERSION_1 in the negotiated
 * features means modern), and that a real operation works. */
#define _GNU_SOURCE
#include <dirent.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"
#include "clock.h"
#include "kdrv.h"
#include "kdrv_ring.h"
#include "sysfs_line.h"

/* sysfs paths here are short; a truncated one only makes a lookup fail */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define CONSOLE_MARK VP_KDRV_CONSOLE_MARK "\n"

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

void vp_kdrv_load(vp_report *r, const char *dir, bool force_legacy)
{
    struct dirent **ent;
    int n = scandir(dir, &ent, NULL, by_name);
    vp_report_set(r, NULL, "kernel");
    if (n < 0) {
        vp_check(r, "kdrv.modules", "", VP_ERROR, NULL, NULL, "%s: %s", dir, strerror(errno));
        return;
    }
    unsigned loaded = 0;
    char slowest[64] = "";
    double slowest_ms = -1;
    for (int i = 0; i < n; i++) {
        const char *name = ent[i]->d_name;
        if (strlen(name) > 3 && !strcmp(name + strlen(name) - 3, ".ko")) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            const char *params = force_legacy && strstr(name, "virtio_pci.ko") ? "force_legacy=1" : "";
            double t0 = vp_now_ms();
            if (fd < 0 || (syscall(SYS_finit_module, fd, params, 0) != 0 && errno != EEXIST))
                vp_check(r, "kdrv.modules", "", VP_ERROR, NULL, NULL, "%s: %s", name, strerror(errno));
            else
                loaded++;
            /* loading a driver binds it to its devices: that is where time goes */
            if (vp_now_ms() - t0 > slowest_ms) {
                slowest_ms = vp_now_ms() - t0;
                snprintf(slowest, sizeof slowest, "%s", name);
            }
            if (fd >= 0)
                close(fd);
        }
        free(ent[i]);
    }
    free(ent);
    char ob[64];
    snprintf(ob, sizeof ob, "%u module(s)%s", loaded, force_legacy ? ", virtio_pci force_legacy=1" : "");
    vp_check(r, "kdrv.modules", "", VP_INFO, NULL, ob, slowest[0] ? "slowest to load and bind: %s, %.0f ms" : NULL,
             slowest, slowest_ms);
}


/* First path matching pattern, waiting (bounded) for it to appear. */
static bool find(const char *pattern, char *out, size_t len, unsigned timeout_ms)
{
    double end = vp_now_ms() + timeout_ms;
    for (;;) {
        glob_t g;
        if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc) {
            snprintf(out, len, "%s", g.gl_pathv[0]);
            globfree(&g);
            return true;
        }
        globfree(&g);
        if (vp_now_ms() > end)
            return false;
        usleep(20000);
    }
}

static void link_name(const char *path, char *out, size_t len)
{
    char t[256];
    ssize_t n = readlink(path, t, sizeof t - 1);
    out[0] = 0;
    if (n > 0) {
        t[n] = 0;
        const char *b = strrchr(t, '/');
        snprintf(out, len, "%s", b ? b + 1 : t);
    }
}

static const char *base(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

/* Opens /dev/<name>, waiting for devtmpfs to create it. */
static int open_dev(const char *name, int flags, unsigned timeout_ms)
{
    char path[128];
    snprintf(path, sizeof path, "/dev/%s", name);
    double end = vp_now_ms() + timeout_ms;
    int fd;
    while ((fd = open(path, flags | O_CLOEXEC)) < 0 && errno == ENOENT && vp_now_ms() < end)
        usleep(20000);
    return fd;
}

static bool read_pattern(vp_report *r, const char *id, const char *dev, unsigned timeout_ms)
{
    uint8_t got[1024], want[1024];
    int fd = open_dev(dev, O_RDONLY, timeout_ms);
    if (fd < 0) {
        vp_check(r, id, "", VP_FAIL, "pattern read", "no device node", "/dev/%s: %s", dev, strerror(errno));
        return false;
    }
    ssize_t n = pread(fd, got, sizeof got, 512);
    close(fd);
    vp_blk_pattern(want, 1, 2);
    return vp_expect(r, id, "", n == (ssize_t)sizeof got && !memcmp(got, want, sizeof got), "the disk pattern",
                     n == (ssize_t)sizeof got ? (memcmp(got, want, sizeof got) ? "other bytes" : "the disk pattern")
                                              : "short read", dev);
}

/* Writes text to a sysfs attribute; false when it is not writable (cache_type
 * without CONFIG_WCE) or the write is refused. */
static bool write_sysfs(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool ok = fputs(text, f) >= 0;
    return (fclose(f) == 0) && ok;
}

/* The driver's range requests and its cache-mode write: a discard and a
 * write zeroes of sectors 8..15 (their bytes are put back afterwards, so a
 * disk shared with other VMs is unchanged), and cache_type switched to the
 * other mode and back (the driver writes the config writeback field). A
 * device that does not take them is a skip: these only make the driver
 * send what a vhost-user judge checks (discard ranges, the config write). */
static void exercise_blk_ranges(vp_report *r, const char *dev, int fd)
{
    uint8_t keep[4096];
    uint64_t range[2] = { 4096, sizeof keep };
    if (pread(fd, keep, sizeof keep, 4096) != (ssize_t)sizeof keep) {
        vp_check(r, "kdrv.op.blk.ranges", "", VP_SKIP, NULL, NULL, "read of sectors 8..15: %s", strerror(errno));
        return;
    }
    static const struct { const char *id; unsigned long op; } ops[] = {
        { "kdrv.op.blk.discard", BLKDISCARD }, { "kdrv.op.blk.zeroout", BLKZEROOUT },
    };
    for (unsigned i = 0; i < 2; i++) {
        if (ioctl(fd, ops[i].op, range) == 0)
            vp_check(r, ops[i].id, "", VP_PASS, "done", "done", "sectors 8..15 of %s", dev);
        else
            vp_check(r, ops[i].id, "", VP_SKIP, NULL, NULL, "%s", strerror(errno));
    }
    bool back = pwrite(fd, keep, sizeof keep, 4096) == (ssize_t)sizeof keep && fsync(fd) == 0;
    vp_expect(r, "kdrv.op.blk.ranges", "", back, "sectors 8..15 restored", back ? "restored" : strerror(errno), dev);
    char path[128], mode[32] = "";
    snprintf(path, sizeof path, "/sys/block/%s/cache_type", dev);
    bool got = vp_sysfs_line(path, mode, sizeof mode);
    /* the other mode, then back: a front-end may pass on only a change */
    const char *other = strcmp(mode, "write back") ? "write back" : "write through";
    bool wrote = got && write_sysfs(path, other) && write_sysfs(path, mode);
    vp_check(r, "kdrv.op.blk.cache_type", "", wrote ? VP_PASS : VP_SKIP, "written", wrote ? "written" : NULL,
             "%s: %s and back to %s", path, wrote ? other : "not writable", mode);
}

/* The kernel's read-only mark of the disk: the driver took RO. */
static bool blk_read_only(const char *dev)
{
    char path[128], v[8] = "";
    snprintf(path, sizeof path, "/sys/block/%s/ro", dev);
    vp_sysfs_line(path, v, sizeof v);
    return v[0] == '1';
}

/* More of the driver's request types: a write and its flush (the same bytes
 * back to sector 1: the disk is unchanged), and GET_ID through sysfs. */
static void exercise_blk(vp_report *r, const char *dev, const char *serial)
{
    uint8_t sec[512];
    vp_blk_pattern(sec, 1, 1);
    char path[128];
    if (blk_read_only(dev)) { /* RO taken: the kernel refuses writes (the disk stays as it is) */
        snprintf(path, sizeof path, "/dev/%s", dev);
        int wfd = open(path, O_WRONLY | O_CLOEXEC);
        bool refused = wfd < 0 || pwrite(wfd, sec, sizeof sec, 512) < 0;
        int err = errno;
        if (wfd >= 0)
            close(wfd);
        vp_expect(r, "kdrv.op.blk.ro", "", refused, "writes refused", refused ? strerror(err) : "written", dev);
        return;
    }
    snprintf(path, sizeof path, "/dev/%s", dev);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && pwrite(fd, sec, sizeof sec, 512) == (ssize_t)sizeof sec && fsync(fd) == 0;
    int err = errno;
    if (fd >= 0)
        close(fd);
    fd = ok ? open(path, O_RDWR | O_CLOEXEC) : -1;
    if (fd >= 0) {
        exercise_blk_ranges(r, dev, fd);
        close(fd);
    }
    vp_expect(r, "kdrv.op.blk.write", "", ok, "written and flushed", ok ? "written and flushed" : strerror(err), dev);
    char got[64] = "";
    snprintf(path, sizeof path, "/sys/block/%s/serial", dev);
    vp_sysfs_line(path, got, sizeof got);
    if (serial)
        vp_expect(r, "kdrv.op.blk.serial", "", !strcmp(got, serial), serial, got, "GET_ID through sysfs");
    else
        vp_check(r, "kdrv.op.blk.serial", "", VP_INFO, NULL, got, "GET_ID through sysfs");
}

static void op_rng(vp_report *r, const char *vdir, unsigned tmo)
{
    char name[64] = "";
    FILE *f = fopen("/sys/class/misc/hw_random/rng_available", "r");
    if (f) {
        char line[256] = "";
        if (fgets(line, sizeof line, f))
            sscanf(strstr(line, "virtio_rng") ? strstr(line, "virtio_rng") : "", "%63s", name);
        fclose(f);
    }
    if (name[0] && (f = fopen("/sys/class/misc/hw_random/rng_current", "w"))) {
        fputs(name, f);
        fclose(f);
    }
    int fd = open_dev("hwrng", O_RDONLY | O_NONBLOCK, tmo);
    uint8_t b[16];
    ssize_t n = -1;
    if (fd >= 0) {
        /* /dev/hwrng has no poll of its own (it always says readable): a
         * non-blocking read is retried, bounded, until the device answers */
        for (unsigned waited = 0; (n = read(fd, b, sizeof b)) < 0 && errno == EAGAIN && waited < tmo; waited += 5)
            usleep(5000);
        close(fd);
    }
    char ob[64];
    snprintf(ob, sizeof ob, "%zd bytes from %s", n, name[0] ? name : "?");
    vp_expect(r, "kdrv.op.rng", "", n > 0 && name[0], "bytes from /dev/hwrng (virtio_rng)", ob, NULL);
    (void)vdir;
}

/* /sys/class/net/<if>/carrier reads 1 (it fails while the interface is down). */
static bool carrier_on(const char *ifdir)
{
    char p[400], v[4] = "";
    snprintf(p, sizeof p, "%s/carrier", ifdir);
    vp_sysfs_line(p, v, sizeof v);
    return v[0] == '1';
}

#define TEST_ETHERTYPE 0x88b5 /* IEEE 802 local experimental */

/* One frame through the driver's transmit path; with a backend that loops
 * frames back, it must come back on the receive path. */
static void exercise_net(vp_report *r, const char *ifname, bool loopback, unsigned tmo)
{
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(TEST_ETHERTYPE));
    struct sockaddr_ll a = {.sll_family = AF_PACKET, .sll_protocol = htons(TEST_ETHERTYPE),
                            .sll_ifindex = (int)if_nametoindex(ifname), .sll_halen = 6};
    if (s < 0 || !a.sll_ifindex || bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
        vp_check(r, "kdrv.op.net.tx", "", VP_SKIP, NULL, NULL, "no packet socket: %s", strerror(errno));
        if (s >= 0)
            close(s);
        return;
    }
    uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1,
                         TEST_ETHERTYPE >> 8, TEST_ETHERTYPE & 0xff, 'v', 'c', 'o', 'n', 'f', 'o', 'r', 'm'};
    memset(a.sll_addr, 0xff, 6);
    bool sent = sendto(s, frame, sizeof frame, 0, (struct sockaddr *)&a, sizeof a) == (ssize_t)sizeof frame;
    vp_expect(r, "kdrv.op.net.tx", "", sent, "a frame sent", sent ? "sent" : strerror(errno), ifname);
    bool back = false;
    double end = vp_now_ms() + tmo;
    while (sent && !back && vp_now_ms() < end) {
        struct pollfd p = {s, POLLIN, 0};
        if (poll(&p, 1, (int)(end - vp_now_ms())) <= 0)
            break;
        uint8_t got[128];
        struct sockaddr_ll from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(s, got, sizeof got, 0, (struct sockaddr *)&from, &fl);
        back = n >= 22 && from.sll_pkttype != PACKET_OUTGOING && !memcmp(got + 14, frame + 14, 8);
    }
    close(s);
    if (loopback)
        vp_expect(r, "kdrv.op.net.rx", "", back, "the frame back", back ? "received" : "not received", ifname);
    vp_kdrv_net_offload(r, ifname, tmo);
}

static void op_net(vp_report *r, const char *vdir, bool loopback, bool ring_resize, unsigned tmo)
{
    char pat[300], path[300];
    snprintf(pat, sizeof pat, "%s/net/*", vdir);
    if (!find(pat, path, sizeof path, tmo)) {
        vp_check(r, "kdrv.op.net", "", VP_FAIL, "a network interface", "none", NULL);
        return;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", base(path));
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool up = false;
    if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) == 0) {
            double end = vp_now_ms() + tmo;
            while (!up && vp_now_ms() < end) {
                /* the carrier the driver reported: IFF_RUNNING follows it
                 * only after the kernel's link watch, up to 1 s later */
                up = carrier_on(path);
                if (!up)
                    usleep(20000);
            }
        }
    }
    if (s >= 0)
        close(s);
    char ob[64];
    snprintf(ob, sizeof ob, "%s %s", ifr.ifr_name, up ? "up, carrier on" : "no carrier");
    if (vp_expect(r, "kdrv.op.net", "", up, "link up, carrier on", ob, NULL)) {
        if (ring_resize) /* per-queue resets first: the traffic after shows the rings work */
            vp_kdrv_ring_resize(r, vdir, ifr.ifr_name, tmo);
        exercise_net(r, ifr.ifr_name, loopback, tmo);
    }
}

static void op_console(vp_report *r, const char *vdir, unsigned tmo)
{
    char pat[300], path[300];
    snprintf(pat, sizeof pat, "%s/virtio-ports/vport*", vdir);
    if (!find(pat, path, sizeof path, tmo)) {
        vp_check(r, "kdrv.op.console", "", VP_FAIL, "a console port", "none", NULL);
        return;
    }
    int fd = open_dev(base(path), O_WRONLY, tmo);
    ssize_t n = fd >= 0 ? write(fd, CONSOLE_MARK, strlen(CONSOLE_MARK)) : -1;
    if (fd >= 0)
        close(fd);
    char ob[64];
    snprintf(ob, sizeof ob, "%zd bytes to /dev/%s", n, base(path));
    /* the runner checks that the bytes reached the host side */
    vp_expect(r, "kdrv.op.console", "", n == (ssize_t)strlen(CONSOLE_MARK), "marker written", ob, NULL);
}

void vp_kdrv_check(vp_ctx *c, vp_dev *d, bool force_legacy)
{
    vp_report *r = c->rep;
    unsigned tmo = c->opt.timeout_ms;
    char base_dir[128], pat[200], vdir[300], drv[64], vdrv[64], ob[160];
    vp_report_set(r, d->fn->addr, "kernel");
    snprintf(base_dir, sizeof base_dir, "/sys/bus/pci/devices/%s", d->fn->addr);
    /* Linux's force_legacy means "legacy first": a modern-only device still
     * binds through the modern interface. */
    bool can = strcmp(d->mode, "invalid") != 0;
    snprintf(pat, sizeof pat, "%s/virtio*/driver", base_dir);
    bool bound = find(pat, vdir, sizeof vdir, can ? tmo : 200);
    snprintf(pat, sizeof pat, "%s/driver", base_dir);
    link_name(pat, drv, sizeof drv);
    vdrv[0] = 0;
    if (bound) {
        link_name(vdir, vdrv, sizeof vdrv);
        *strrchr(vdir, '/') = 0; /* the virtioN folder */
    }
    snprintf(ob, sizeof ob, "pci driver %s, virtio driver %s", drv[0] ? drv : "none", vdrv[0] ? vdrv : "none");
    if (!can) {
        vp_expect(r, "kdrv.bound", "", !bound, "not bound (no interface it knows)", ob, NULL);
        return;
    }
    if (!vp_expect(r, "kdrv.bound", "", bound, "bound", ob, NULL))
        return;
    char feat[160] = "";
    char fpath[340];
    snprintf(fpath, sizeof fpath, "%s/features", vdir);
    vp_sysfs_line(fpath, feat, sizeof feat);
    bool v1 = strlen(feat) > 32 && feat[32] == '1';
    bool want_modern = !strcmp(d->mode, "modern") || (!force_legacy && strcmp(d->mode, "legacy"));
    snprintf(ob, sizeof ob, "%s (features %.64s)", v1 ? "modern" : "legacy", feat);
    vp_expect(r, "kdrv.protocol", "", v1 == want_modern, want_modern ? "modern" : "legacy", ob, NULL);
    char pat2[360], path[360];
    if (!strcmp(d->type, "rng")) {
        op_rng(r, vdir, tmo);
    } else if (!strcmp(d->type, "blk")) {
        snprintf(pat2, sizeof pat2, "%s/block/vd*", vdir);
        if (!find(pat2, path, sizeof path, tmo))
            vp_check(r, "kdrv.op.blk", "", VP_FAIL, "a block device", "none", NULL);
        else if (read_pattern(r, "kdrv.op.blk", base(path), tmo))
            exercise_blk(r, base(path), c->opt.blk_serial);
    } else if (!strcmp(d->type, "scsi")) {
        snprintf(pat2, sizeof pat2, "%s/host*/target*/*/block/sd*", vdir);
        if (find(pat2, path, sizeof path, tmo))
            read_pattern(r, "kdrv.op.scsi", base(path), tmo);
        else
            vp_check(r, "kdrv.op.scsi", "", VP_FAIL, "a SCSI disk", "none", NULL);
    } else if (!strcmp(d->type, "net")) {
        op_net(r, vdir, c->opt.net_loopback, c->opt.ring_resize, tmo);
    } else if (!strcmp(d->type, "console")) {
        op_console(r, vdir, tmo);
    } else if (!strcmp(d->type, "input")) {
        snprintf(pat2, sizeof pat2, "%s/input/input*", vdir);
        bool ok = find(pat2, path, sizeof path, tmo);
        vp_expect(r, "kdrv.op.input", "", ok, "an input device", ok ? base(path) : "none", NULL);
    } else {
        vp_check(r, "kdrv.op", "", VP_SKIP, NULL, NULL, "no operation for %s", d->type);
    }
}
