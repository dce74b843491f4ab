"""Layouts the trace judge needs: the virtio PCI common configuration and
legacy header offsets (transport-pci.tex), the device-config fields a
feature guards and the wide fields read in pieces, per type. Feature bit
numbers come from specs/features.tsv by name, never written here."""
from . import specs

# status bits (content.tex, Device Status Field)
ACK, DRIVER, DRIVER_OK, FEATURES_OK, NEEDS_RESET, FAILED = 1, 2, 4, 8, 0x40, 0x80
NO_VECTOR = 0xffff

# modern common configuration: offset -> (field, width)
COMMON = {0: ("device_feature_select", 4), 4: ("device_feature", 4), 8: ("driver_feature_select", 4),
          12: ("driver_feature", 4), 16: ("config_msix_vector", 2), 18: ("num_queues", 2),
          20: ("device_status", 1), 21: ("config_generation", 1), 22: ("queue_select", 2),
          24: ("queue_size", 2), 26: ("queue_msix_vector", 2), 28: ("queue_enable", 2),
          30: ("queue_notify_off", 2), 32: ("queue_desc_lo", 4), 36: ("queue_desc_hi", 4),
          40: ("queue_driver_lo", 4), 44: ("queue_driver_hi", 4), 48: ("queue_device_lo", 4),
          52: ("queue_device_hi", 4), 56: ("queue_notif_config_data", 2), 58: ("queue_reset", 2),
          60: ("admin_queue_index", 2), 62: ("admin_queue_num", 2)}
COMMON_RO = {"device_feature", "num_queues", "config_generation", "queue_notify_off", "queue_notif_config_data"}

# legacy header (I/O BAR0): offset -> (field, width); the MSI-X pair only while MSI-X is on
LEGACY = {0: ("device_feature", 4), 4: ("driver_feature", 4), 8: ("queue_pfn", 4), 12: ("queue_num", 2),
          14: ("queue_select", 2), 16: ("queue_notify", 2), 18: ("device_status", 1), 19: ("isr", 1)}
LEGACY_MSIX = {20: ("config_msix_vector", 2), 22: ("queue_msix_vector", 2)}
LEGACY_CFG, LEGACY_CFG_MSIX = 20, 24


def bit(name):
    """Feature bit number of name (e.g. VIRTIO_F_VERSION_1) from specs/features.tsv."""
    for f in specs.features():
        if f["name"] == name:
            return int(f["bit"])
    raise KeyError(name)


def feature_table(dev_type):
    """{bit: row} of the bits the type and the transport define."""
    return {int(f["bit"]): f for f in specs.features() if f["device"] in ("transport", dev_type)}


# device-config fields a feature guards (drv.cfgspace.2): type -> [(start, end, feature name)]
GUARDED = {
    "blk": [(8, 12, "VIRTIO_BLK_F_SIZE_MAX"), (12, 16, "VIRTIO_BLK_F_SEG_MAX"), (16, 20, "VIRTIO_BLK_F_GEOMETRY"),
            (20, 24, "VIRTIO_BLK_F_BLK_SIZE"), (24, 32, "VIRTIO_BLK_F_TOPOLOGY"),
            (32, 33, "VIRTIO_BLK_F_CONFIG_WCE"), (34, 36, "VIRTIO_BLK_F_MQ"), (36, 48, "VIRTIO_BLK_F_DISCARD"),
            (48, 57, "VIRTIO_BLK_F_WRITE_ZEROES"), (60, 72, "VIRTIO_BLK_F_SECURE_ERASE")],
    "net": [(0, 6, "VIRTIO_NET_F_MAC"), (6, 8, "VIRTIO_NET_F_STATUS"), (8, 10, "VIRTIO_NET_F_MQ"),
            (10, 12, "VIRTIO_NET_F_MTU"), (12, 17, "VIRTIO_NET_F_SPEED_DUPLEX")],
    "console": [(0, 4, "VIRTIO_CONSOLE_F_SIZE"), (4, 8, "VIRTIO_CONSOLE_F_MULTIPORT"),
                (8, 12, "VIRTIO_CONSOLE_F_EMERG_WRITE")],
    "balloon": [(8, 12, "VIRTIO_BALLOON_F_FREE_PAGE_HINT"), (12, 16, "VIRTIO_BALLOON_F_PAGE_POISON")],
}

# fields wider than one access (read in pieces: drv.cfgspace.1): type -> [(start, end, piece size or 0
# for any)]; input's union holds byte strings and bitmaps, but also ids and abs info of 2- and 4-byte
# fields, each read whole
WIDE = {"blk": [(0, 8, 0)], "net": [(0, 6, 0)], "input": [(8, 136, 1)]}

# device-config bytes a driver may write (the rest is read-only to it): type -> [(start, end)], with the rule
WRITABLE = {"net": ([], "drv.net_cfg.1"), "scsi": ([(20, 28)], "drv.scsi_cfg.1"),
            "input": ([(0, 2)], "drv.input_init.2")}

# a driver should accept these when offered: (requirement, feature name, type or None for any)
ACCEPT_WHEN_OFFERED = [
    ("drv.reserved_features.1", "VIRTIO_F_VERSION_1", None),
    ("drv.reserved_features.3", "VIRTIO_F_ACCESS_PLATFORM", None),
    ("drv.reserved_features.5", "VIRTIO_F_RING_PACKED", None),
    ("drv.reserved_features.6", "VIRTIO_F_ORDER_PLATFORM", None),
    ("drv.reserved_features.12", "VIRTIO_F_NOTIF_CONFIG_DATA", None),
    ("drv.blk_op.3", "VIRTIO_BLK_F_RO", "blk"),
    ("drv.net_cfg.2", "VIRTIO_NET_F_MAC", "net"),
    ("drv.net_cfg.6", "VIRTIO_NET_F_MTU", "net"),
    ("drv.net_cfg.9", "VIRTIO_NET_F_STANDBY", "net"),
    ("drv.balloon_features.1", "VIRTIO_BALLOON_F_MUST_TELL_HOST", "balloon"),
]

# a driver should not accept the first without the second: (requirement, feature, needed, type)
ACCEPT_ONLY_WITH = [
    ("drv.net_cfg.12", "VIRTIO_NET_F_HASH_REPORT", "VIRTIO_NET_F_CTRL_VQ", "net"),
    ("drv.net_cfg.13", "VIRTIO_NET_F_CTRL_RX_EXTRA", "VIRTIO_NET_F_CTRL_VQ", "net"),
]

# device types whose kernel-driver operation makes queue interrupts (drv.pci_isr.1's condition)
INTERRUPTING = ("blk", "scsi", "net", "rng")
