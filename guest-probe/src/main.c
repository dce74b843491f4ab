/* vconform-probe: finds every virtio PCI function, classifies its mode,
 * checks the PCI layer, and drives it as a modern and as a legacy driver.
 * Run as root in any guest; as PID 1 in the runner's initramfs it also
 * mounts what it needs, takes its arguments from the kernel command line and
 * powers the machine off when done. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "balloon_swap.h"
#include "ioport_out.h"
#include "irq_uio.h"
#include "kdrv.h"
#include "pci_path.h"
#include "pci_sim.h"
#include "probe.h"
#include "replay.h"

#define DMA_ARENA (1u << 20)
#define DMA_ARENA_REPLAY (2u << 20) /* the scenario map beside the liveness requests */
#define MAX_SELECT 16

static void usage(FILE *o)
{
    fputs("usage: vconform-probe [options]\n"
          "  --json FILE        JSON Lines results to FILE ('-' for stdout, ioport:0xe9 for\n"
          "                     QEMU's isa-debugcon: much faster than a serial port under TCG)\n"
          "  --quiet            no human summary\n"
          "  --verbose          human view lists every check, not only failures\n"
          "  --list             print the virtio functions found and exit\n"
          "  --device SEL       only this function: address (0000:00:03.0) or type (blk); repeatable\n"
          "  --timeout-ms N     bound on every wait on a device (default 2000)\n"
          "  --quiet-ms N       how long an interrupt that must not come is waited for after\n"
          "                     the register read that orders the device's work (default 0)\n"
          "  --no-irq           leave out the interrupt and lifecycle checks\n"
          "  --no-semantics     leave out the net, blk and scsi semantics checks (some break driver\n"
          "                     rules; some settings kill QEMU's vhost-user-scsi)\n"
          "  --prefer-packed    a device offering packed rings gets only the packed-ring personality\n"
          "                     (a driver should take RING_PACKED: a judging back-end counts it)\n"
          "  --irq-modules DIR  load uio and uio_pci_generic from DIR to count INTx\n"
          "  --config-change    a runner answers note records with configuration changes\n"
          "                     (blk capacity, net link; PROTOCOL.md)\n"
          "  --no-legacy        skip the legacy driver personality\n"
          "  --no-modern        skip the modern driver personality\n"
          "  --blk-pattern      block devices carry the runner's pattern (see PROTOCOL.md)\n"
          "  --blk-serial S     expected block device GET_ID answer\n"
          "  --blk-no-unmap     the host's disks never free sectors: write_zeroes_may_unmap\n"
          "                     should read 0 (dev.blk_op.9)\n"
          "  --scsi-cd          with --config-change, the runner plugs a CD drive into each SCSI host\n"
          "                     on request (PROTOCOL.md)\n"
          "  --scsi-cd-at P+P   the same for the SCSI hosts at these slot paths only\n"
          "  --net-loopback     net backends return every frame: a frame not received back fails\n"
          "  --console-ports N  the host gave each console device N ports: fewer PORT_ADDs fail\n"
          "                     (default: unknown, no PORT_ADD at all is a skip)\n"
          "  --unbind           detach a bound kernel driver instead of skipping the device\n"
          "  --kernel-drivers DIR  load the kernel's virtio modules from DIR and certify them\n"
          "                     instead of driving devices (binding, interface, one operation)\n"
          "  --force-legacy     with --kernel-drivers: load virtio_pci with force_legacy=1\n"
          "  --no-ring-resize   with --kernel-drivers: leave virtio_net's rings at their size (by\n"
          "                     default they are halved and restored through per-queue resets\n"
          "                     where VIRTIO_F_RING_RESET is negotiated)\n"
          "  --balloon-swaps N  with --config-change, after the functions present at boot the runner\n"
          "                     swaps in N more balloons, one at a time (PROTOCOL.md)\n"
          "  --sim SPEC         run against the in-process reference device, e.g. rng:modern,blk:legacy\n"
          "  --drv-fault avail-jump  break a driver rule on purpose, for the device's judge to catch:\n"
          "                     the first request of each driver session moves the available\n"
          "                     index by more than the queue size (drv.vq_avail.1)\n"
          "  --scenarios PATH   replay the fuzz scenarios in a folder (or one file) on each device\n"
          "                     instead of the checks (text or binary form, see README);\n"
          "                     control-plane sequences among them (*.ctl) are played too\n"
          "  --control PATH     play control-plane sequences (fuzz/ctl_seq.h; a folder or one\n"
          "                     file, text or binary) on each device, as --scenarios does\n"
          "  --scenario-skip N  leave out the first N scenarios (sorted by path)\n"
          "  --scenario-count N replay N scenarios at most\n"
          "  --scenario-omit L  leave out these scenarios (indexes, ranges, ':' between: 3-5:9)\n"
          "  --replay-quiet-ms N  a kick is over after N ms without a used entry (default 10)\n"
          "  --replay-strict    a chain only the driver's rules forbid must be refused with\n"
          "                     NEEDS_RESET (as the reference device does)\n"
          "exit status: 0 every check passed, 1 a check failed, 2 could not run or could not\n"
          "write the results\n",
          o);
}

/* PID 1 in an initramfs: mounts, hugepages, arguments from /proc/cmdline. */
static void init_mode(int *argc, char ***argv)
{
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    int fd = open("/proc/sys/vm/nr_hugepages", O_WRONLY);
    if (fd >= 0) {
        if (write(fd, "4", 1) < 0) { /* best effort: locked pages are the fallback */
        }
        close(fd);
    }
    static char line[4096];
    static char *args[64];
    int n = 0;
    args[n++] = (*argv)[0];
    FILE *f = fopen("/proc/cmdline", "r");
    if (f && fgets(line, sizeof line, f)) {
        /* vconform.args=--json,ioport:0xe9,--blk-pattern (commas separate arguments) */
        for (char *save = NULL, *tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
            if (strncmp(tok, "vconform.args=", 14))
                continue;
            for (char *s2 = NULL, *a = strtok_r(tok + 14, ",", &s2); a && n < 63; a = strtok_r(NULL, ",", &s2))
                args[n++] = a;
        }
    }
    if (f)
        fclose(f);
    args[n] = NULL;
    *argc = n;
    *argv = args;
}

static FILE *open_out(const char *path)
{
    if (!strcmp(path, "-"))
        return stdout;
    if (!strncmp(path, "ioport:", 7)) {
        char err[160];
        FILE *f = vp_ioport_open(path, err, sizeof err);
        if (!f)
            fprintf(stderr, "vconform-probe: %s\n", err);
        return f;
    }
    FILE *f = fopen(path, "w");
    if (f && isatty(fileno(f))) { /* a serial port: raw, so lines arrive unchanged */
        struct termios t;
        if (tcgetattr(fileno(f), &t) == 0) {
            cfmakeraw(&t);
            tcsetattr(fileno(f), TCSANOW, &t);
        }
    }
    return f;
}

/* The bridges in front of f must forward its BARs and DMA (pci_path.c):
 * false, with a setup error recorded, when they cannot be made to. */
static bool bridges_ready(vp_report *rep, vp_fn *f)
{
    char detail[320];
    vp_path p = vp_path_enable(f, detail, sizeof detail);
    if (p == VP_PATH_ENABLED)
        vp_check(rep, "pci.setup.bridge", "", VP_INFO, NULL, "turned on by the probe", "%s", detail);
    else if (p == VP_PATH_BROKEN)
        vp_check(rep, "pci.setup.bridge", "", VP_ERROR, "bridges forwarding the BARs", "not forwarding",
                 "%s; a setup problem of the machine, not of the device: not driven", detail);
    return p != VP_PATH_BROKEN;
}

/* A run whose output is lost exits 2, whatever its checks said. */
static int close_outputs(vp_report *rep, const char *json, int rc)
{
    bool written = vp_report_close(rep, json);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (written) /* else already said */
            fprintf(stderr, "vconform-probe: writing to stdout failed\n");
        written = false;
    }
    return written ? rc : 2;
}

static bool selected(const vp_dev *d, char **sel, unsigned nsel)
{
    if (!nsel)
        return true;
    for (unsigned i = 0; i < nsel; i++)
        if (!strcmp(sel[i], d->fn->addr) || !strcmp(sel[i], d->type) ||
            (strlen(sel[i]) == 7 && !strcmp(sel[i], d->fn->addr + 5))) /* 00:03.0 */
            return true;
    return false;
}

/* An option's number in lo..hi into *v; false, with a message, otherwise. */
static bool number_arg(const char *opt, const char *arg, unsigned lo, unsigned hi, unsigned *v)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(arg, &end, 10);
    if (errno || *end || !*arg || n < lo || n > hi) {
        fprintf(stderr, "vconform-probe: %s wants %u-%u, not '%s'\n", opt, lo, hi, arg);
        return false;
    }
    *v = (unsigned)n;
    return true;
}

/* What main's options make of each function. */
typedef struct probe_run {
    vp_ctx *c;
    char **sel;
    unsigned nsel;
    bool list, force_legacy;
    const char *kdrv, *scenarios, *sim;
    vp_scnlist *scn;
} probe_run;

/* Classifies, checks and drives one function (or lists it). */
static void probe_fn(void *arg, vp_fn *f)
{
    probe_run *r = arg;
    vp_ctx *c = r->c;
    char err[256] = "";
    vp_dev *d = calloc(1, sizeof *d);
    if (!d)
        return;
    if (!vp_dev_read(d, f, err, sizeof err)) {
        vp_report_set(c->rep, f->addr, "pci");
        vp_check(c->rep, "pci.config_read", "", VP_ERROR, NULL, NULL, "%s", err);
        free(d);
        return;
    }
    vp_dev_classify(d);
    if (!selected(d, r->sel, r->nsel)) {
        free(d);
        return;
    }
    if (r->list) {
        printf("%-13s %04x   %-4u %-8s %-12s %s\n", f->addr, d->device, d->revision, d->type,
               strcmp(d->mode, "modern") ? d->mode : "modern-only", f->driver[0] ? f->driver : "-");
        free(d);
        return;
    }
    c->rep->devices++;
    vp_dev_record(c->rep, d);
    if (c->rep->human)
        fprintf(c->rep->human, "%s %s %s (%s)\n", f->addr, d->type, d->mode, d->mode_why);
    vp_report_set(c->rep, f->addr, "pci");
    if (f->driver[0] && c->opt.unbind && !r->sim) {
        if (!vp_libpci_unbind(f, err, sizeof err))
            vp_check(c->rep, "probe.unbind", "", VP_ERROR, NULL, NULL, "%s", err);
    }
    /* BARs are reached only on unbound functions: a kernel driver owns the rest */
    bool mine = !r->kdrv && !f->driver[0];
    bool path_ok = !mine || bridges_ready(c->rep, f);
    bool usable = mine && path_ok && f->ops->enable(f, err, sizeof err);
    d->bars_usable = usable;
    if (!r->scenarios) /* a replay is about the rings, not the PCI layer */
        vp_checks_pci(c, d);
    vp_report_set(c->rep, f->addr, "pci");
    if (r->kdrv) {
        vp_kdrv_check(c, d, r->force_legacy);
    } else if (f->driver[0]) {
        vp_check(c->rep, "probe.bound", "", VP_SKIP, NULL, f->driver,
                 "kernel driver '%s' owns the device (use --unbind to take it)", f->driver);
    } else if (!usable) {
        if (path_ok) /* a broken path is already reported as pci.setup.bridge */
            vp_check(c->rep, "probe.enable", "", VP_ERROR, NULL, NULL, "%s", err);
    } else {
        if (!c->have_dma && !c->dma_err[0]) {
            c->have_dma = c->plat->dma_alloc(c->plat, r->scenarios ? DMA_ARENA_REPLAY : DMA_ARENA, &c->dma, c->dma_err,
                                           sizeof c->dma_err);
            if (c->have_dma) {
                char ob[96];
                snprintf(ob, sizeof ob, "%zu bytes at 0x%llx from %s", c->dma.size,
                         (unsigned long long)c->dma.gpa, c->dma.how);
                vp_check(c->rep, "probe.dma", "", VP_INFO, NULL, ob, NULL);
            }
        }
        if (r->scenarios)
            vp_replay_device(c, d, r->scn);
        else
            vp_run_drivers(c, d);
    }
    free(d);
}

int main(int argc, char **argv)
{
    bool pid1 = getpid() == 1;
    if (pid1)
        init_mode(&argc, &argv);
    vp_report rep = {.human = stdout};
    vp_ctx c = {.rep = &rep, .opt = {.timeout_ms = 2000, .legacy = true, .modern = true, .console_ports = -1,
                                     .replay_quiet_ms = 10}};
    c.opt.quiet_ms = 0; /* the register read before it orders QEMU (irq.h) */
    c.opt.irq = true;
    c.opt.semantics = true;
    c.opt.ring_resize = true;
    const char *irq_modules = NULL;
    enum { O_QUIETMS = 512, O_NOIRQ, O_IRQMOD, O_CFGCHG, O_PREFPACKED };
    enum { O_NOSEM = 600 };
    enum { O_BLKNOUNMAP = 700, O_SCSICD, O_SCSICDAT };
    enum { O_NORINGRESIZE = 720 };
    enum { O_BSWAPS = 740 };
    unsigned swaps = 0;
    const char *scenarios = NULL;
    vp_scnlist scn = {0};
    const char *json = NULL, *sim = NULL, *kdrv = NULL;
    bool force_legacy = false;
    char *sel[MAX_SELECT];
    unsigned nsel = 0;
    bool list = false;
    enum { O_JSON = 256, O_QUIET, O_VERBOSE, O_LIST, O_DEVICE, O_TIMEOUT, O_NOLEG, O_NOMOD, O_PATTERN,
           O_SERIAL, O_UNBIND, O_SIM, O_HELP, O_KDRV, O_FORCELEG, O_NETLOOP, O_CONPORTS, O_DRVFAULT, O_SCN,
           O_SCNSKIP, O_SCNCOUNT, O_QUIET_MS, O_STRICT, O_OMIT, O_CONTROL };
    static const struct option lo[] = {
        {"quiet-ms", 1, 0, O_QUIETMS}, {"no-irq", 0, 0, O_NOIRQ}, {"irq-modules", 1, 0, O_IRQMOD},
        {"config-change", 0, 0, O_CFGCHG}, {"no-semantics", 0, 0, O_NOSEM},
        {"prefer-packed", 0, 0, O_PREFPACKED}, {"blk-no-unmap", 0, 0, O_BLKNOUNMAP},
        {"scsi-cd", 0, 0, O_SCSICD}, {"scsi-cd-at", 1, 0, O_SCSICDAT},
        {"json", 1, 0, O_JSON}, {"quiet", 0, 0, O_QUIET}, {"verbose", 0, 0, O_VERBOSE},
        {"list", 0, 0, O_LIST}, {"device", 1, 0, O_DEVICE}, {"timeout-ms", 1, 0, O_TIMEOUT},
        {"no-legacy", 0, 0, O_NOLEG}, {"no-modern", 0, 0, O_NOMOD}, {"blk-pattern", 0, 0, O_PATTERN},
        {"blk-serial", 1, 0, O_SERIAL}, {"unbind", 0, 0, O_UNBIND}, {"sim", 1, 0, O_SIM},
        {"help", 0, 0, O_HELP}, {"kernel-drivers", 1, 0, O_KDRV}, {"force-legacy", 0, 0, O_FORCELEG},
        {"net-loopback", 0, 0, O_NETLOOP}, {"console-ports", 1, 0, O_CONPORTS},
        {"drv-fault", 1, 0, O_DRVFAULT}, {"scenarios", 1, 0, O_SCN}, {"control", 1, 0, O_CONTROL},
        {"scenario-skip", 1, 0, O_SCNSKIP}, {"scenario-count", 1, 0, O_SCNCOUNT},
        {"replay-quiet-ms", 1, 0, O_QUIET_MS}, {"replay-strict", 0, 0, O_STRICT},
        {"scenario-omit", 1, 0, O_OMIT},
        {"no-ring-resize", 0, 0, O_NORINGRESIZE}, {"balloon-swaps", 1, 0, O_BSWAPS},
        {0, 0, 0, 0}};
    int o, rc = 2;
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (o) {
        case O_QUIETMS:
            if (!number_arg("--quiet-ms", optarg, 0, 10000, &c.opt.quiet_ms))
                goto out;
            break;
        case O_NOIRQ: c.opt.irq = false; break;
        case O_NOSEM: c.opt.semantics = false; break;
        case O_BLKNOUNMAP: c.opt.blk_no_unmap = true; break;
        case O_SCSICD: c.opt.scsi_cd = true; break;
        case O_SCSICDAT: c.opt.scsi_cd_at = optarg; break;
        case O_NORINGRESIZE: c.opt.ring_resize = false; break;
        case O_BSWAPS:
            if (!number_arg("--balloon-swaps", optarg, 0, VP_MAX_SWAPS, &swaps))
                goto out;
            break;
        case O_PREFPACKED: c.opt.prefer_packed = true; break;
        case O_IRQMOD: irq_modules = optarg; break;
        case O_CFGCHG: c.opt.config_change = true; break;
        case O_JSON: json = optarg; break;
        case O_QUIET: rep.human = NULL; break;
        case O_VERBOSE: rep.verbose = true; break;
        case O_LIST: list = true; break;
        case O_DEVICE:
            if (nsel == MAX_SELECT) {
                fprintf(stderr, "vconform-probe: at most %d --device options\n", MAX_SELECT);
                goto out;
            }
            sel[nsel++] = optarg;
            break;
        case O_TIMEOUT:
            if (!number_arg("--timeout-ms", optarg, 1, 600000, &c.opt.timeout_ms))
                goto out;
            break;
        case O_NOLEG: c.opt.legacy = false; break;
        case O_NOMOD: c.opt.modern = false; break;
        case O_PATTERN: c.opt.blk_pattern = true; break;
        case O_SERIAL: c.opt.blk_serial = optarg; break;
        case O_NETLOOP: c.opt.net_loopback = true; break;
        case O_CONPORTS: {
            unsigned n;
            if (!number_arg("--console-ports", optarg, 0, 31, &n))
                goto out;
            c.opt.console_ports = (int)n;
            break;
        }
        case O_UNBIND: c.opt.unbind = true; break;
        case O_DRVFAULT:
            if (strcmp(optarg, "avail-jump")) {
                fprintf(stderr, "vconform-probe: --drv-fault knows avail-jump\n");
                goto out;
            }
            c.opt.drv_fault_avail_jump = true;
            break;
        case O_SCN:
        case O_CONTROL:
            if (scenarios) {
                fprintf(stderr, "vconform-probe: one of --scenarios and --control (put *.ctl sequences in the "
                                "scenario folder to play both)\n");
                goto out;
            }
            scenarios = optarg;
            c.opt.ctl_only = o == O_CONTROL;
            break;
        case O_SCNSKIP:
        case O_SCNCOUNT:
        case O_QUIET_MS: {
            const char *name = o == O_SCNSKIP ? "--scenario-skip" : o == O_SCNCOUNT ? "--scenario-count"
                                                                                     : "--replay-quiet-ms";
            if (!number_arg(name, optarg, 0, 1000000,
                            o == O_SCNSKIP ? &c.opt.replay_skip
                            : o == O_SCNCOUNT ? &c.opt.replay_count : &c.opt.replay_quiet_ms))
                goto out;
            break;
        }
        case O_STRICT: c.opt.replay_strict = true; break;
        case O_OMIT: c.opt.replay_omit = optarg; break;
        case O_SIM: sim = optarg; break;
        case O_KDRV: kdrv = optarg; break;
        case O_FORCELEG: force_legacy = true; break;
        case O_HELP: usage(stdout); rc = 0; goto out;
        default: usage(stderr); goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vconform-probe: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        goto out;
    }
    if (json && !(rep.json = open_out(json))) {
        fprintf(stderr, "vconform-probe: cannot write %s: %s\n", json, strerror(errno));
        goto out;
    }
    if (rep.json == stdout)
        rep.human = rep.human ? stderr : NULL;
    char err[256] = "";
    if (!sim && geteuid() != 0)
        fprintf(stderr, "vconform-probe: not root: config space beyond 64 bytes, BARs and DMA will fail\n");
    if (kdrv && sim) {
        fprintf(stderr, "vconform-probe: --kernel-drivers needs real PCI, not --sim\n");
        goto out;
    }
    if (scenarios && (kdrv || list)) {
        fprintf(stderr, "vconform-probe: --scenarios drives devices itself: not with --kernel-drivers or --list\n");
        goto out;
    }
    if (scenarios && !vp_scnlist_load(&scn, scenarios, err, sizeof err)) {
        fprintf(stderr, "vconform-probe: %s\n", err);
        goto out;
    }
    vp_report_start(&rep, argc, argv);
    if (kdrv) /* before enumeration, so the bound drivers are seen */
        vp_kdrv_load(&rep, kdrv, force_legacy);
    else if (irq_modules && !sim && c.opt.irq)
        vp_uio_load(&rep, irq_modules);
    c.plat = sim ? vp_sim_open(sim, err, sizeof err) : vp_libpci_open(err, sizeof err);
    if (!c.plat) {
        vp_check(&rep, "probe.platform", "", VP_ERROR, "PCI access", "none", "%s", err);
        fprintf(stderr, "vconform-probe: %s\n", err);
        vp_report_end(&rep);
        goto out;
    }
    if (list)
        printf("%-13s %-6s %-4s %-8s %-12s %s\n", "address", "id", "rev", "type", "mode", "kernel driver");
    probe_run run = {&c, sel, nsel, list, force_legacy, kdrv, scenarios, sim, &scn};
    for (unsigned i = 0; i < c.plat->nfn; i++)
        probe_fn(&run, &c.plat->fn[i]);
    if (swaps && !list && !kdrv && !scenarios)
        vp_balloon_swaps(&c, swaps, probe_fn, &run);
    if (list) {
        rc = 0;
        goto close;
    }
    vp_report_set(&rep, NULL, NULL);
    if (rep.devices == 0)
        vp_check(&rep, "probe.devices", "", VP_ERROR, ">= 1 virtio function", "none", "%s",
                 nsel ? "nothing matched --device" : "no virtio PCI function found");
    vp_report_end(&rep);
    rc = vp_report_exit(&rep);
close:
    c.plat->close(c.plat);
out:
    vp_scnlist_free(&scn);
    rc = close_outputs(&rep, json, rc);
    if (pid1) {
        sync();
        reboot(RB_POWER_OFF);
    }
    return rc;
}
