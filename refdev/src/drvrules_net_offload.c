/* Network device: the checksum and segmentation fields of a transmit
 * header, judged against the frame's own Ethernet, IP and TCP/UDP headers
 * (drv.net_tx.9, .17, .18, .20, .21, .22). The frame is the driver's:
 * every offset is bounded by what was read, and a rule whose subject the
 * frame does not show (no transport header found) is not reported. */
#include <string.h>

#include "le.h"
#include "refdev/drvrules.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

enum { HF_NEEDS_CSUM = 1 };
enum { GSO_NONE = 0, GSO_TCPV4 = 1, GSO_UDP = 3, GSO_TCPV6 = 4, GSO_UDP_L4 = 5 };
#define GSO_TUNNEL 0x60u
#define GSO_ECN 0x80u
#define TCP_CWR 0x80u
#define PEEK 192u /* frame bytes read: Ethernet, one VLAN tag, IPv4 with options or IPv6, TCP with options */
enum { IPPROTO_TCP_ = 6, IPPROTO_UDP_ = 17 };

/* Where the frame's transport header is and how long it is; l4 == 0 when
 * the frame shows none (not IPv4/IPv6, extension headers, too short). */
typedef struct l4info {
    unsigned l4, len; /* transport header offset and length */
    uint8_t proto;    /* IPPROTO_TCP_ or IPPROTO_UDP_ */
    uint8_t tcp_flags;
} l4info;

static l4info parse(const uint8_t *f, unsigned n)
{
    l4info r = { 0, 0, 0, 0 };
    unsigned l3 = 14;
    if (n < l3)
        return r;
    uint16_t type = vc_get_be16(f + 12);
    if (type == 0x8100 && n >= 18) { /* one VLAN tag */
        type = vc_get_be16(f + 16);
        l3 = 18;
    }
    unsigned l4;
    uint8_t proto;
    if (type == 0x0800 && n >= l3 + 20 && f[l3] >> 4 == 4 && (f[l3] & 0xf) >= 5) {
        l4 = l3 + (f[l3] & 0xfu) * 4;
        proto = f[l3 + 9];
    } else if (type == 0x86dd && n >= l3 + 40 && f[l3] >> 4 == 6) {
        l4 = l3 + 40;
        proto = f[l3 + 6]; /* an extension header is not followed: no transport header seen */
    } else {
        return r;
    }
    if (proto == IPPROTO_TCP_ && n >= l4 + 20 && f[l4 + 12] >> 4 >= 5 && n >= l4 + (f[l4 + 12] >> 4) * 4u) {
        r = (l4info){ l4, (f[l4 + 12] >> 4) * 4u, proto, f[l4 + 13] };
    } else if (proto == IPPROTO_UDP_ && n >= l4 + 8) {
        r = (l4info){ l4, 8, proto, 0 };
    }
    return r;
}

void vc_drvrules_net_offload(vc_dev *d, unsigned q, const vc_chain *c, unsigned hs, const uint8_t *h)
{
    uint64_t len = c->out_bytes - hs;
    uint8_t f[PEEK];
    unsigned n = (unsigned)vc_chain_read(d->mem, c, hs, f, len < PEEK ? len : PEEK);
    l4info t = parse(f, n);
    uint8_t flags = h[0], gso = h[1], base = gso & (uint8_t)~(GSO_TUNNEL | GSO_ECN);
    uint16_t hdr_len = vc_get16(h + 2), gso_size = vc_get16(h + 4);
    uint16_t cstart = vc_get16(h + 6), coff = vc_get16(h + 8);
    bool host_gso = vc_dev_has(d, VIRTIO_NET_F_HOST_TSO4_BIT) || vc_dev_has(d, VIRTIO_NET_F_HOST_TSO6_BIT) ||
                    vc_dev_has(d, VIRTIO_NET_F_HOST_UFO_BIT) || vc_dev_has(d, VIRTIO_NET_F_HOST_USO_BIT);
    bool hdrlen_f = vc_dev_has(d, VIRTIO_NET_F_GUEST_HDRLEN_BIT);

    /* .17: a checksum request names a 16-bit field inside the packet (only
     * with CSUM: without it the flag is the model's drv.net_tx.3) */
    if ((flags & HF_NEEDS_CSUM) && vc_dev_has(d, VIRTIO_NET_F_CSUM_BIT))
        vc_drv_rule(d, (uint64_t)cstart + coff + 2 <= len, "NET_TX_CSUM_OUTSIDE", REQ_DRV_NET_TX_17, (int)q,
                    "csum_start %u + csum_offset %u: past the %llu-byte packet", cstart, coff,
                    (unsigned long long)len);
    if (base != GSO_NONE) {
        /* .20: segmentation implies a checksum request and an MSS */
        vc_drv_rule(d, (flags & HF_NEEDS_CSUM) && gso_size != 0, "NET_TX_GSO_FIELDS", REQ_DRV_NET_TX_20, (int)q,
                    "gso_type 0x%02x with flags 0x%02x, gso_size %u", gso, flags, gso_size);
        /* .18: without a tunnel, the checksum is the one transport header's */
        bool tcp = base == GSO_TCPV4 || base == GSO_TCPV6;
        if (!(gso & GSO_TUNNEL) && t.l4 && t.proto == (tcp ? IPPROTO_TCP_ : IPPROTO_UDP_))
            vc_drv_rule(d, cstart == t.l4 && coff == (tcp ? 16 : 6), "NET_TX_GSO_CSUM_PLACE", REQ_DRV_NET_TX_18,
                        (int)q, "csum_start %u, csum_offset %u; the %s header is at %u", cstart, coff,
                        tcp ? "TCP" : "UDP", t.l4);
        /* .9: a TCP segment with CWR set is sent for segmentation only with
         * HOST_ECN and then with the ECN bit; the bit alone needs HOST_ECN */
        bool cwr = tcp && t.proto == IPPROTO_TCP_ && (t.tcp_flags & TCP_CWR);
        if (cwr || (gso & GSO_ECN))
            vc_drv_rule(d, vc_dev_has(d, VIRTIO_NET_F_HOST_ECN_BIT) && (!cwr || (gso & GSO_ECN)), "NET_TX_GSO_ECN",
                        REQ_DRV_NET_TX_9, (int)q, "gso_type 0x%02x, TCP flags 0x%02x, HOST_ECN %s", gso,
                        t.tcp_flags, vc_dev_has(d, VIRTIO_NET_F_HOST_ECN_BIT) ? "negotiated" : "not negotiated");
    }
    /* .21 / .22: with a host segmentation offload, hdr_len covers the
     * headers through the transport header (exactly, for GSO with
     * GUEST_HDRLEN) */
    if (!host_gso || !t.l4 || (gso & GSO_TUNNEL))
        return;
    unsigned through = t.l4 + t.len;
    if (hdrlen_f && base != GSO_NONE)
        vc_drv_rule(d, hdr_len == through, "NET_TX_HDR_LEN", REQ_DRV_NET_TX_21, (int)q,
                    "hdr_len %u, the headers end at %u", hdr_len, through);
    else
        vc_drv_rule(d, hdr_len >= through, "NET_TX_HDR_LEN_SHORT", REQ_DRV_NET_TX_22, (int)q,
                    "hdr_len %u, the headers end at %u (gso_type 0x%02x)", hdr_len, through, gso);
}
