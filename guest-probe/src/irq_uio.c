/* INTx through uio_pci_generic: the function is bound to it with
 * driver_override, /dev/uioN counts its interrupts (poll, bounded), and the
 * driver's handler masks INTx in the command register after each one, so
 * the probe clears that bit again (rearm) once it has read ISR. */
#define _GNU_SOURCE
#include "clock.h"
#include "irq_uio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define UIO_MAX 64
#define UIO_DRV "/sys/bus/pci/drivers/uio_pci_generic"
#define CMD_INTX_DISABLE 0x400u

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

void vp_uio_load(vp_report *r, const char *dir)
{
    struct dirent **ent;
    int n = scandir(dir, &ent, NULL, by_name);
    vp_report_set(r, NULL, "kernel");
    if (n < 0) { /* no modules packed: INTx checks say so when they skip */
        vp_check(r, "irq.modules", "", VP_INFO, NULL, "none", "%s: %s", dir, strerror(errno));
        return;
    }
    unsigned loaded = 0;
    for (int i = 0; i < n; i++) {
        const char *name = ent[i]->d_name;
        size_t len = strlen(name);
        if (len > 3 && !strcmp(name + len - 3, ".ko")) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)) /* INTx then skips */
                vp_check(r, "irq.modules", "", VP_INFO, NULL, "not loaded", "%s: %s", name, strerror(errno));
            else
                loaded++;
            if (fd >= 0)
                close(fd);
        }
        free(ent[i]);
    }
    free(ent);
    char ob[32];
    snprintf(ob, sizeof ob, "%u module(s)", loaded);
    vp_check(r, "irq.modules", "", VP_INFO, NULL, ob, "from %s", dir);
}

typedef struct uio_fn {
    vp_fn *f;
    int fd;
    uint32_t count; /* interrupts since the bind (uio's own count) */
} uio_fn;

static uio_fn fns[UIO_MAX];

static uio_fn *find(vp_fn *f)
{
    for (unsigned i = 0; i < UIO_MAX; i++)
        if (fns[i].f == f)
            return &fns[i];
    return NULL;
}

static bool put(const char *path, const char *val)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && write(fd, val, strlen(val)) == (ssize_t)strlen(val);
    if (fd >= 0)
        close(fd);
    return ok;
}

static bool uio_attach(vp_fn *f, char *err, size_t errlen)
{
    char path[160];
    uio_fn *u = find(f) ? find(f) : find(NULL);
    if (!u) {
        snprintf(err, errlen, "more than %d functions", UIO_MAX);
        return false;
    }
    if (access(UIO_DRV, F_OK) != 0) {
        snprintf(err, errlen, "uio_pci_generic is not loaded (no %s)", UIO_DRV);
        return false;
    }
    snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/driver_override", f->addr);
    if (!put(path, "uio_pci_generic") || !put(UIO_DRV "/bind", f->addr)) {
        snprintf(err, errlen, "binding %s to uio_pci_generic: %s", f->addr, strerror(errno));
        put(path, "\n");
        return false;
    }
    glob_t g;
    snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/uio/uio*", f->addr);
    int fd = -1;
    if (glob(path, 0, NULL, &g) == 0 && g.gl_pathc) {
        snprintf(path, sizeof path, "/dev/%s", strrchr(g.gl_pathv[0], '/') + 1);
        double end = vp_now_ms() + 1000; /* devtmpfs makes the node shortly after the bind */
        while ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 && errno == ENOENT && vp_now_ms() < end)
            usleep(2000);
    }
    globfree(&g);
    if (fd < 0) {
        snprintf(err, errlen, "no uio device node for %s", f->addr);
        put(UIO_DRV "/unbind", f->addr);
        return false;
    }
    *u = (uio_fn){f, fd, 0};
    return true;
}

static uint32_t uio_wait(vp_fn *f, uint32_t seen, unsigned ms)
{
    uio_fn *u = find(f);
    if (!u)
        return 0;
    double end = vp_now_ms() + ms;
    for (;;) {
        uint32_t v;
        if (read(u->fd, &v, sizeof v) == (ssize_t)sizeof v)
            u->count = v;
        double left = end - vp_now_ms();
        if (u->count != seen || left <= 0)
            return u->count;
        struct pollfd p = {u->fd, POLLIN, 0};
        if (poll(&p, 1, (int)left + 1) <= 0)
            return u->count;
    }
}

static void uio_rearm(vp_fn *f)
{
    uint32_t cmd = 0;
    if (f->ops->cfg_read(f, 4, 2, &cmd) && (cmd & CMD_INTX_DISABLE))
        f->ops->cfg_write(f, 4, 2, cmd & ~CMD_INTX_DISABLE);
}

static void uio_detach(vp_fn *f)
{
    uio_fn *u = find(f);
    if (!u)
        return;
    char path[160];
    close(u->fd);
    put(UIO_DRV "/unbind", f->addr);
    snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/driver_override", f->addr);
    put(path, "\n");
    *u = (uio_fn){0};
}

const vp_intx_ops vp_uio_intx = {uio_attach, uio_wait, uio_rearm, uio_detach};
