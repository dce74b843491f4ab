"""A user's libvirt domain XML, read without trusting it: bounded in size,
no DTD (so no entities), a <domain> root, x86_64. read() gives the parsed
tree or a DomainError that names the file and says what is wrong; the
file itself is only ever read."""
import xml.etree.ElementTree as ET

from . import libvirt_place

MAX_BYTES = 1 << 20          # a domain XML is a few KiB
QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
VIRTIO_MODELS = ("virtio-transitional", "virtio-non-transitional")

ET.register_namespace("qemu", QEMU_NS)


class DomainError(Exception):
    """The domain XML cannot be used (a message for the user)."""


def read(path):
    """The <domain> element of the file at path."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise DomainError(f"{path}: is a folder, not a domain XML file") from None
    except FileNotFoundError:
        raise DomainError(f"{path}: no such file") from None
    except OSError as e:
        raise DomainError(f"{path}: cannot read: {e.strerror or e}") from None
    return parse(data, path)


def parse(data, path="domain XML"):
    if len(data) > MAX_BYTES:
        raise DomainError(f"{path}: more than {MAX_BYTES >> 10} KiB: not a domain XML")
    # libvirt takes no DTD; refusing one keeps entity expansion out entirely
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise DomainError(f"{path}: has a DOCTYPE or ENTITY declaration (libvirt's domain XML has none)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        line, col = e.position
        raise DomainError(f"{path}:{line}:{col + 1}: malformed XML: {_reason(e)}") from None
    except (ValueError, RecursionError) as e:
        raise DomainError(f"{path}: malformed XML: {e}") from None
    if root.tag != "domain":
        raise DomainError(f"{path}: the root element is {ascii(_short(root.tag))}, not 'domain'")
    os_type = root.find("os/type")
    if os_type is None:
        raise DomainError(f"{path}: no <os><type> element (a domain for a QEMU guest has <type>hvm</type>)")
    if (os_type.text or "").strip() != "hvm":
        raise DomainError(f"{path}: <os><type> is {ascii((os_type.text or '').strip())}, not hvm (a QEMU guest)")
    arch = os_type.get("arch", "x86_64")
    if arch != "x86_64":
        raise DomainError(f"{path}: arch {ascii(arch)}: vconform boots an x86_64 guest")
    if root.find("devices") is None:
        raise DomainError(f"{path}: no <devices> element")
    check_models(root, path)
    return root


def _reason(e):
    """expat's message without the position (the caller puts it first)."""
    return str(e).split(": line ")[0]


def _short(tag):
    return tag.split("}")[-1]


def check_models(root, path):
    """A model that looks like a virtio one but is not one libvirt knows
    is a typo: said here, before any daemon starts."""
    for el in root.find("devices"):
        for row in libvirt_place.device_rows(el.tag):
            if not libvirt_place.holds(el, row["where"]):
                continue
            model = libvirt_place.attr(el, row["model"])
            known = set(row["plain"].split(",")) | set(VIRTIO_MODELS)
            if model and model.startswith("virtio") and model not in known:
                raise DomainError(f"{path}: <{el.tag}> has the unknown model {ascii(model)} "
                                  f"(virtio models: {', '.join(sorted(known - {'-'}))})")


def name_of(root):
    el = root.find("name")
    return (el.text or "").strip() if el is not None else ""


def tostring(root):
    return ET.tostring(root, encoding="unicode")
