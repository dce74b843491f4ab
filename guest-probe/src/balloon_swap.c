/* Balloons met in turn (see balloon_swap.h). The runner unplugs the present
 * balloon and plugs the next through QEMU's monitor; the guest kernel's ACPI
 * hot-plug removes and adds the functions (about 0.15 s under TCG). */
#include "balloon_swap.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "dev_note.h"
#include "report.h"

#define SWAP_WAIT_MIN_MS 3000u /* or the probe's --timeout-ms, whichever is longer */
#define SWAP_POLL_MS 10u
#define MAX_SEEN 256 /* PCI functions in a VM, ports and bridges included */

/* The addresses of the functions present now. */
typedef struct seen {
    char addr[MAX_SEEN][16];
    unsigned n;
} seen;

static void remember(seen *s, const vp_platform *p)
{
    s->n = 0;
    for (unsigned i = 0; i < p->nfn && s->n < MAX_SEEN; i++)
        snprintf(s->addr[s->n++], sizeof s->addr[0], "%s", p->fn[i].addr);
}

static bool known(const seen *s, const char *addr)
{
    for (unsigned i = 0; i < s->n; i++)
        if (!strcmp(s->addr[i], addr))
            return true;
    return false;
}

/* The balloon present now (the last one listed), or NULL. */
static vp_fn *present_balloon(vp_ctx *c, vp_dev *d)
{
    vp_fn *found = NULL;
    char err[64];
    for (unsigned i = 0; i < c->plat->nfn; i++) {
        memset(d, 0, sizeof *d);
        if (vp_dev_read(d, &c->plat->fn[i], err, sizeof err) && (vp_dev_classify(d), !strcmp(d->type, "balloon")))
            found = &c->plat->fn[i];
    }
    return found;
}

/* The PCI functions the kernel lists (any vendor); false if it cannot say. */
static bool listed(seen *s)
{
    DIR *d = opendir("/sys/bus/pci/devices");
    if (!d)
        return false;
    s->n = 0;
    for (struct dirent *e; (e = readdir(d)) && s->n < MAX_SEEN;) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] != '.' && len < sizeof s->addr[0]) /* 0000:00:00.0 */
            memcpy(s->addr[s->n++], e->d_name, len + 1);
    }
    closedir(d);
    return true;
}

/* Whether the kernel's list has lost gone and gained a function not in
 * was: only then is libpci's full scan worth its time. */
static bool changed(const seen *was, const char *gone)
{
    seen now;
    if (!listed(&now))
        return true; /* let libpci say */
    bool fresh = false;
    for (unsigned i = 0; i < now.n; i++)
        fresh = fresh || !known(was, now.addr[i]);
    return fresh && !known(&now, gone);
}

static bool present(const vp_platform *p, const char *addr)
{
    for (unsigned i = 0; i < p->nfn; i++)
        if (!strcmp(p->fn[i].addr, addr))
            return true;
    return false;
}

/* One swap: true when the old balloon went and new functions came (not in
 * before, the functions present when it was asked for). */
static bool swap_one(vp_ctx *c, vp_dev *d, const seen *before, char *why, size_t cap)
{
    vp_fn *old = present_balloon(c, d);
    if (!old) {
        snprintf(why, cap, "no balloon present to swap out");
        return false;
    }
    char gone[16];
    snprintf(gone, sizeof gone, "%s", old->addr);
    static seen was; /* every function before the note (4 KiB: not on the stack) */
    bool cheap = listed(&was);
    memset(d, 0, sizeof *d);
    d->fn = old;
    if (!vp_note_ask(c, d, "balloon-swap")) {
        snprintf(why, cap, "nobody plugs balloons (no --config-change)");
        return false;
    }
    unsigned limit = c->opt.timeout_ms > SWAP_WAIT_MIN_MS ? c->opt.timeout_ms : SWAP_WAIT_MIN_MS;
    double t0 = vp_now_ms();
    for (;;) {
        usleep(SWAP_POLL_MS * 1000);
        /* libpci reads every function's files: a full scan only once the kernel's list changed */
        if (!cheap || changed(&was, gone)) {
            c->plat->rescan(c->plat);
            bool fresh = false;
            for (unsigned i = 0; i < c->plat->nfn; i++)
                fresh = fresh || !known(before, c->plat->fn[i].addr);
            if (fresh && !present(c->plat, gone))
                return true;
        }
        if (vp_now_ms() - t0 > limit) {
            c->plat->rescan(c->plat);
            snprintf(why, cap, "after %u ms: %s", limit,
                     present(c->plat, gone) ? "the balloon at the note's address is still there"
                                            : "no new function appeared");
            return false;
        }
    }
}

void vp_balloon_swaps(vp_ctx *c, unsigned n, void (*probe)(void *arg, vp_fn *f), void *arg)
{
    vp_dev *d = calloc(1, sizeof *d);
    char why[160];
    for (unsigned k = 1; d && k <= n; k++) {
        if (!c->plat->rescan) {
            vp_report_set(c->rep, NULL, NULL);
            vp_check(c->rep, "probe.balloon_swap", "", VP_ERROR, NULL, NULL, "the platform cannot see plugging");
            break;
        }
        seen before;
        c->plat->rescan(c->plat); /* lets go of the functions probed so far */
        remember(&before, c->plat);
        double t0 = vp_now_ms();
        bool ok = swap_one(c, d, &before, why, sizeof why);
        vp_report_set(c->rep, NULL, NULL);
        if (!ok) {
            vp_check(c->rep, "probe.balloon_swap", "", VP_ERROR, "the next balloon plugged", "no swap",
                     "swap %u of %u: %s", k, n, why);
            break;
        }
        char ob[64];
        snprintf(ob, sizeof ob, "swap %u of %u in %.0f ms", k, n, vp_now_ms() - t0);
        vp_check(c->rep, "probe.balloon_swap", "", VP_INFO, NULL, ob, NULL);
        c->swapped = true;
        /* the new functions, in address order (each vp_fn stays valid until the next rescan) */
        for (unsigned i = 0; i < c->plat->nfn; i++)
            if (!known(&before, c->plat->fn[i].addr))
                probe(arg, &c->plat->fn[i]);
    }
    free(d);
}
