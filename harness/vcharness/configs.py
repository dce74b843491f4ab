"""Configurations as data: INI stanzas (Python's configparser) in
harness/configs/default.cfg and in the files given with --configs, one per
configuration, naming its machine type, guest profile and devices, and how
each device is plugged in (bus path, address, properties, model variant,
backend, expected mode). README.md ("Configuration files") has the format.
A mistake is a ConfigError naming the file and line."""
import configparser
import functools
import os
import re
from dataclasses import dataclass, field

from . import matrix, specs, topology

DEFAULT_FILE = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "configs", "default.cfg"))

PROFILES = ("probe", "kdrv", "kdrv-legacy")
VARIANTS = ("transitional", "non-transitional")
MODES = ("legacy", "transitional", "modern", "refused")
CONFIG_KEYS = ("machine", "profile", "why", "devices", "bus", "props", "variant", "expect", "vhost", "drv_fault")
DRV_FAULTS = ("avail-jump",)  # the probe's --drv-fault: a driver rule broken on purpose
DEVICE_KEYS = ("bus", "addr", "props", "variant", "backend", "expect")  # as <type>.<key>
# the runner sets these itself: bus and addr come from the keys of that name
RUNNER_PROPS = ("bus", "addr", "id", "drive", "netdev", "rng", "serial", "chardev")
# names become result folders and xfail keys (config/device/check)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
ADDR_RE = re.compile(r"^(?:0x)?([0-9a-f]{1,2})(?:\.([0-7]))?$", re.I)


class ConfigError(ValueError):
    """A mistake in a configurations file; the message names file and line."""


@dataclass(frozen=True)
class Dev:
    """How one device type of a configuration is plugged in."""
    bus: tuple = ()        # QEMU ports and bridges from the root bus; () is the root bus
    addr: tuple = None     # (slot, function) on its bus; None: the first free slot
    props: tuple = ()      # extra -device properties, "name=value", in order
    variant: str = ""      # "", or the -transitional / -non-transitional model
    backend: str = ""      # one of matrix.BACKENDS[type] ("" for types without a choice)
    expect: str = ""       # an expected mode set by hand; "" derives it from specs/

    def prop(self, name, default="auto"):
        """The value of -device property name, as the props give it."""
        for p in self.props:
            k, _, v = p.partition("=")
            if k == name:
                return v
        return default


@dataclass(frozen=True)
class Config:
    name: str
    machine: str             # QEMU machine type
    profile: str = "probe"   # probe, kdrv (kernel's drivers) or kdrv-legacy (force_legacy=1)
    why: str = ""
    devs: tuple = ()         # ((device type, Dev), ...) in the file's order
    source: str = field(default="", compare=False)  # file:line of its stanza
    vhost: bool = False      # every device served by vconform-vhost-dev through QEMU's vhost-user front-ends
    drv_fault: str = ""      # a driver rule the probe breaks on purpose (DRV_FAULTS), for a judge to catch
    provoke: bool = False    # vhost = provoke: the back-end also sets NO_NOTIFY with EVENT_IDX (--provoke)
    offload: bool = False    # vhost = offload: net's back-end offers checksum and TSO offloads (--offers-offload)

    @property
    def devices(self):
        return [t for t, _ in self.devs]

    def dev(self, device):
        for t, d in self.devs:
            if t == device:
                return d
        raise KeyError(f"configuration {self.name} has no {device} device")

    @property
    def shareable(self):
        """False when the configuration needs a VM of its own: explicit
        addresses (another configuration's devices could sit there), or a net
        backend that sends nothing back (the probe's --net-loopback is VM-wide),
        or vhost-user devices (their back-ends and shared memory are the VM's),
        or a planted driver fault (the probe's option holds for a whole VM)."""
        return not self.vhost and not self.drv_fault and \
            all(d.addr is None and (t != "net" or d.backend == "loopback") for t, d in self.devs)


def load(paths):
    """The configurations of the files, in order; a name may appear once."""
    out, seen = [], {}
    for path in paths:
        for c in _load_file(path):
            if c.name in seen:
                raise ConfigError(f"{c.source}: configuration [{c.name}] is already defined at {seen[c.name]}")
            seen[c.name] = c.source
            out.append(c)
    return out


@functools.lru_cache(maxsize=None)
def _default():
    return tuple(load([DEFAULT_FILE]))


def default():
    """The default matrix (harness/configs/default.cfg)."""
    return list(_default())


def _read(path):
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a configurations file") from None
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x})") from None


def _parse(path, text):
    # no [DEFAULT] magic, no %-interpolation, '=' only, comments on their own lines
    cp = configparser.ConfigParser(interpolation=None, delimiters=("=",), comment_prefixes=("#",),
                                   inline_comment_prefixes=None, empty_lines_in_values=False,
                                   default_section="\0")
    try:
        cp.read_string(text, source=path)
    except configparser.DuplicateSectionError as e:
        raise ConfigError(f"{path}:{e.lineno}: configuration [{e.section}] is defined twice") from None
    except configparser.DuplicateOptionError as e:
        raise ConfigError(f"{path}:{e.lineno}: [{e.section}]: {e.option} is given twice") from None
    except configparser.MissingSectionHeaderError as e:
        raise ConfigError(f"{path}:{e.lineno}: {e.line.strip()!r} comes before the first [name] line") from None
    except configparser.ParsingError as e:
        n = e.errors[0][0]
        line = text.splitlines()[n - 1].strip()
        raise ConfigError(f"{path}:{n}: cannot read {line!r} (want key = value)") from None
    except configparser.Error as e:
        raise ConfigError(f"{path}: {e}") from None
    return cp


def _lines(text):
    """{(stanza, key or None): line number}, for messages (configparser keeps none)."""
    where, section = {}, None
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        m = re.match(r"\[(.+)\]", s)
        if m:
            section = m.group(1)
            where[(section, None)] = n
        elif section is not None and line[:1] not in (" ", "\t", "#") and "=" in line:
            where.setdefault((section, line.split("=", 1)[0].strip().lower()), n)
    return where


def _load_file(path):
    text = _read(path)
    cp = _parse(path, text)
    if not cp.sections():
        raise ConfigError(f"{path}: no configurations in it (a [name] line starts each)")
    where = _lines(text)
    return [_config(path, name, dict(cp[name]), where) for name in cp.sections()]


def _config(path, name, keys, where):
    head = where.get((name, None), 0)
    try:
        if not NAME_RE.match(name):
            raise _Bad("a configuration name is letters, digits and . _ + - (it names result folders "
                       "and xfail lines)")
        _check_keys(keys)
        machine, profile, vhost, devices = _basics(keys)
        devs = tuple((d, _dev(machine, d, keys, vhost)) for d in devices)
        drv_fault = keys.get("drv_fault", "")
        if drv_fault and (drv_fault not in DRV_FAULTS or profile != "probe"):
            raise _Bad(f"drv_fault = {drv_fault!r}: want one of {', '.join(DRV_FAULTS)}, with the probe profile "
                       f"(it is the probe's driver that breaks the rule)", "drv_fault")
        config = Config(name, machine, profile, keys.get("why", ""), devs, f"{path}:{head}", vhost, drv_fault,
                        keys.get("vhost") == "provoke", keys.get("vhost") == "offload")
        _check_slots(config)
        try:  # a trial layout and the expected modes: what no key alone shows
            matrix.layout([(config, config.devices)])
            matrix.cells([config], config.devices)
        except ValueError as e:
            raise _Bad(str(e)) from None
    except _Bad as e:
        msg, key = e.args
        raise ConfigError(f"{path}:{where.get((name, key), head)}: [{name}]: {msg}") from None
    return config


class _Bad(Exception):
    """(message, key or None): a mistake in a stanza, reported at the key's line."""

    def __init__(self, msg, key=None):
        super().__init__(msg, key)


def _check_keys(keys):
    for k in keys:
        dev, dot, key = k.rpartition(".")
        if dot and dev not in matrix.SEED_TYPES:
            raise _Bad(f"{k}: unknown device type {dev!r} (one of {', '.join(matrix.SEED_TYPES)})", k)
        if dot and key not in DEVICE_KEYS:
            raise _Bad(f"unknown key {k!r} (a device's keys: {', '.join(DEVICE_KEYS)})", k)
        if not dot and k not in CONFIG_KEYS:
            raise _Bad(f"unknown key {k!r} (one of {', '.join(CONFIG_KEYS)}, or <device>.<key>)", k)


def _basics(keys):
    """(machine, profile, vhost, device types) of a stanza."""
    if not keys.get("machine"):
        raise _Bad("no machine (a QEMU machine type: pc, pc-i440fx-X.Y, q35, pc-q35-X.Y)")
    machine = keys["machine"]
    try:
        specs.machine_class(machine)
    except ValueError as e:
        raise _Bad(str(e), "machine") from None
    profile = keys.get("profile", "probe")
    if profile not in PROFILES:
        raise _Bad(f"profile {profile!r} is not one of {', '.join(PROFILES)}", "profile")
    vhost = keys.get("vhost", "off")
    if vhost not in ("on", "off", "provoke", "offload"):
        raise _Bad(f"vhost = {vhost!r}: want on, off, provoke or offload", "vhost")
    vhost = vhost != "off"
    seeds = [t for t in matrix.SEED_TYPES if t in specs.qemu_vhost()] if vhost else matrix.SEED_TYPES
    devices = keys["devices"].replace(",", " ").split() if "devices" in keys else list(seeds)
    for d in devices:
        if d not in matrix.SEED_TYPES:
            raise _Bad(f"unknown device type {d!r} (one of {', '.join(matrix.SEED_TYPES)})", "devices")
        if d not in seeds:
            raise _Bad(f"QEMU has no vhost-user front-end for {d} (specs/qemu_vhost.tsv: "
                       f"{', '.join(seeds)})", "devices")
    if not devices or len(set(devices)) != len(devices):
        raise _Bad("devices lists each device type once, and at least one", "devices")
    for k in keys:
        if "." in k and k.split(".")[0] not in devices:
            raise _Bad(f"{k}, but {k.split('.')[0]} is not in devices", k)
        if vhost and k.endswith(".backend") and not (k == "blk.backend" and keys[k] == "disk-ro"):
            raise _Bad(f"{k}: a vhost configuration's devices are all served by vconform-vhost-dev "
                       "(blk.backend = disk-ro only: its --read-only)", k)
    return machine, profile, vhost, devices


def _value(keys, device, key, default=""):
    """A device's key: <device>.<key> if given, else the configuration's."""
    k = f"{device}.{key}"
    if k in keys:
        return keys[k], k
    return keys.get(key, default), key


def _dev(machine, device, keys, vhost=False):
    raw, k = _value(keys, device, "bus", "root")
    hops = () if raw.strip() == "root" else tuple(h.strip() for h in raw.split("/"))
    try:
        topology.check_path(machine, hops)
    except ValueError as e:
        raise _Bad(str(e), k) from None
    addr = _parse_addr(machine, hops, keys, f"{device}.addr")
    # a device's props add to the configuration's; a property named in both takes the device's value
    props = {}
    for k in ("props", f"{device}.props"):
        for p in _props(keys.get(k, ""), k):
            props[p.partition("=")[0]] = p
    variant, k = _value(keys, device, "variant")
    if variant and variant not in VARIANTS:
        raise _Bad(f"variant {variant!r} is not one of {', '.join(VARIANTS)}", k)
    if variant and not matrix.has_variant(device, vhost):
        if k != "variant":
            raise _Bad(f"{device} has no {variant} model", k)
        variant = ""  # the configuration's variant covers the types that have one
    choices, k = matrix.BACKENDS[device], f"{device}.backend"
    # vhost-user: the back-end serves the device; only blk's read-only disk is its to choose
    backend = "" if vhost and not (device == "blk" and keys.get(k) == "disk-ro") else \
        keys.get(k, choices[0] if choices else "")
    if backend and backend not in choices:
        raise _Bad(f"{device} backend {backend!r} is not one of {', '.join(choices) or '(none)'}", k)
    expect, k = _value(keys, device, "expect")
    if expect and expect not in MODES:
        raise _Bad(f"expect {expect!r} is not one of {', '.join(MODES)}", k)
    return Dev(hops, addr, tuple(props.values()), variant, backend, expect)


def _parse_addr(machine, hops, keys, k):
    """(slot, function) from key k, or None when it is not given."""
    if k not in keys:
        return None
    m = ADDR_RE.match(keys[k].strip())
    if not m:
        raise _Bad(f"address {keys[k]!r} is not slot[.function] (hex slot, function 0-7: 5, 0x1c.2)", k)
    addr = (int(m.group(1), 16), int(m.group(2) or 0))
    try:
        topology.check_addr(machine, hops, *addr)
    except ValueError as e:
        raise _Bad(str(e), k) from None
    return addr


def _props(text, key):
    out = []
    for p in re.split(r"[,\n]", text):
        if not p.strip():
            continue
        name, eq, value = (x.strip() for x in p.partition("="))
        if not eq or not name:
            raise _Bad(f"property {p.strip()!r} is not name=value", key)
        if name in RUNNER_PROPS:
            raise _Bad(f"property {name} is the runner's (bus paths and addresses have keys of their own)", key)
        if name in ("disable-legacy", "disable-modern") and value not in ("auto", "on", "off"):
            raise _Bad(f"{name}={value}: want on, off or auto", key)
        out.append(f"{name}={value}")
    return out


def _check_slots(config):
    """Explicit addresses: no two devices at one, and a function other than 0
    only in a slot whose function 0 has multifunction=on (as QEMU requires)."""
    at = {}
    for t, d in config.devs:
        if d.addr:
            if (d.bus, d.addr) in at:
                raise _Bad(f"{t} and {at[(d.bus, d.addr)]} are both at {_addr(d.addr)}", f"{t}.addr")
            at[(d.bus, d.addr)] = t
    for (bus, (slot, fn)), t in at.items():
        f0 = at.get((bus, (slot, 0)))
        if fn and (f0 is None or config.dev(f0).prop("multifunction", "off") != "on"):
            raise _Bad(f"{t} at {_addr((slot, fn))} needs a device at {_addr((slot, 0))} with "
                       f"multifunction=on in its props", f"{t}.addr")


def _addr(a):
    return f"{a[0]:x}.{a[1]}"
