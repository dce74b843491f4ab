/* Bridge decoding on the way to a function (see pci_path.h). Reads the
 * type 1 header of each bridge: COMMAND and the I/O, memory and
 * prefetchable windows. A window that is closed (base above limit) or starts
 * at 0 counts as not programmed: turning decoding on there would claim
 * addresses that belong to someone else. */
#include "pci_path.h"

#include <stdio.h>
#include <string.h>

#define MAX_BRIDGES 8
#define CMD_IO 0x1u
#define CMD_MEM 0x2u
#define CMD_MASTER 0x4u

typedef struct window {
    uint64_t lo, hi; /* inclusive; lo > hi when closed */
} window;

typedef struct windows {
    window io, mem, pref;
} windows;

static uint32_t rd(vp_fn *b, unsigned off, unsigned len, bool *ok)
{
    uint32_t v = 0;
    *ok = b->ops->cfg_read(b, off, len, &v) && *ok;
    return v;
}

static bool read_windows(vp_fn *b, windows *w)
{
    bool ok = true;
    uint32_t iob = rd(b, 0x1c, 1, &ok), iol = rd(b, 0x1d, 1, &ok);
    uint64_t ioup_b = 0, ioup_l = 0;
    if ((iob & 0xf) == 1) { /* 32-bit I/O addressing */
        ioup_b = rd(b, 0x30, 2, &ok);
        ioup_l = rd(b, 0x32, 2, &ok);
    }
    w->io.lo = ioup_b << 16 | (uint64_t)(iob & 0xf0) << 8;
    w->io.hi = ioup_l << 16 | (uint64_t)(iol & 0xf0) << 8 | 0xfff;
    uint32_t mb = rd(b, 0x20, 2, &ok), ml = rd(b, 0x22, 2, &ok);
    w->mem.lo = (uint64_t)(mb & 0xfff0) << 16;
    w->mem.hi = (uint64_t)(ml & 0xfff0) << 16 | 0xfffff;
    uint32_t pb = rd(b, 0x24, 2, &ok), pl = rd(b, 0x26, 2, &ok);
    uint64_t pup_b = 0, pup_l = 0;
    if ((pb & 0xf) == 1) { /* 64-bit prefetchable window */
        pup_b = rd(b, 0x28, 4, &ok);
        pup_l = rd(b, 0x2c, 4, &ok);
    }
    w->pref.lo = pup_b << 32 | (uint64_t)(pb & 0xfff0) << 16;
    w->pref.hi = pup_l << 32 | (uint64_t)(pl & 0xfff0) << 16 | 0xfffff;
    return ok;
}

static bool holds(const window *w, const vp_bar *bar)
{
    return w->lo != 0 && w->lo <= w->hi && bar->addr >= w->lo && bar->addr + bar->size - 1 <= w->hi;
}

/* A prefetchable BAR may sit in either memory window. */
static bool reaches(const windows *w, const vp_bar *bar)
{
    if (bar->io)
        return holds(&w->io, bar);
    return holds(&w->mem, bar) || (bar->prefetch && holds(&w->pref, bar));
}

vp_path vp_path_enable(vp_fn *f, char *detail, size_t n)
{
    vp_fn *br[MAX_BRIDGES];
    unsigned nb = f->ops->bridges ? f->ops->bridges(f, br, MAX_BRIDGES) : 0;
    uint16_t need = CMD_MASTER; /* the device's DMA goes upstream through every bridge */
    for (unsigned i = 0; i < VP_NBARS; i++)
        if (f->bar[i].present)
            need |= f->bar[i].io ? CMD_IO : CMD_MEM;
    detail[0] = 0;
    if (!nb)
        return VP_PATH_DIRECT;
    /* every window first: nothing is turned on unless the whole path works */
    for (unsigned k = 0; k < nb; k++) {
        windows w;
        if (!read_windows(br[k], &w)) {
            snprintf(detail, n, "bridge %s: config space not readable", br[k]->addr);
            return VP_PATH_BROKEN;
        }
        for (unsigned i = 0; i < VP_NBARS; i++) {
            const vp_bar *bar = &f->bar[i];
            if (!bar->present || reaches(&w, bar))
                continue;
            const window *win = bar->io ? &w.io : bar->prefetch ? &w.pref : &w.mem;
            snprintf(detail, n,
                     "bridge %s: its %s window 0x%llx-0x%llx does not hold BAR%u at 0x%llx (size 0x%llx): "
                     "the window or the BAR was left unprogrammed (firmware), the probe cannot fix that safely",
                     br[k]->addr, bar->io ? "I/O" : bar->prefetch ? "prefetchable" : "memory",
                     (unsigned long long)win->lo, (unsigned long long)win->hi, i,
                     (unsigned long long)bar->addr, (unsigned long long)bar->size);
            return VP_PATH_BROKEN;
        }
    }
    vp_path res = VP_PATH_READY;
    size_t used = 0;
    for (unsigned k = 0; k < nb; k++) {
        bool ok = true;
        uint16_t cmd = (uint16_t)rd(br[k], 4, 2, &ok);
        if (ok && (cmd & need) == need)
            continue;
        uint16_t want = cmd | need;
        ok = ok && br[k]->ops->cfg_write(br[k], 4, 2, want);
        if (!ok || ((uint16_t)rd(br[k], 4, 2, &ok) & need) != need) {
            snprintf(detail, n, "bridge %s: command register did not take 0x%x (decoding and bus mastering)",
                     br[k]->addr, need);
            return VP_PATH_BROKEN;
        }
        uint16_t add = want & ~cmd;
        char bits[64];
        snprintf(bits, sizeof bits, "%s%s%s", add & CMD_IO ? ", I/O decoding" : "",
                 add & CMD_MEM ? ", memory decoding" : "", add & CMD_MASTER ? ", bus mastering" : "");
        int w = snprintf(detail + used, n - used, "%sbridge %s command 0x%04x -> 0x%04x (%s)", used ? "; " : "",
                         br[k]->addr, cmd, want, bits + 2);
        if (w > 0 && (size_t)w < n - used)
            used += (size_t)w;
        res = VP_PATH_ENABLED;
    }
    if (res == VP_PATH_READY)
        snprintf(detail, n, "%u bridge(s), decoding on", nb);
    return res;
}
