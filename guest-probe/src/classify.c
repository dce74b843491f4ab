/* Reads a function's config space, walks its capability list without
 * trusting it, and classifies the device mode with the rules in specs/. */
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "vc/spec_devices.h"
#include "vc/spec_modes.h"

#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }

const char *vp_cap_type_name(unsigned t)
{
    static const char *const n[VC_CAP_TYPES] = {"?", "common", "notify", "isr", "device",
                                                "pci-cfg", "?", "?", "shared-memory", "vendor"};
    return t < VC_CAP_TYPES ? n[t] : "unknown";
}

bool vp_dev_read(vp_dev *d, vp_fn *f, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->fn = f;
    for (unsigned off = 0; off < sizeof d->cfg; off += 4) {
        uint32_t v;
        if (!vp_cfg32(f, off, &v)) {
            snprintf(err, errlen, "config space read at 0x%x failed", off);
            return false;
        }
        memcpy(d->cfg + off, &v, 4); /* x86 and the sim: little endian */
    }
    d->vendor = le16(d->cfg + 0);
    d->device = le16(d->cfg + 2);
    d->command = le16(d->cfg + 4);
    d->status = le16(d->cfg + 6);
    d->revision = d->cfg[8];
    d->class_code = le32(d->cfg + 8) >> 8;
    d->subsys_vendor = le16(d->cfg + 0x2c);
    d->subsys_device = le16(d->cfg + 0x2e);
    d->type = "unknown";
#define X(id, shortname, legacy_pci, modern_pci, seed)                                         \
    if ((legacy_pci && d->device == legacy_pci) || d->device == modern_pci) {                  \
        d->virtio_id = id;                                                                     \
        d->type = shortname;                                                                   \
    }
    VC_DEVICE_TYPES(X)
#undef X
    if (d->virtio_id == 0 && d->device >= VC_PCI_MODERN_BASE && d->device <= VC_PCI_MODERN_HI)
        d->virtio_id = (uint16_t)(d->device - VC_PCI_MODERN_BASE); /* a type the specs table lacks */
    d->id_legacy = d->device >= VC_PCI_LEGACY_LO && d->device <= VC_PCI_LEGACY_HI;
    d->io_bar0 = f->bar[0].present && f->bar[0].io;

    /* Capability walk: bounded, loop-safe, pointers masked as PCI says. */
    for (unsigned t = 0; t < VC_CAP_TYPES; t++)
        d->first[t] = -1;
    d->msix_pos = -1;
    d->pio_notify = -1;
    d->cap_list = (d->status & 0x10) != 0;
    d->cap_walk_ok = true;
    if (!d->cap_list)
        return true;
    uint8_t seen[256 / 8] = {0};
    unsigned pos = d->cfg[0x34] & 0xfc;
    for (unsigned steps = 0; pos; steps++) {
        if (pos < 0x40 || pos > 0xfc) {
            snprintf(d->cap_walk_err, sizeof d->cap_walk_err, "capability pointer 0x%02x outside 0x40-0xfc", pos);
            d->cap_walk_ok = false;
            break;
        }
        if (seen[pos / 8] & (1u << (pos % 8)) || steps >= 64) {
            snprintf(d->cap_walk_err, sizeof d->cap_walk_err, "capability list loops at 0x%02x", pos);
            d->cap_walk_ok = false;
            break;
        }
        seen[pos / 8] |= (uint8_t)(1u << (pos % 8));
        d->nstd++;
        uint8_t id = d->cfg[pos], next = d->cfg[pos + 1];
        if (id == PCI_CAP_ID_MSIX && pos + 4 <= 0xfc) {
            uint16_t ctl = le16(d->cfg + pos + 2);
            d->msix_pos = (int)pos;
            d->msix_size = (ctl & 0x7ff) + 1u;
            d->msix_enabled = (ctl & 0x8000) != 0;
        } else if (id == PCI_CAP_ID_VNDR && d->nvcap < VP_MAX_CAPS) {
            vp_vcap *v = &d->vcap[d->nvcap];
            memset(v, 0, sizeof *v);
            v->pos = (uint8_t)pos;
            v->cap_len = d->cfg[pos + 2];
            if (pos + 16 > 256) {
                snprintf(d->cap_walk_err, sizeof d->cap_walk_err, "vendor capability at 0x%02x runs past config space", pos);
                d->cap_walk_ok = false;
                break;
            }
            v->cfg_type = d->cfg[pos + 3];
            v->bar = d->cfg[pos + 4];
            v->id = d->cfg[pos + 5];
            v->offset = le32(d->cfg + pos + 8);
            v->length = le32(d->cfg + pos + 12);
            if (v->cfg_type == VC_CAP_NOTIFY && pos + 20 <= 256)
                v->notify_mult = le32(d->cfg + pos + 16);
            if (v->cfg_type == VC_CAP_SHM && pos + 24 <= 256) {
                v->shm_offset = v->offset | (uint64_t)le32(d->cfg + pos + 16) << 32;
                v->shm_length = v->length | (uint64_t)le32(d->cfg + pos + 20) << 32;
            }
            /* The first capability of a type whose BAR is usable is the one a driver uses. */
            if (v->cfg_type < VC_CAP_TYPES && d->first[v->cfg_type] < 0 &&
                (v->cfg_type == VC_CAP_PCI_CFG || (v->bar < VP_NBARS && f->bar[v->bar].present &&
                                                    !f->bar[v->bar].io)))
                d->first[v->cfg_type] = (int)d->nvcap;
            if (v->cfg_type == VC_CAP_NOTIFY && d->pio_notify < 0 && v->bar < VP_NBARS &&
                f->bar[v->bar].present && f->bar[v->bar].io)
                d->pio_notify = (int)d->nvcap;
            d->nvcap++;
        }
        pos = next & 0xfc;
    }
    return true;
}

void vp_dev_classify(vp_dev *d)
{
    int rev = d->revision == 0 ? 0 : 1;
    int io = d->io_bar0 ? 1 : 0;
    int caps = d->first[VC_CAP_COMMON] >= 0 ? 1 : 0;
    d->mode = "invalid";
    snprintf(d->mode_why, sizeof d->mode_why, "device id 0x%04x outside the virtio ranges", d->device);
#define X(name, lo, hi, r, iob, cp, req)                                                          \
    if (!strcmp(d->mode, "invalid") && d->device >= lo && d->device <= hi && (r < 0 || r == rev) && \
        (iob < 0 || iob == io) && (cp < 0 || cp == caps)) {                                       \
        d->mode = name;                                                                           \
        snprintf(d->mode_why, sizeof d->mode_why,                                                 \
                 "id 0x%04x, revision %u, BAR0 %s, %s virtio capabilities (rule '%s', %s)",       \
                 d->device, d->revision, io ? "I/O" : "not I/O", caps ? "with" : "without", name, req); \
        goto done;                                                                                \
    }
    VC_MODE_RULES(X)
#undef X
done:
    if (d->vendor != VC_PCI_VENDOR) {
        d->mode = "invalid";
        snprintf(d->mode_why, sizeof d->mode_why, "vendor 0x%04x is not 0x%04x", d->vendor, VC_PCI_VENDOR);
    }
}

void vp_dev_record(vp_report *r, const vp_dev *d)
{
    vp_json j;
    char hex[16];
    vp_json_open(&j);
    vp_json_uint(&j, "v", VP_PROTOCOL_VERSION);
    vp_json_str(&j, "type", "device");
    vp_json_str(&j, "addr", d->fn->addr);
    if (d->fn->slot_path[0])
        vp_json_str(&j, "slot_path", d->fn->slot_path);
#define HEX(key, val, w)                                                                         \
    do {                                                                                         \
        snprintf(hex, sizeof hex, "0x%0*x", w, (unsigned)(val));                                 \
        vp_json_str(&j, key, hex);                                                               \
    } while (0)
    HEX("vendor", d->vendor, 4);
    HEX("device", d->device, 4);
    HEX("revision", d->revision, 2);
    HEX("subsys_vendor", d->subsys_vendor, 4);
    HEX("subsys_device", d->subsys_device, 4);
    HEX("class", d->class_code, 6);
    vp_json_str(&j, "dev_type", d->type);
    vp_json_uint(&j, "virtio_id", d->virtio_id);
    vp_json_str(&j, "mode", d->mode);
    vp_json_str(&j, "why", d->mode_why);
    vp_json_str(&j, "kernel_driver", d->fn->driver);
    vp_json_begin(&j, "signals", '{');
    vp_json_bool(&j, "legacy_id", d->id_legacy);
    vp_json_bool(&j, "revision_0", d->revision == 0);
    vp_json_bool(&j, "io_bar0", d->io_bar0);
    vp_json_bool(&j, "virtio_caps", d->first[VC_CAP_COMMON] >= 0);
    vp_json_bool(&j, "subsys_is_type", d->subsys_device == d->virtio_id);
    vp_json_bool(&j, "cap_walk_ok", d->cap_walk_ok);
    vp_json_end(&j, '}');
    vp_json_begin(&j, "bars", '[');
    for (unsigned i = 0; i < VP_NBARS; i++) {
        const vp_bar *b = &d->fn->bar[i];
        if (!b->present)
            continue;
        vp_json_begin(&j, NULL, '{');
        vp_json_uint(&j, "bar", i);
        vp_json_str(&j, "space", b->io ? "io" : "mem");
        vp_json_bool(&j, "mem64", b->mem64);
        vp_json_bool(&j, "prefetch", b->prefetch);
        vp_json_uint(&j, "size", b->size);
        vp_json_end(&j, '}');
    }
    vp_json_end(&j, ']');
    vp_json_begin(&j, "caps", '[');
    for (unsigned i = 0; i < d->nvcap; i++) {
        const vp_vcap *v = &d->vcap[i];
        vp_json_begin(&j, NULL, '{');
        vp_json_str(&j, "kind", vp_cap_type_name(v->cfg_type));
        vp_json_uint(&j, "pos", v->pos);
        vp_json_uint(&j, "bar", v->bar);
        vp_json_uint(&j, "offset", v->offset);
        vp_json_uint(&j, "length", v->length);
        if (v->cfg_type == VC_CAP_NOTIFY)
            vp_json_uint(&j, "notify_off_multiplier", v->notify_mult);
        vp_json_end(&j, '}');
    }
    if (d->msix_pos >= 0) {
        vp_json_begin(&j, NULL, '{');
        vp_json_str(&j, "kind", "msix");
        vp_json_uint(&j, "pos", (unsigned)d->msix_pos);
        vp_json_uint(&j, "table_size", d->msix_size);
        vp_json_bool(&j, "enabled", d->msix_enabled);
        vp_json_end(&j, '}');
    }
    vp_json_end(&j, ']');
#undef HEX
    vp_report_record(r, vp_json_close(&j));
}
