/* Real PCI: libpci for enumeration and config space, sysfs resource files
 * for BARs (mmap for memory, pread/pwrite for I/O), and a DMA arena from a
 * hugetlb page or, failing that, a physically contiguous run of locked pages
 * found through /proc/self/pagemap. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "irq_uio.h"
#include "pci_if.h"
#include "vc/spec_devices.h"

#define MAX_FN 64
#define MAX_BRIDGE 32
#define MAX_HOPS 13 /* as many as slot_path can name */
#define HUGE_2M (2u << 20)

typedef struct lp_plat lp_plat;

typedef struct lp_fn {
    lp_plat *plat;
    struct pci_dev *pd;
    int fd[VP_NBARS];
    volatile uint8_t *map[VP_NBARS];
    size_t maplen[VP_NBARS];
} lp_fn;

struct lp_plat {
    vp_platform p;
    struct pci_access *pacc;
    vp_fn fn[MAX_FN];
    lp_fn lf[MAX_FN];
    vp_fn br[MAX_BRIDGE]; /* bridges met on paths to the functions (config space only) */
    lp_fn blf[MAX_BRIDGE];
    unsigned nbr;
    void *dma_map;
    size_t dma_len;
};

static char lp_errbuf[256];
/* Set while a rescan runs: a function unplugged between libpci listing it
 * and reading it is no reason to stop the probe (scan). */
static jmp_buf *lp_escape;

static void PCI_NONRET lp_error(char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    vfprintf(stderr, msg, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (lp_escape)
        longjmp(*lp_escape, 1);
    exit(2); /* libpci's contract: its error callback must not return */
}

static void lp_warning(char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    vsnprintf(lp_errbuf, sizeof lp_errbuf, msg, ap);
    va_end(ap);
}

static void lp_debug(char *msg, ...)
{
    (void)msg;
}

static bool lp_cfg_read(vp_fn *f, unsigned off, unsigned len, uint32_t *val)
{
    lp_fn *l = f->priv;
    uint8_t b[4] = {0};
    *val = 0;
    if (len > 4 || off + len > 4096 || !pci_read_block(l->pd, (int)off, b, (int)len))
        return false;
    for (unsigned i = 0; i < len; i++)
        *val |= (uint32_t)b[i] << (8 * i);
    return true;
}

static bool lp_cfg_write(vp_fn *f, unsigned off, unsigned len, uint32_t val)
{
    lp_fn *l = f->priv;
    uint8_t b[4];
    if (len > 4 || off + len > 4096)
        return false;
    for (unsigned i = 0; i < len; i++)
        b[i] = (uint8_t)(val >> (8 * i));
    return pci_write_block(l->pd, (int)off, b, (int)len) != 0;
}

static bool lp_bar_read(vp_fn *f, unsigned bar, uint64_t off, unsigned len, uint64_t *val)
{
    lp_fn *l = f->priv;
    *val = 0;
    if (bar >= VP_NBARS || !f->bar[bar].present || off + len > f->bar[bar].size || off + len < off)
        return false;
    if (l->map[bar]) {
        volatile uint8_t *p = l->map[bar] + off;
        switch (len) {
        case 1: *val = *p; return true;
        case 2: *val = *(volatile uint16_t *)p; return true;
        case 4: *val = *(volatile uint32_t *)p; return true;
        case 8: *val = *(volatile uint32_t *)p | (uint64_t)*(volatile uint32_t *)(p + 4) << 32; return true;
        default: return false;
        }
    }
    if (l->fd[bar] < 0 || (len != 1 && len != 2 && len != 4))
        return false;
    uint8_t b[4] = {0};
    if (pread(l->fd[bar], b, len, (off_t)off) != (ssize_t)len)
        return false;
    for (unsigned i = 0; i < len; i++)
        *val |= (uint64_t)b[i] << (8 * i);
    return true;
}

static bool lp_bar_write(vp_fn *f, unsigned bar, uint64_t off, unsigned len, uint64_t val)
{
    lp_fn *l = f->priv;
    if (bar >= VP_NBARS || !f->bar[bar].present || off + len > f->bar[bar].size || off + len < off)
        return false;
    if (l->map[bar]) {
        volatile uint8_t *p = l->map[bar] + off;
        switch (len) {
        case 1: *p = (uint8_t)val; return true;
        case 2: *(volatile uint16_t *)p = (uint16_t)val; return true;
        case 4: *(volatile uint32_t *)p = (uint32_t)val; return true;
        case 8:
            *(volatile uint32_t *)p = (uint32_t)val;
            *(volatile uint32_t *)(p + 4) = (uint32_t)(val >> 32);
            return true;
        default: return false;
        }
    }
    if (l->fd[bar] < 0 || (len != 1 && len != 2 && len != 4))
        return false;
    uint8_t b[4];
    for (unsigned i = 0; i < len; i++)
        b[i] = (uint8_t)(val >> (8 * i));
    return pwrite(l->fd[bar], b, len, (off_t)off) == (ssize_t)len;
}

static bool lp_enable(vp_fn *f, char *err, size_t errlen)
{
    lp_fn *l = f->priv;
    for (unsigned i = 0; i < VP_NBARS; i++) {
        if (!f->bar[i].present || l->fd[i] >= 0)
            continue;
        char path[96];
        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/resource%u", f->addr, i);
        l->fd[i] = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
        if (l->fd[i] < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return false;
        }
        if (!f->bar[i].io) {
            size_t len = (size_t)f->bar[i].size;
            long pg = sysconf(_SC_PAGESIZE);
            len = (len + (size_t)pg - 1) & ~((size_t)pg - 1);
            void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, l->fd[i], 0);
            if (m == MAP_FAILED) {
                snprintf(err, errlen, "mmap %s: %s", path, strerror(errno));
                return false;
            }
            l->map[i] = m;
            l->maplen[i] = len;
        }
    }
    /* I/O and memory decoding plus bus mastering (the device DMAs our rings) */
    uint16_t cmd = pci_read_word(l->pd, PCI_COMMAND);
    uint16_t want = cmd | PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    if (want != cmd)
        pci_write_word(l->pd, PCI_COMMAND, want);
    if ((pci_read_word(l->pd, PCI_COMMAND) & want) != want) {
        snprintf(err, errlen, "command register did not take decode and bus-master bits");
        return false;
    }
    return true;
}

/* ---- DMA arena ---- */
static bool virt_to_phys(int pm, void *v, uint64_t *phys)
{
    long pg = sysconf(_SC_PAGESIZE);
    uint64_t e;
    if (pread(pm, &e, 8, (off_t)((uintptr_t)v / (uintptr_t)pg * 8)) != 8)
        return false;
    if (!(e >> 63) || (e & ((1ull << 55) - 1)) == 0) /* not present, or PFN hidden (not root) */
        return false;
    *phys = (e & ((1ull << 55) - 1)) * (uint64_t)pg + (uintptr_t)v % (uintptr_t)pg;
    return true;
}

static bool lp_dma(vp_platform *p, size_t min, vp_dma *out, char *err, size_t errlen)
{
    lp_plat *lp = p->priv;
    long pg = sysconf(_SC_PAGESIZE);
    int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pm < 0) {
        snprintf(err, errlen, "/proc/self/pagemap: %s (is /proc mounted?)", strerror(errno));
        return false;
    }
    memset(out, 0, sizeof *out);
    /* 1: one huge page is physically contiguous */
    if (min <= HUGE_2M) {
        void *m = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE | MAP_LOCKED, -1, 0);
        uint64_t phys;
        if (m != MAP_FAILED) {
            memset(m, 0, HUGE_2M);
            if (virt_to_phys(pm, m, &phys)) {
                out->host = m;
                out->gpa = phys;
                out->size = HUGE_2M;
                out->how = "hugetlb";
                lp->dma_map = m;
                lp->dma_len = HUGE_2M;
                goto done;
            }
            munmap(m, HUGE_2M);
        }
    }
    /* 2: locked small pages; use the longest physically contiguous run */
    {
        size_t len = min * 8;
        uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (m == MAP_FAILED || mlock(m, len) != 0) {
            snprintf(err, errlen, "no hugepage and cannot lock %zu bytes: %s", len, strerror(errno));
            if (m != MAP_FAILED)
                munmap(m, len);
            close(pm);
            return false;
        }
        memset(m, 0, len);
        size_t best = 0, best_len = 0, run = 0;
        uint64_t prev = 0, phys;
        for (size_t off = 0; off < len; off += (size_t)pg) {
            if (!virt_to_phys(pm, m + off, &phys)) {
                snprintf(err, errlen, "no physical addresses in /proc/self/pagemap (needs root)");
                munmap(m, len);
                close(pm);
                return false;
            }
            if (off == 0 || phys != prev + (uint64_t)pg)
                run = off;
            prev = phys;
            if (off + (size_t)pg - run > best_len) {
                best = run;
                best_len = off + (size_t)pg - run;
            }
        }
        if (best_len < min) {
            snprintf(err, errlen, "no hugepage, and the longest contiguous run of locked pages is %zu bytes (< %zu)",
                     best_len, min);
            munmap(m, len);
            close(pm);
            return false;
        }
        virt_to_phys(pm, m + best, &phys);
        out->host = m + best;
        out->gpa = phys;
        out->size = best_len;
        out->how = "locked pages";
        lp->dma_map = m;
        lp->dma_len = len;
    }
done:
    close(pm);
    vc_gmem_init(&out->mem);
    if (!vc_gmem_add(&out->mem, out->gpa, out->size, out->host)) {
        snprintf(err, errlen, "DMA arena at 0x%llx not usable", (unsigned long long)out->gpa);
        return false;
    }
    return true;
}

/* Lets go of every function and bridge: BARs unmapped, libpci's list freed. */
static void forget(lp_plat *lp)
{
    for (unsigned i = 0; i < lp->p.nfn; i++)
        for (unsigned b = 0; b < VP_NBARS; b++) {
            if (lp->lf[i].map[b])
                munmap((void *)lp->lf[i].map[b], lp->lf[i].maplen[b]);
            if (lp->lf[i].fd[b] >= 0)
                close(lp->lf[i].fd[b]);
        }
    pci_cleanup(lp->pacc);
    lp->pacc = NULL;
    lp->p.nfn = 0;
    lp->nbr = 0;
    memset(lp->fn, 0, sizeof lp->fn);
    memset(lp->lf, 0, sizeof lp->lf);
    memset(lp->br, 0, sizeof lp->br);
    memset(lp->blf, 0, sizeof lp->blf);
}

static void lp_close(vp_platform *p)
{
    lp_plat *lp = p->priv;
    forget(lp);
    if (lp->dma_map)
        munmap(lp->dma_map, lp->dma_len);
    free(lp);
}

typedef struct hop {
    unsigned dom, bus, dev, fn;
} hop;

/* The functions from the root bus to addr, itself last, from its sysfs path
 * (/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0); -1 when unknown. */
static int hops(const char *addr, hop *out, unsigned max)
{
    char link[128], real[PATH_MAX];
    snprintf(link, sizeof link, "/sys/bus/pci/devices/%s", addr);
    if (!realpath(link, real))
        return -1;
    unsigned n = 0;
    for (char *save = NULL, *c = strtok_r(real, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        hop h;
        char tail;
        if (sscanf(c, "%x:%x:%x.%x%c", &h.dom, &h.bus, &h.dev, &h.fn, &tail) != 4)
            continue;
        if (n == max)
            return -1;
        out[n++] = h;
    }
    return (int)n;
}

/* vp_fn.slot_path: dev.fn of every hop. */
static void slot_path(vp_fn *f)
{
    hop h[MAX_HOPS];
    int n = hops(f->addr, h, MAX_HOPS);
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        int w = snprintf(f->slot_path + used, sizeof f->slot_path - used, "%s%02x.%x", used ? "/" : "",
                         h[i].dev, h[i].fn);
        if (w < 0 || (size_t)w >= sizeof f->slot_path - used) {
            f->slot_path[0] = 0; /* deeper than we can name: leave it out */
            return;
        }
        used += (size_t)w;
    }
}

static const vp_pci_ops lp_ops;

/* The vp_fn of the bridge at h (created on first use), NULL when libpci
 * does not list it or there is no room. */
static vp_fn *bridge_fn(lp_plat *lp, const hop *h)
{
    for (unsigned i = 0; i < lp->nbr; i++) {
        struct pci_dev *pd = lp->blf[i].pd;
        if (pd->domain == (int)h->dom && pd->bus == h->bus && pd->dev == h->dev && pd->func == h->fn)
            return &lp->br[i];
    }
    if (lp->nbr == MAX_BRIDGE)
        return NULL;
    for (struct pci_dev *pd = lp->pacc->devices; pd; pd = pd->next) {
        if (pd->domain != (int)h->dom || pd->bus != h->bus || pd->dev != h->dev || pd->func != h->fn)
            continue;
        vp_fn *b = &lp->br[lp->nbr];
        lp_fn *l = &lp->blf[lp->nbr++];
        l->plat = lp;
        l->pd = pd;
        for (unsigned k = 0; k < VP_NBARS; k++)
            l->fd[k] = -1;
        snprintf(b->addr, sizeof b->addr, "%04x:%02x:%02x.%x", h->dom, h->bus, h->dev, h->fn);
        b->vendor = pd->vendor_id;
        b->device = pd->device_id;
        b->ops = &lp_ops;
        b->priv = l;
        return b;
    }
    return NULL;
}

static unsigned lp_bridges(vp_fn *f, vp_fn **out, unsigned max)
{
    lp_fn *l = f->priv;
    hop h[MAX_HOPS];
    int n = hops(f->addr, h, MAX_HOPS);
    unsigned nb = 0;
    for (int i = 0; i + 1 < n; i++) { /* every hop but the function itself */
        vp_fn *b = bridge_fn(l->plat, &h[i]);
        if (!b || nb == max)
            return 0; /* a path we cannot follow whole: leave it alone */
        out[nb++] = b;
    }
    return nb;
}

static const vp_pci_ops lp_ops = {lp_cfg_read, lp_cfg_write, lp_bar_read, lp_bar_write, lp_enable, lp_bridges,
                                  &vp_uio_intx};

static int by_addr(const void *a, const void *b)
{
    return strcmp(((const vp_fn *)a)->addr, ((const vp_fn *)b)->addr);
}

/* Lists the virtio functions present now, sorted by address. */
static void scan_once(lp_plat *lp)
{
    lp->pacc = pci_alloc();
    lp->pacc->error = lp_error;
    lp->pacc->warning = lp_warning;
    lp->pacc->debugging = 0;
    lp->pacc->debug = lp_debug;
    lp->pacc->method = PCI_ACCESS_SYS_BUS_PCI; /* sysfs: needs no I/O port privileges */
    pci_init(lp->pacc);
    pci_scan_bus(lp->pacc);
    for (struct pci_dev *pd = lp->pacc->devices; pd; pd = pd->next) {
        pci_fill_info(pd, PCI_FILL_IDENT | PCI_FILL_BASES | PCI_FILL_SIZES | PCI_FILL_CLASS);
        if (pd->vendor_id != VC_PCI_VENDOR || pd->device_id < VC_PCI_LEGACY_LO || pd->device_id > VC_PCI_MODERN_HI)
            continue;
        if (lp->p.nfn >= MAX_FN)
            break;
        vp_fn *f = &lp->fn[lp->p.nfn];
        lp_fn *l = &lp->lf[lp->p.nfn];
        l->plat = lp;
        l->pd = pd;
        for (unsigned b = 0; b < VP_NBARS; b++)
            l->fd[b] = -1;
        snprintf(f->addr, sizeof f->addr, "%04x:%02x:%02x.%x", pd->domain, pd->bus, pd->dev, pd->func);
        f->vendor = pd->vendor_id;
        f->device = pd->device_id;
        for (unsigned b = 0; b < VP_NBARS; b++) {
            pciaddr_t base = pd->base_addr[b];
            vp_bar *bar = &f->bar[b];
            bar->size = pd->size[b];
            bar->present = bar->size != 0;
            if (!bar->present)
                continue;
            bar->io = (base & PCI_BASE_ADDRESS_SPACE_IO) != 0;
            if (bar->io) {
                bar->addr = base & PCI_BASE_ADDRESS_IO_MASK;
            } else {
                bar->mem64 = (base & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64;
                bar->prefetch = (base & PCI_BASE_ADDRESS_MEM_PREFETCH) != 0;
                bar->addr = base & PCI_ADDR_MEM_MASK;
            }
        }
        slot_path(f);
        char link[128], target[256];
        snprintf(link, sizeof link, "/sys/bus/pci/devices/%s/driver", f->addr);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = 0;
            snprintf(f->driver, sizeof f->driver, "%s", basename(target));
        }
        f->ops = &lp_ops;
        lp->p.nfn++;
    }
    /* keep each vp_fn's priv pointing at its own lp_fn after sorting */
    for (unsigned i = 0; i < lp->p.nfn; i++)
        lp->fn[i].priv = (void *)(uintptr_t)i;
    qsort(lp->fn, lp->p.nfn, sizeof lp->fn[0], by_addr);
    for (unsigned i = 0; i < lp->p.nfn; i++)
        lp->fn[i].priv = &lp->lf[(uintptr_t)lp->fn[i].priv];
}

/* scan_once, again (a few times, 20 ms apart) when a function went away
 * while libpci read it; after the last try, libpci's error stands. */
static void scan(lp_plat *lp, bool hot)
{
    for (volatile unsigned tries = 0; hot && tries < 5; tries++) {
        jmp_buf jb;
        if (setjmp(jb) == 0) {
            lp_escape = &jb;
            scan_once(lp);
            lp_escape = NULL;
            return;
        }
        lp_escape = NULL;
        forget(lp);
        usleep(20000);
    }
    scan_once(lp);
}

/* Functions plugged or unplugged since: every vp_fn handed out before is
 * gone, the DMA arena stays. */
static void lp_rescan(vp_platform *p)
{
    lp_plat *lp = p->priv;
    forget(lp);
    scan(lp, true);
}

vp_platform *vp_libpci_open(char *err, size_t errlen)
{
    if (access("/sys/bus/pci/devices", R_OK) != 0) {
        snprintf(err, errlen, "/sys/bus/pci/devices is missing: is sysfs mounted?");
        return NULL;
    }
    lp_plat *lp = calloc(1, sizeof *lp);
    if (!lp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    scan(lp, false);
    lp->p.name = "libpci";
    lp->p.fn = lp->fn;
    lp->p.priv = lp;
    lp->p.dma_alloc = lp_dma;
    lp->p.close = lp_close;
    lp->p.rescan = lp_rescan;
    return &lp->p;
}

/* Detaches the kernel driver from a function (only when the user asks). */
bool vp_libpci_unbind(vp_fn *f, char *err, size_t errlen)
{
    char path[128];
    snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/driver/unbind", f->addr);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, f->addr, strlen(f->addr)) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    close(fd);
    f->driver[0] = 0;
    return true;
}
