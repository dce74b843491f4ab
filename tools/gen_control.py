#!/usr/bin/env python3
"""Writes the control-plane sequences of the hostile suite (corpus/control).

usage: gen_control.py [OUTDIR]   (default corpus/control; the folder's *.ctl
files are replaced, its README kept)

Each sequence is written once per register interface where the two differ:
NAME.m.ctl plays through the modern interface (transitional and modern-only
devices), NAME.l.ctl through the legacy one (legacy devices, and transitional
devices through their legacy BAR0), NAME.ctl through either. Every judged
operation names the device requirement it checks (req=); req=- marks a
request (or reset) whose failure only means the device stopped answering. The
format is fuzz/ctl_seq.h; the player is guest-probe/src/ctl_play.c.
Requirement ids are checked against specs/requirements.
"""
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "harness"))
from vcharness import specs  # noqa: E402

OUT = os.path.join(ROOT, "corpus", "control")


def feature_bit(name):
    """A feature's bit mask, from specs/features.tsv (its only home)."""
    bits = [int(f["bit"]) for f in specs.features() if f["name"] == name]
    if len(bits) != 1:
        sys.exit(f"gen_control.py: specs/features.tsv has no single {name}")
    return f"0x{1 << bits[0]:x}"


CONFIG_WCE = feature_bit("VIRTIO_BLK_F_CONFIG_WCE")

DOK = {"m": "ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK", "l": "ACKNOWLEDGE|DRIVER|DRIVER_OK"}
MODES = {"m": "modes=transitional,modern", "l": "modes=legacy,transitional iface=legacy"}
OK = "REQUEST q=target expect=eq ms=1000 req=-"
POW2 = [0] + [1 << i for i in range(16)]

SEQS = []


def seq(name, ifaces, spec, what, body, features=None, types=None):
    """Registers a sequence: body(i) gives its operation lines for interface
    i ('m' modern, 'l' legacy); ifaces is 'm', 'l', 'ml' (one file each) or
    'a' (one file for every mode: body('a') must not depend on it)."""
    SEQS.append((name, ifaces, spec, what, body, features, types))


def init(i, feats="VERSION_1", req="dev.features.2"):
    """Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK (modern: it must stick)."""
    if i == "l":
        return ["INIT value=0 ms=1000"]
    return [f"INIT value={feats} expect=eq ms=1000 req={req}"]


def ready(i, feats="VERSION_1", size=None):
    """Initialised, the request queue set up, DRIVER_OK."""
    return init(i, feats) + [f"QSETUP q=target{'' if size is None else f' value={size}'}",
                             f"WR reg=status value={DOK[i]}"]


def sel_target():
    return "WR reg=qselect value=0 plus=target"


# ---- status writes out of order ----

seq("status-driver-ok-first", "ml", "safe", "DRIVER_OK written alone after a reset, before ACKNOWLEDGE and DRIVER",
    lambda i: ["RESET ms=500 expect=eq req=dev.reset.1", f"WR reg=status value=DRIVER_OK", "RD reg=status",
               *ready(i), OK])
seq("status-skip-acknowledge", "ml", "safe", "DRIVER without ACKNOWLEDGE, then the rest of the init",
    lambda i: ["RESET ms=500 expect=eq req=dev.reset.1", "WR reg=status value=DRIVER",
               *(["FEATURES value=F_VERSION_1", "WR reg=status value=DRIVER|FEATURES_OK"] if i == "m" else []),
               "QSETUP q=target", f"WR reg=status value={DOK[i].replace('ACKNOWLEDGE|', '')}",
               "REQUEST q=target ms=300", *ready(i), OK])
seq("status-features-ok-first", "m", "safe", "FEATURES_OK written before ACKNOWLEDGE, DRIVER and any feature",
    lambda i: ["RESET ms=500 expect=eq req=dev.reset.1", "WR reg=status value=FEATURES_OK", "RD reg=status",
               *ready(i), OK])
seq("status-clear-driver-ok", "ml", "safe", "DRIVER_OK cleared by the driver while the device runs",
    lambda i: [*ready(i), OK, "WR reg=status value=ACKNOWLEDGE|DRIVER", "REQUEST q=target ms=200",
               "RESET ms=500 expect=eq req=dev.reset.1", "RD reg=status expect=eq value=0 req=dev.reset.1"])
seq("status-failed", "ml", "safe", "FAILED set by the driver on a running device, then a reset",
    lambda i: [*ready(i), OK, f"WR reg=status value={DOK[i]}|FAILED", "RD reg=status",
               "RESET ms=500 expect=eq req=dev.reset.1", "RD reg=status expect=eq value=0 req=dev.reset.1",
               *ready(i), OK])
seq("status-driver-sets-needs-reset", "ml", "safe", "the driver writes NEEDS_RESET, a bit only the device sets",
    lambda i: [*ready(i), f"WR reg=status value={DOK[i]}|NEEDS_RESET", "RD reg=status",
               "RESET ms=500 expect=eq req=dev.reset.1", *ready(i), OK])
seq("status-all-bits", "ml", "safe", "every status bit written at once on a fresh device",
    lambda i: ["RESET ms=500 expect=eq req=dev.reset.1", "WR reg=status value=0xff", "RD reg=status",
               "RESET ms=500 expect=eq req=dev.reset.1", "RD reg=status expect=eq value=0 req=dev.reset.1",
               *ready(i), OK])
seq("status-driver-ok-rewritten", "ml", "accept", "DRIVER_OK written again on a running device",
    lambda i: [*ready(i), f"WR reg=status value={DOK[i]}", f"WR reg=status value={DOK[i]}", OK,
               "RD reg=status", OK])
seq("status-no-service-before-driver-ok", "ml", "refuse",
    "a request made available and notified before DRIVER_OK must not be served",
    lambda i: [*init(i), "QSETUP q=target", "REQUEST q=target expect=ne ms=200 req=dev.status.1",
               f"WR reg=status value={DOK[i]}"])

# ---- features ----

seq("features-minimal", "m", "accept", "only VERSION_1 accepted: a valid subset, FEATURES_OK must stick",
    lambda i: [*init(i, "VERSION_1", "dev.features.2"), "QSETUP q=target", f"WR reg=status value={DOK[i]}", OK])
seq("features-all-offered", "m", "accept", "every offered feature accepted: FEATURES_OK must stick",
    lambda i: [*init(i, "ALL", "dev.features.2")])
seq("features-again-after-reset", "m", "accept", "the same feature set accepted twice across a reset",
    lambda i: [*init(i, "ALL", "dev.features.2"), *init(i, "ALL", "dev.features.4"),
               *init(i, "VERSION_1", "dev.features.4")])
seq("features-readback", "m", "accept", "driver_feature reads back the offered bits written, per window",
    lambda i: ["RESET ms=500 expect=eq req=dev.reset.1", "WR reg=status value=ACKNOWLEDGE|DRIVER",
               "FEATURES value=F_VERSION_1", "WR reg=gfselect value=1",
               "RD reg=gf expect=eq value=1 req=dev.pci_common.4", "WR reg=gfselect value=0",
               "RD reg=gf expect=eq value=0 mask=0xf0000000 req=dev.pci_common.4"])
seq("features-device-window", "m", "accept", "device_feature per window: VERSION_1 in window 1, nothing far past",
    lambda i: ["WR reg=dfselect value=1", "RD reg=df expect=eq value=1 mask=1 req=dev.reserved_features.1",
               "WR reg=dfselect value=0xffffffff", "RD reg=df expect=eq value=0 req=dev.pci_common.3",
               "WR reg=dfselect value=0x100", "RD reg=df expect=eq value=0 req=dev.pci_common.3",
               "WR reg=dfselect value=1", "RD reg=df expect=eq value=1 mask=1 req=dev.pci_common.3"])
seq("features-ok-rewritten", "m", "ignore", "FEATURES_OK written again: the accepted set stays",
    lambda i: [*init(i), "WR reg=gfselect value=1", "RD reg=gf",
               "WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK",
               "WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK",
               "RD reg=status expect=eq value=FEATURES_OK mask=FEATURES_OK req=dev.features.2",
               "WR reg=gfselect value=1", "RD reg=gf expect=unchanged req=dev.pci_common.4",
               "QSETUP q=target", f"WR reg=status value={DOK[i]}", OK])
seq("features-written-after-ok", "m", "safe", "features cleared after FEATURES_OK (the driver must not)",
    lambda i: [*init(i), "FEATURES value=0", "WR reg=gfselect value=1",
               "RD reg=gf expect=oneof value=1 req=dev.pci_common.4", "ALSO value=0",
               "QSETUP q=target", f"WR reg=status value={DOK[i]}", "REQUEST q=target ms=300"])
seq("features-written-after-driver-ok", "ml", "safe", "features rewritten on a running device",
    lambda i: [*ready(i), OK, "FEATURES value=ALL", "FEATURES value=0", "REQUEST q=target ms=300"])
seq("features-unoffered-bits", "m", "safe", "bits the device does not offer, and FEATURES_OK",
    lambda i: ["RESET ms=500 expect=eq req=dev.reset.1", "WR reg=status value=ACKNOWLEDGE|DRIVER",
               "FEATURES value=ALL", "WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK", "RD reg=status",
               *ready(i), OK])
seq("features-far-window", "m", "ignore", "driver_feature written in a window past bit 63: the accepted set stays",
    lambda i: [*init(i), "WR reg=gfselect value=1", "RD reg=gf", "WR reg=gfselect value=0xffffffff",
               "WR reg=gf value=0xffffffff", "WR reg=gfselect value=1",
               "RD reg=gf expect=unchanged req=dev.pci_common.4", "QSETUP q=target",
               f"WR reg=status value={DOK[i]}", OK])
seq("features-no-version-1", "m", "safe", "VERSION_1 not accepted through the modern interface",
    lambda i: ["RESET ms=500 expect=eq req=dev.reset.1", "WR reg=status value=ACKNOWLEDGE|DRIVER",
               "FEATURES value=0", "WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK", "RD reg=status",
               *ready(i), OK])
seq("config-before-features-ok", "ml", "accept",
    "device configuration is readable before FEATURES_OK and reads the same after it",
    lambda i: ["RESET ms=500 expect=eq req=dev.reset.1", "READ space=device off=0 width=4",
               "READ space=device off=4 width=2", *init(i),
               "READ space=device off=0 width=4 expect=unchanged req=dev.cfgspace.1",
               "READ space=device off=4 width=2 expect=unchanged req=dev.cfgspace.1"],
    types="net,blk,console,scsi")

# ---- resets ----

seq("reset-reads-zero", "ml", "accept", "a reset of a running device completes: status reads 0",
    lambda i: [*ready(i), OK, "RESET ms=500 expect=eq req=dev.reset.1",
               "RD reg=status expect=eq value=0 req=" + ("dev.pci_common.7" if i == "m" else "dev.reset.1"),
               *ready(i), OK])
seq("reset-back-to-back", "ml", "accept", "five resets in a row, then a normal start",
    lambda i: [*["RESET ms=500 expect=eq req=dev.reset.1"] * 5, "WR reg=status value=0", "WR reg=status value=0",
               "RD reg=status expect=eq value=0 req=dev.reset.1", *ready(i), OK])
seq("reset-during-io", "ml", "accept",
    "reset with a request in flight: after status reads 0 the device leaves the ring alone",
    lambda i: [*ready(i), "REQUEST q=target ms=0", "RESET ms=500 expect=eq req=dev.reset.1",
               "READ space=used q=target off=2 width=2", "SLEEP ms=50",
               "READ space=used q=target off=2 width=2 expect=unchanged req=dev.reset.2", *ready(i), OK])
seq("reset-then-kick", "ml", "refuse", "a request made available and notified after a reset must not be served",
    lambda i: [*ready(i), OK, "RESET ms=500 expect=eq req=dev.reset.1", "READ space=used q=target off=2 width=2",
               "REQUEST q=target expect=ne ms=200 req=dev.reset.2",
               "READ space=used q=target off=2 width=2 expect=unchanged req=dev.reset.2"])
seq("reset-queue-enable-zero", "m", "accept", "queue_enable reads 0 after a reset",
    lambda i: [*ready(i), OK, "RESET ms=500 expect=eq req=dev.reset.1", sel_target(),
               "RD reg=qenable expect=eq value=0 req=dev.pci_common.8", "WR reg=qselect value=0",
               "RD reg=qenable expect=eq value=0 req=dev.pci_common.8"])
seq("reset-queue-size-default", "m", "accept", "queue_size reads the maximum again after a reset",
    lambda i: [sel_target(), "RD reg=qsize", *init(i), sel_target(), "WR reg=qsize value=2",
               "RESET ms=500 expect=eq req=dev.reset.1", sel_target(),
               "RD reg=qsize expect=unchanged req=dev.implied.reset_queue_size"])
seq("reset-legacy-pfn-zero", "l", "accept", "the queue PFN reads 0 after a reset",
    lambda i: [*ready(i), OK, "RESET ms=500 expect=eq req=dev.reset.1", sel_target(),
               "RD reg=qpfn expect=eq value=0 req=dev.implied.legacy_queue"])
seq("reset-needs-reset-recovery", "ml", "accept",
    "NEEDS_RESET provoked (queue notified with a bad index), then a reset recovers the device",
    lambda i: [*ready(i), OK, "NOTIFY q=target value=0xffff", "WAIT reg=status value=NEEDS_RESET mask=NEEDS_RESET "
               "ms=100 soft=1", "RESET ms=500 expect=eq req=dev.reset.1",
               "RD reg=status expect=eq value=0 req=dev.reset.1", *ready(i), OK])

# ---- queues ----

seq("queue-select-past-end", "m", "accept", "queue_size reads 0 for queue_select at and past num_queues",
    lambda i: ["WR reg=qselect value=0 plus=nqueues", "RD reg=qsize expect=eq value=0 req=dev.pci_common.14",
               "WR reg=qselect value=0x7fff", "RD reg=qsize expect=eq value=0 req=dev.pci_common.14",
               "WR reg=qselect value=0xffff", "RD reg=qsize expect=eq value=0 req=dev.pci_common.14",
               *ready(i), OK])
seq("queue-select-past-end-enable", "m", "safe", "a queue past num_queues sized, placed and enabled",
    lambda i: [*init(i), "WR reg=qselect value=0 plus=nqueues", "WR reg=qsize value=16",
               "WR reg=qdesc value=0x0", "WR reg=qdriver value=0x1000", "WR reg=qdevice value=0x2000",
               "WR reg=qenable value=1", "RD reg=qenable", "RD reg=qsize expect=eq value=0 req=dev.pci_common.14",
               "QSETUP q=target", f"WR reg=status value={DOK[i]}", OK])
seq("queue-select-past-end-legacy", "l", "safe", "legacy: a queue past the last sized, and given a PFN",
    lambda i: ["WR reg=qselect value=0 plus=nqueues", "RD reg=qsize expect=eq value=0 req=dev.implied.legacy_queue",
               *init(i), "WR reg=qselect value=0 plus=nqueues", "WR reg=qpfn value=0x4000",
               "NOTIFY q=target value=0 plus=nqueues", "WR reg=qpfn value=ALL", "QSETUP q=target",
               f"WR reg=status value={DOK[i]}", OK])
seq("queue-size-power-of-two", "m", "accept", "queue_size reads 0 or a power of two for every queue",
    lambda i: [line for q in range(4) for line in
               [f"WR reg=qselect value={q}", "RD reg=qsize expect=oneof value=0 req=dev.pci_common.15",
                *[f"ALSO value={v}" for v in POW2[1:]]]])
seq("queue-enable-without-size", "m", "safe", "queue_size 0 written, rings placed, queue_enable written",
    lambda i: [*init(i), sel_target(), "WR reg=qsize value=0", "WR reg=qdesc value=0x0",
               "WR reg=qdriver value=0x1000", "WR reg=qdevice value=0x2000", "WR reg=qenable value=1",
               f"WR reg=status value={DOK[i]}", "NOTIFY q=target"])
seq("queue-size-not-power-of-two", "m", "safe",
    "VC_E_QUEUE_SIZE: a split queue of 3 entries enabled and notified (no chain can express it)",
    lambda i: [*init(i), sel_target(), "WR reg=qsize value=3", "WR reg=qdesc value=0x0",
               "WR reg=qdriver value=0x1000", "WR reg=qdevice value=0x2000", "WR reg=qenable value=1",
               f"WR reg=status value={DOK[i]}", "NOTIFY q=target", "SLEEP ms=20"])
seq("queue-size-over-maximum", "m", "safe", "VC_E_QUEUE_SIZE: queue_size written above the maximum (32768)",
    lambda i: [*init(i), sel_target(), "WR reg=qsize value=0x8000", "RD reg=qsize", "WR reg=qdesc value=0x0",
               "WR reg=qdriver value=0x8000", "WR reg=qdevice value=0x9000", "WR reg=qenable value=1",
               f"WR reg=status value={DOK[i]}", "NOTIFY q=target", "SLEEP ms=20"])
seq("queue-ring-misaligned", "m", "safe",
    "VC_E_RING_ALIGN: descriptor table, driver and device areas at odd addresses (split ring)",
    lambda i: [*init(i), sel_target(), "WR reg=qsize value=4", "WR reg=qdesc value=0x1001",
               "WR reg=qdriver value=0x2003", "WR reg=qdevice value=0x3002", "WR reg=qenable value=1",
               f"WR reg=status value={DOK[i]}", "NOTIFY q=target", "SLEEP ms=20"])
seq("queue-ring-misaligned-packed", "m", "safe",
    "VC_E_RING_ALIGN: a packed ring's descriptors at an address not a multiple of 16",
    lambda i: [*init(i, "VERSION_1|RING_PACKED"), sel_target(), "WR reg=qsize value=4",
               "WR reg=qdesc value=0x1008", "WR reg=qdriver value=0x2002", "WR reg=qdevice value=0x3001",
               "WR reg=qenable value=1", f"WR reg=status value={DOK[i]}", "NOTIFY q=target", "SLEEP ms=20"],
    features="RING_PACKED")
seq("queue-rings-overlap", "m", "safe", "descriptor table, driver and device areas at one address",
    lambda i: [*init(i), sel_target(), "WR reg=qsize value=4", "WR reg=qdesc value=0x1000",
               "WR reg=qdriver value=0x1000", "WR reg=qdevice value=0x1000", "WR reg=qenable value=1",
               f"WR reg=status value={DOK[i]}", "NOTIFY q=target", "SLEEP ms=20"])
seq("queue-size-change-after-enable", "m", "safe", "queue_size rewritten on an enabled, running queue",
    lambda i: [*ready(i), OK, sel_target(), "RD reg=qsize", "WR reg=qsize value=2", "RD reg=qsize",
               "REQUEST q=target ms=300"])
seq("queue-address-change-after-enable", "m", "safe", "ring addresses rewritten on an enabled, running queue",
    lambda i: [*ready(i), OK, sel_target(), "WR reg=qdesc value=0x4000", "WR reg=qdriver value=0x5000",
               "WR reg=qdevice value=0x6000", "NOTIFY q=target", "REQUEST q=target ms=300"])
seq("queue-enable-twice", "m", "safe", "queue_enable written again on an enabled queue",
    lambda i: [*ready(i), sel_target(), "WR reg=qenable value=1", "RD reg=qenable", OK])
seq("queue-address-halves", "m", "accept", "64-bit ring addresses written and read as two 32-bit halves",
    lambda i: [*init(i), sel_target(), "WR reg=qdesc value=0x1000",
               "RD reg=qdesc expect=eq value=0x1000 req=dev.pci_layout.1", "WR reg=qdriver value=0x2000",
               "RD reg=qdriver expect=eq value=0x2000 req=dev.pci_layout.1", "WR reg=qdevice value=0x3000",
               "RD reg=qdevice expect=eq value=0x3000 req=dev.pci_layout.1"])
seq("queue-reenable-new-size", "m", "accept", "after a reset the queue re-enabled with a smaller size",
    lambda i: [*ready(i), OK, *ready(i, size=4), sel_target(),
               "RD reg=qsize expect=eq value=4 req=dev.vq_reenable.1",
               "REQUEST q=target expect=eq ms=1000 req=dev.vq_reenable.1"])
seq("queue-notify-no-ask", "ml", "accept", "notifications the device did not ask for, then a request",
    lambda i: [*ready(i), *["NOTIFY q=target"] * 8, "REQUEST q=target expect=eq ms=1000 req=dev.vq_avail_supp.5"])
seq("queue-notify-before-driver-ok", "ml", "safe", "an empty queue notified before DRIVER_OK",
    lambda i: [*init(i), "QSETUP q=target", "NOTIFY q=target", "NOTIFY q=target",
               f"WR reg=status value={DOK[i]}", OK])
seq("queue-notify-unknown-queue", "ml", "ignore", "notifications naming queues that do not exist",
    lambda i: [*ready(i), "NOTIFY q=target value=0 plus=nqueues", "NOTIFY q=target value=0x7fff",
               "NOTIFY q=target value=0xffff", OK])

# ---- per-queue reset (RING_RESET) ----

RR = "VERSION_1|RING_RESET"
seq("qreset-basic", "m", "accept", "a queue reset: queue_reset and queue_enable read 0, the queue is left alone",
    lambda i: [*init(i, RR), "QSETUP q=target", f"WR reg=status value={DOK[i]}", OK, sel_target(),
               "RD reg=qreset expect=eq value=0 req=dev.pci_common.10", "WR reg=qreset value=1",
               "WAIT reg=qreset value=0 ms=500 req=dev.pci_common.13",
               "RD reg=qenable expect=eq value=0 req=dev.pci_common.13",
               "REQUEST q=target expect=ne ms=200 req=dev.vq_reset.1"], features="RING_RESET")
seq("qreset-reenable", "m", "accept", "a queue reset, then the queue set up again and used",
    lambda i: [*init(i, RR), sel_target(), "RD reg=qsize", "QSETUP q=target", f"WR reg=status value={DOK[i]}", OK,
               sel_target(), "WR reg=qreset value=1", "WAIT reg=qreset value=0 ms=500 req=dev.pci_common.13",
               "RD reg=qsize expect=unchanged req=dev.vq_reset.2", "QSETUP q=target",
               "RD reg=qreset expect=eq value=0 req=dev.pci_common.10",
               "REQUEST q=target expect=eq ms=1000 req=dev.vq_reenable.1"], features="RING_RESET")
seq("qreset-device-reset", "m", "accept", "queue_reset reads 0 after a device reset",
    lambda i: [*init(i, RR), "QSETUP q=target", f"WR reg=status value={DOK[i]}", sel_target(),
               "WR reg=qreset value=1", "RESET ms=500 expect=eq req=dev.reset.1", sel_target(),
               "RD reg=qreset expect=eq value=0 req=dev.pci_common.9"], features="RING_RESET")
seq("qreset-in-flight", "m", "accept", "a queue reset with a request in flight, then the ring is left alone",
    lambda i: [*init(i, RR), "QSETUP q=target", f"WR reg=status value={DOK[i]}", "REQUEST q=target ms=0",
               sel_target(), "WR reg=qreset value=1", "WAIT reg=qreset value=0 ms=500 req=dev.pci_common.13",
               "READ space=used q=target off=2 width=2", "NOTIFY q=target", "SLEEP ms=50",
               "READ space=used q=target off=2 width=2 expect=unchanged req=dev.vq_reset.1"],
    features="RING_RESET")
seq("qreset-not-negotiated", "m", "safe", "queue_reset written without RING_RESET negotiated",
    lambda i: [*ready(i), sel_target(), "WR reg=qreset value=1", "RD reg=qreset", "REQUEST q=target ms=300"])

# ---- MSI-X vectors ----

seq("msix-vector-out-of-range", "m", "refuse", "vectors at and past the table size read back NO_VECTOR",
    lambda i: ["MSIX value=1", *init(i), "WR reg=msix_config value=0 plus=nvectors",
               "RD reg=msix_config expect=eq value=NO_VECTOR req=dev.pci_msix.9", sel_target(),
               "WR reg=qvector value=0 plus=nvectors", "RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.9",
               "WR reg=qvector value=0x7ffe", "RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.9"])
seq("msix-map-unmap", "m", "accept", "any event mapped to the first and last vectors, then unmapped",
    lambda i: ["MSIX value=1", *init(i), "WR reg=msix_config value=0",
               "RD reg=msix_config expect=eq value=0 req=dev.pci_msix.6", sel_target(),
               "WR reg=qvector value=ALL plus=nvectors",
               "RD reg=qvector expect=eq value=ALL plus=nvectors mask=0xffff req=dev.pci_msix.4",
               "WR reg=qvector value=NO_VECTOR", "RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.5",
               "WR reg=msix_config value=ALL plus=nvectors",
               "RD reg=msix_config expect=eq value=ALL plus=nvectors mask=0xffff req=dev.pci_msix.8",
               "WR reg=msix_config value=NO_VECTOR",
               "RD reg=msix_config expect=eq value=NO_VECTOR req=dev.pci_msix.5"])
seq("msix-reset-unmaps", "m", "accept", "a reset leaves every queue and config event unmapped",
    lambda i: ["MSIX value=1", *init(i), "WR reg=msix_config value=0", sel_target(), "WR reg=qvector value=0",
               "RESET ms=500 expect=eq req=dev.reset.1",
               "RD reg=msix_config expect=eq value=NO_VECTOR req=dev.pci_msix.7", sel_target(),
               "RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.7"])
seq("msix-vectors-msix-off", "m", "safe", "vectors written with MSI-X off, then requests",
    lambda i: [*init(i), "WR reg=msix_config value=0", sel_target(), "WR reg=qvector value=0x7fff",
               "QSETUP q=target", f"WR reg=status value={DOK[i]}", OK])
seq("msix-legacy-out-of-range", "l", "refuse", "legacy, MSI-X on: vectors past the table read back NO_VECTOR",
    lambda i: ["MSIX value=1", *init(i), "WR reg=msix_config value=0 plus=nvectors",
               "RD reg=msix_config expect=eq value=NO_VECTOR req=dev.pci_msix.9", sel_target(),
               "WR reg=qvector value=0 plus=nvectors",
               "RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.9"])
seq("msix-legacy-map-unmap", "l", "accept", "legacy, MSI-X on: vectors mapped and unmapped",
    lambda i: ["MSIX value=1", *init(i), "WR reg=msix_config value=0",
               "RD reg=msix_config expect=eq value=0 req=dev.pci_msix.6", sel_target(),
               "WR reg=qvector value=ALL plus=nvectors",
               "RD reg=qvector expect=eq value=ALL plus=nvectors mask=0xffff req=dev.pci_msix.4",
               "WR reg=qvector value=NO_VECTOR", "RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.5",
               "WR reg=msix_config value=ALL plus=nvectors",
               "RD reg=msix_config expect=eq value=ALL plus=nvectors mask=0xffff req=dev.pci_msix.8"])
seq("msix-legacy-config-moves", "l", "accept", "legacy: device configuration moves from 20 to 24 with MSI-X on",
    lambda i: ["READ space=device off=0 width=4", "MSIX value=1",
               "READ space=device off=0 width=4 expect=unchanged req=dev.implied.legacy_io_layout",
               "MSIX value=0", "READ space=device off=0 width=4 expect=unchanged req=dev.implied.legacy_io_layout"],
    types="net,blk,console,scsi")
seq("msix-legacy-reset-unmaps", "l", "accept", "legacy: a reset leaves the vectors unmapped",
    lambda i: ["MSIX value=1", *init(i), "WR reg=msix_config value=0", sel_target(), "WR reg=qvector value=0",
               "RESET ms=500 expect=eq req=dev.reset.1",
               "RD reg=msix_config expect=eq value=NO_VECTOR req=dev.pci_msix.7", sel_target(),
               "RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.7"])

# ---- ISR ----

# The device sets ISR after it publishes the used entry: the read that
# clears ISR waits for the bit, or a read in between finds it still clear
# and the bit lands after (a false violation, seen once in a hostile run).
ISR_CLEARED = "WAIT reg=isr value=1 mask=1 ms=1000 soft=1"
seq("isr-read-clears", "ml", "accept", "reading ISR clears it",
    lambda i: [*ready(i), OK, ISR_CLEARED, "RD reg=isr expect=eq value=0 req=dev.pci_isr.5", OK, ISR_CLEARED,
               "RD reg=isr expect=eq value=0 req=dev.pci_isr.5"])

# ---- odd accesses: common configuration, notify, the pci_cfg window ----

seq("access-common-sub-word", "m", "accept", "common configuration fields read by byte, word and dword",
    lambda i: ["RESET ms=500 expect=eq req=dev.reset.1",
               "READ space=common off=20 width=1 expect=eq value=0 req=dev.pci_common.7",
               "READ space=common off=20 width=2 expect=eq value=0 mask=0xff req=dev.pci_common.7",
               "READ space=common off=20 width=4 expect=eq value=0 mask=0xff req=dev.pci_common.7",
               "READ space=common off=18 width=2", "READ space=common off=18 width=1",
               "READ space=common off=19 width=1", "READ space=common off=18 width=2",
               "READ space=common off=0 width=8", "READ space=common off=56 width=4", *ready(i), OK])
seq("access-common-odd-writes", "m", "safe", "byte writes into word fields and word writes across fields",
    lambda i: [*init(i), "WRITE space=common off=23 width=1 value=0x7f", "WRITE space=common off=19 width=2 value=0",
               "WRITE space=common off=21 width=1 value=0xff", "WRITE space=common off=16 width=4 value=0xffffffff",
               "WRITE space=common off=24 width=4 value=0x10", "RD reg=status", *ready(i), OK])
seq("access-common-three-bytes", "m", "safe", "3-byte reads and writes of the common configuration (window)",
    lambda i: [*init(i), "READ space=common off=20 width=3 via=window", "READ space=common off=21 width=3 via=window",
               "WRITE space=common off=22 width=3 via=window value=0xffffff", "READ space=common off=0 width=3 via=window",
               *ready(i), OK])
seq("access-common-past-end", "m", "safe", "reads and writes past the last common configuration field",
    lambda i: [*init(i), "READ space=common off=0x40 width=4", "WRITE space=common off=0x40 width=4 value=1",
               "READ space=common off=0x7c width=4", "WRITE space=common off=0x3c width=4 value=0xffffffff",
               *ready(i), OK])
seq("access-notify-odd", "m", "safe", "notify area written with odd widths and at odd offsets",
    lambda i: [*ready(i), "WRITE space=notify off=1 width=1 value=0", "WRITE space=notify off=0 width=4 value=0",
               "WRITE space=notify off=3 width=2 value=0 plus=target", "READ space=notify off=0 width=4", OK])
seq("access-notify-past-bar", "m", "ignore", "notifications at offsets past the end of the notify BAR (window)",
    lambda i: [*ready(i), "WRITE space=notify off=0x100000 width=2 value=0 plus=target via=window",
               "WRITE space=notify off=0xfffffffe width=2 value=0 plus=target via=window",
               "READ space=notify off=0x100000 width=4 via=window", OK])
seq("access-isr-odd", "m", "safe", "ISR read with widths 2 and 4, written",
    lambda i: [*ready(i), "READ space=isr off=0 width=2", "READ space=isr off=0 width=4",
               "WRITE space=isr off=0 width=1 value=0xff", OK])
seq("window-read-matches", "m", "accept", "the pci_cfg window reads what a direct read of the same field reads",
    lambda i: [*init(i), "READ space=common off=18 width=2",
               "READ space=common off=18 width=2 via=window expect=unchanged req=dev.pci_cfg_access.3",
               "READ space=common off=0 width=4", "READ space=common off=0 width=4 via=window expect=unchanged "
               "req=dev.pci_cfg_access.3", "READ space=common off=20 width=1",
               "READ space=common off=20 width=1 via=window expect=unchanged req=dev.pci_cfg_access.3"])
seq("window-write-reaches", "m", "accept", "a write through the pci_cfg window reaches the register",
    lambda i: [*init(i), "WRITE space=common off=22 width=2 value=0 plus=target via=window",
               "RD reg=qselect expect=eq value=0 plus=target req=dev.pci_cfg_access.2",
               "WRITE space=common off=22 width=2 value=0 via=window",
               "RD reg=qselect expect=eq value=0 req=dev.pci_cfg_access.2",
               "WRITE space=common off=8 width=4 value=1 via=window",
               "RD reg=gfselect expect=eq value=1 req=dev.pci_cfg_access.2"])
seq("window-odd-offsets", "m", "safe", "the pci_cfg window at unaligned offsets and lengths 3 and 8",
    lambda i: [*init(i), "READ space=common off=21 width=2 via=window", "READ space=common off=23 width=4 via=window",
               "READ space=common off=1 width=3 via=window", "READ space=common off=0 width=8 via=window",
               "WRITE space=common off=21 width=2 via=window value=0", "READ space=common off=18 width=2",
               "READ space=common off=18 width=2 via=window expect=unchanged req=dev.pci_cfg_access.3",
               *ready(i), OK])
seq("window-bad-bar", "m", "ignore", "the pci_cfg window aimed at BARs that do not exist",
    lambda i: [*init(i), "READ space=bar bar=6 off=0 width=4 via=window",
               "READ space=bar bar=255 off=0 width=4 via=window",
               "WRITE space=bar bar=7 off=0 width=4 value=0 via=window",
               "READ space=bar bar=3 off=0 width=4 via=window", "READ space=common off=18 width=2",
               "READ space=common off=18 width=2 via=window expect=unchanged req=dev.pci_cfg_access.3",
               *ready(i), OK])
seq("window-device-config", "m", "accept", "device configuration through the window equals a direct read",
    lambda i: ["READ space=device off=0 width=4",
               "READ space=device off=0 width=4 via=window expect=unchanged req=dev.pci_cfg_access.3",
               "READ space=device off=1 width=2 via=window", "READ space=device off=2 width=2",
               "READ space=device off=2 width=2 via=window expect=unchanged req=dev.pci_cfg_access.3"],
    types="net,blk,console,scsi")
seq("pci-capability-writes", "m", "ignore", "writes to the read-only fields of the virtio capabilities",
    lambda i: ["READ space=pci off=0x40 width=4", "READ space=common off=18 width=2", *init(i),
               "READ space=common off=18 width=2", *ready(i), OK])

# ---- legacy I/O ----

seq("legacy-pfn-while-live", "l", "safe", "the queue PFN rewritten while the queue is live, then torn down",
    lambda i: [*ready(i), OK, sel_target(), "WR reg=qpfn value=0x8000", "NOTIFY q=target", "SLEEP ms=20",
               "WR reg=qpfn value=ALL", "NOTIFY q=target", *ready(i), OK])
seq("legacy-pfn-same-twice", "l", "safe", "the queue PFN written twice with the same page while running",
    lambda i: [*ready(i), sel_target(), "WR reg=qpfn value=0x4000", "WR reg=qpfn value=0x4000",
               "NOTIFY q=target", "REQUEST q=target ms=200"])
seq("legacy-queue-size-read-only", "l", "ignore", "the legacy queue size is fixed: a write does not change it",
    lambda i: [sel_target(), "RD reg=qsize", "WRITE space=legacy off=12 width=2 value=4",
               "RD reg=qsize expect=unchanged req=dev.implied.legacy_queue",
               "WRITE space=legacy off=12 width=2 value=0", "RD reg=qsize expect=unchanged req=dev.implied.legacy_queue",
               *ready(i), OK])
seq("legacy-host-features-read-only", "l", "ignore", "host features written: they stay what the device offers",
    lambda i: ["RD reg=df", "WRITE space=legacy off=0 width=4 value=0",
               "RD reg=df expect=unchanged req=dev.implied.legacy_io_layout",
               "WRITE space=legacy off=0 width=4 value=0xffffffff",
               "RD reg=df expect=unchanged req=dev.implied.legacy_io_layout", *ready(i), OK])
seq("legacy-sub-word", "l", "safe", "legacy registers read and written with odd widths and offsets",
    lambda i: ["RESET ms=500 expect=eq req=dev.reset.1", "READ space=legacy off=18 width=1 expect=eq value=0 req=dev.reset.1",
               "READ space=legacy off=17 width=2", "READ space=legacy off=15 width=4", "READ space=legacy off=1 width=2",
               "WRITE space=legacy off=15 width=1 value=0xff", "WRITE space=legacy off=17 width=2 value=0",
               *ready(i), OK])
seq("legacy-notify-odd", "l", "safe", "legacy queue notify written with a byte, a dword and odd values",
    lambda i: [*ready(i), "WRITE space=legacy off=16 width=1 value=0 plus=target",
               "WRITE space=legacy off=16 width=4 value=0 plus=target", "WRITE space=legacy off=17 width=1 value=0xff",
               OK])
seq("legacy-guest-features-after-driver-ok", "l", "safe", "legacy guest features rewritten while running",
    lambda i: [*ready(i), OK, "FEATURES value=0xffffffff", "RD reg=gf", "REQUEST q=target ms=300"])
seq("legacy-past-registers", "l", "safe", "reads and writes past the device configuration in BAR0",
    lambda i: [*init(i), "READ space=legacy off=0x1c width=4", "READ space=legacy off=0x1e width=2",
               "READ space=legacy off=0x1f width=1", *ready(i), OK])

seq("legacy-queue-size-fixed", "l", "accept", "the legacy queue size stays the same through init and a reset",
    lambda i: [sel_target(), "RD reg=qsize", *ready(i), sel_target(),
               "RD reg=qsize expect=unchanged req=dev.implied.legacy_queue", "RESET ms=500 expect=eq req=dev.reset.1",
               sel_target(), "RD reg=qsize expect=unchanged req=dev.implied.legacy_queue"])
seq("legacy-pfn-readback", "l", "accept", "the queue PFN reads back the page written",
    lambda i: [*init(i), sel_target(), "WR reg=qpfn value=0x4000",
               "RD reg=qpfn expect=eq value=0x4000 req=dev.implied.legacy_queue", "WR reg=qpfn value=ALL",
               "RD reg=qpfn expect=eq value=0 req=dev.implied.legacy_queue"])
seq("legacy-ring-layout", "l", "accept",
    "a request on a ring laid out the legacy way (used ring on the next 4096-byte boundary) completes",
    lambda i: [*ready(i), "REQUEST q=target expect=eq ms=1000 req=dev.implied.legacy_queue", OK])
seq("legacy-pfn-unaligned", "l", "safe", "a ring offset inside a page: the PFN names its page",
    lambda i: [*init(i), sel_target(), "WR reg=qpfn value=0x4800", "RD reg=qpfn", "WR reg=qpfn value=ALL",
               "QSETUP q=target", f"WR reg=status value={DOK[i]}", OK])
seq("legacy-notify-no-ring", "l", "ignore", "a queue with no ring (PFN 0) notified",
    lambda i: [*init(i), "NOTIFY q=target", "NOTIFY q=target", "QSETUP q=target",
               f"WR reg=status value={DOK[i]}", OK])
seq("legacy-queue-after-driver-ok", "l", "accept",
    "DRIVER_OK first, the queue set up after it (as old legacy drivers did)",
    lambda i: [*init(i), f"WR reg=status value={DOK[i]}", "QSETUP q=target", OK])
seq("legacy-features-ok-bit", "l", "safe", "the modern FEATURES_OK bit written through the legacy status",
    lambda i: [*init(i), "WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK", "RD reg=status", "QSETUP q=target",
               "WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK", OK])
seq("legacy-all-queues-pfn", "l", "safe", "every queue given the same page, then torn down",
    lambda i: [*init(i), *[line for q in range(4) for line in
                           (f"WR reg=qselect value={q}", "WR reg=qpfn value=0x8000")],
               f"WR reg=status value={DOK[i]}", "NOTIFY q=target",
               *[line for q in range(4) for line in (f"WR reg=qselect value={q}", "WR reg=qpfn value=ALL")],
               *ready(i), OK])
seq("legacy-isr-odd", "l", "safe", "the legacy ISR read as part of wider accesses",
    lambda i: [*ready(i), OK, "READ space=legacy off=18 width=2", "READ space=legacy off=16 width=4",
               "RD reg=isr", "RD reg=isr expect=eq value=0 req=dev.pci_isr.5", OK])

seq("legacy-reset-then-notify", "l", "refuse", "legacy: a reset, then the old queue notified with a request in it",
    lambda i: [*ready(i), OK, "RESET ms=500 expect=eq req=dev.reset.1", "NOTIFY q=target",
               "REQUEST q=target expect=ne ms=150 req=dev.reset.2"])
seq("legacy-queue-before-features", "l", "accept", "legacy: the queue set up before the features are written",
    lambda i: ["RESET ms=500 expect=eq req=dev.reset.1", "WR reg=status value=ACKNOWLEDGE",
               "WR reg=status value=ACKNOWLEDGE|DRIVER", "QSETUP q=target", "FEATURES value=0",
               f"WR reg=status value={DOK[i]}", OK])
seq("legacy-config-sub-word", "l", "safe", "legacy device configuration read by byte, word and dword at odd offsets",
    lambda i: ["READ space=device off=1 width=1", "READ space=device off=1 width=2", "READ space=device off=3 width=4",
               "READ space=device off=0 width=4", "READ space=device off=0 width=4",
               *ready(i), OK], types="net,blk,console,scsi")
seq("legacy-select-sweep", "l", "safe", "legacy: every queue index up to past the last selected and its size read",
    lambda i: [*[line for q in range(6) for line in (f"WR reg=qselect value={q}", "RD reg=qsize")],
               "WR reg=qselect value=0xffff", "RD reg=qsize", *ready(i), OK])

seq("legacy-reset-before-driver-ok", "l", "accept", "legacy: a PFN given, then a reset before DRIVER_OK forgets it",
    lambda i: [*init(i), sel_target(), "WR reg=qpfn value=0x4000", "RESET ms=500 expect=eq req=dev.reset.1",
               sel_target(), "RD reg=qpfn expect=eq value=0 req=dev.implied.legacy_queue", *ready(i), OK])
seq("legacy-notify-every-queue", "l", "safe", "legacy: queue notify written with every index up to past the last",
    lambda i: [*ready(i), *[f"NOTIFY q=target value={q}" for q in range(1, 8)], "NOTIFY q=target value=0xffff",
               "REQUEST q=target expect=eq ms=1000 req=dev.vq_avail_supp.5"])

# ---- device configuration the control plane reaches ----

seq("blk-config-padding", "ml", "accept", "virtio-blk: the padding byte after writeback reads 0, before and after init",
    lambda i: ["READ space=device off=33 width=1 expect=eq value=0 req=dev.blk_init.3", *ready(i),
               "READ space=device off=33 width=1 expect=eq value=0 req=dev.blk_init.3", OK], types="blk")
seq("blk-wce-without-flush", "ml", "accept",
    "virtio-blk: CONFIG_WCE negotiated without FLUSH: writeback reads 0 once running",
    lambda i: [*init(i, f"VERSION_1|{CONFIG_WCE}"), "QSETUP q=target", f"WR reg=status value={DOK[i]}",
               "READ space=device off=32 width=1 expect=eq value=0 req=dev.blk_init.2", OK] if i == "m" else
              [f"INIT value={CONFIG_WCE} ms=1000", "QSETUP q=target", f"WR reg=status value={DOK[i]}",
               "READ space=device off=32 width=1 expect=eq value=0 req=dev.blk_init.2", OK],
    features=CONFIG_WCE, types="blk")
seq("scsi-sizes-after-reset", "ml", "accept", "virtio-scsi: sense and CDB sizes written, then a reset: 96 and 32 again",
    lambda i: [*init(i), "WRITE space=device off=20 width=4 value=64", "WRITE space=device off=24 width=4 value=16",
               "READ space=device off=20 width=4", "RESET ms=500 expect=eq req=dev.reset.1",
               "READ space=device off=20 width=4 expect=eq value=96 req=dev.scsi_cfg.1",
               "READ space=device off=24 width=4 expect=eq value=32 req=dev.scsi_cfg.1", *ready(i), OK],
    types="scsi")


def valid_ids():
    return {r["short"] for r in specs.requirements()}


def header(name, i, spec, what, features, types, body):
    reqs = []
    for line in body:
        m = re.search(r"\breq=(\S+)", line)
        if m and m.group(1) not in reqs:
            reqs.append(m.group(1))
    modes = MODES[i] if i in MODES else "modes=legacy,transitional,modern"
    h = f"ctl name={(name + ('' if i == 'a' else '.' + i))[-32:]} {modes} spec={spec}"
    if features:
        h += f" features={features}"
    if types:
        h += f" types={types}"
    return [f"# {what}", h] + ([f"requires {','.join(reqs)}"] if reqs else [])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    ids = valid_ids() | {"-"}
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.endswith(".ctl"):
            os.remove(os.path.join(out, f))
    n = {"l": 0, "m": 0}
    for name, ifaces, spec, what, body, features, types in SEQS:
        for i in ("a",) if ifaces == "a" else tuple(ifaces):
            lines = body(i)
            for line in lines:
                for r in re.findall(r"\breq=(\S+)", line):
                    if r not in ids:
                        sys.exit(f"gen_control.py: {name}: unknown requirement {r}")
            text = "\n".join(header(name, i, spec, what, features, types, lines) + lines) + "\n"
            fname = f"{name}.ctl" if i == "a" else f"{name}.{i}.ctl"
            with open(os.path.join(out, fname), "w", encoding="ascii") as fh:
                fh.write(text)
            for k in ("l", "m") if i == "a" else (i,):
                n[k] += 1
    print(f"gen_control.py: {sum(n.values())} sequence files in {out}: {n['m']} through the modern interface, "
          f"{n['l']} through the legacy one (transitional devices play both)")


if __name__ == "__main__":
    main()
