/* The kernel's virtio_net transmitting offloaded packets: TCP frames handed
 * to a packet socket with PACKET_VNET_HDR become skbs asking for checksum
 * offload and segmentation; the driver then writes its own virtio header
 * for them (virtio_net_hdr_from_skb), which the device side judges
 * (drv.net_tx.9, .17, .18, .20, .22). Only where the driver negotiated
 * CSUM: without it the kernel would checksum and segment them itself. The
 * check waits (bounded) for the device to complete them: virtio_net counts
 * tx_packets on completion, and a guest that powers off first would leave
 * them unjudged in the ring. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kdrv.h"
#include "sysfs_line.h"
#include "vc/spec_features.h"

#define ETHERTYPE_V4 0x0800
#define ETHERTYPE_V6 0x86dd
#define PAYLOAD 2960u /* about two MSS: the packet needs segmenting */
#define MSS 1448u
#define SMALL 200u    /* the checksum-only packet */
#define TCP_ACK_PSH 0x18u
#define TCP_CWR 0x80u

typedef struct pkt {
    struct virtio_net_hdr h;
    uint8_t f[14 + 40 + 20 + PAYLOAD];
} __attribute__((packed)) pkt;

/* Negotiated feature bit, from the virtio device's features string. */
static bool negotiated(const char *ifname, unsigned bit)
{
    char p[300];
    snprintf(p, sizeof p, "/sys/class/net/%s/device/features", ifname);
    return vp_sysfs_feature(p, bit);
}

static uint32_t sum16(const uint8_t *b, size_t n, uint32_t s)
{
    for (size_t i = 0; i < n; i += 2)
        s += (uint32_t)b[i] << 8 | (i + 1 < n ? b[i + 1] : 0);
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* A TCP packet over IPv4 or IPv6 with payload bytes, its TCP checksum
 * field holding the pseudo-header sum (what NEEDS_CSUM asks for); returns
 * the frame length. */
static size_t build(pkt *p, bool v6, unsigned payload, uint8_t tcp_flags)
{
    memset(p, 0, sizeof *p);
    uint8_t *f = p->f;
    static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 2}, src[6] = {0x02, 0, 0, 0, 0, 1};
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    unsigned l3 = 14, l4 = v6 ? 54 : 34, tcp_len = 20 + payload;
    f[12] = (v6 ? ETHERTYPE_V6 : ETHERTYPE_V4) >> 8;
    f[13] = (v6 ? ETHERTYPE_V6 : ETHERTYPE_V4) & 0xff;
    uint8_t *ip = f + l3, *t = f + l4;
    uint32_t ps;
    if (v6) {
        ip[0] = 0x60;
        ip[4] = (uint8_t)(tcp_len >> 8);
        ip[5] = (uint8_t)tcp_len;
        ip[6] = 6; /* TCP */
        ip[7] = 64;
        ip[8] = 0xfd; /* unique local addresses */
        ip[23] = 1;
        ip[24] = 0xfd;
        ip[39] = 2;
        ps = sum16(ip + 8, 32, 6 + tcp_len);
    } else {
        unsigned tot = 20 + tcp_len;
        ip[0] = 0x45;
        ip[2] = (uint8_t)(tot >> 8);
        ip[3] = (uint8_t)tot;
        ip[6] = 0x40; /* DF */
        ip[8] = 64;
        ip[9] = 6;
        static const uint8_t a[8] = {198, 18, 0, 1, 198, 18, 0, 2}; /* benchmarking range */
        memcpy(ip + 12, a, 8);
        uint16_t c = (uint16_t)~fold(sum16(ip, 20, 0));
        ip[10] = (uint8_t)(c >> 8);
        ip[11] = (uint8_t)c;
        ps = sum16(ip + 12, 8, 6 + tcp_len);
    }
    t[0] = 0x9c; /* ports 40000 -> 5001 */
    t[1] = 0x40;
    t[2] = 0x13;
    t[3] = 0x89;
    t[7] = 1;    /* seq 1 */
    t[12] = 0x50; /* 20-byte header */
    t[13] = tcp_flags;
    t[14] = 0xff; /* window */
    uint16_t c = fold(ps);
    t[16] = (uint8_t)(c >> 8);
    t[17] = (uint8_t)c;
    for (unsigned i = 0; i < payload; i++)
        t[20 + i] = (uint8_t)i;
    p->h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    p->h.csum_start = (uint16_t)l4;
    p->h.csum_offset = 16;
    return l4 + tcp_len;
}

/* One of the interface's counters (statistics/NAME), 0 when unreadable. */
static unsigned long long counter(const char *ifname, const char *name)
{
    char p[300];
    unsigned long long v = 0;
    snprintf(p, sizeof p, "/sys/class/net/%s/statistics/%s", ifname, name);
    FILE *f = fopen(p, "r");
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

static double ms_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* One send, retried while the queue is full, until the deadline. */
static int send_one(int s, const pkt *p, size_t flen, const struct sockaddr_ll *a, double end)
{
    size_t n = sizeof p->h + flen;
    for (;;) {
        if (sendto(s, p, n, MSG_DONTWAIT, (const struct sockaddr *)a, sizeof *a) == (ssize_t)n)
            return 0;
        int e = errno;
        if ((e != EAGAIN && e != ENOBUFS && e != EINTR) || ms_now() >= end)
            return e ? e : EIO;
        usleep(5000);
    }
}

void vp_kdrv_net_offload(vp_report *r, const char *ifname, unsigned tmo)
{
    if (!negotiated(ifname, VIRTIO_NET_F_CSUM_BIT))
        return; /* the kernel checksums and segments itself: nothing for the device to judge */
    bool tso4 = negotiated(ifname, VIRTIO_NET_F_HOST_TSO4_BIT), tso6 = negotiated(ifname, VIRTIO_NET_F_HOST_TSO6_BIT);
    bool ecn = negotiated(ifname, VIRTIO_NET_F_HOST_ECN_BIT);
    int one = 1, s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    struct sockaddr_ll a = {.sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(ifname), .sll_halen = 6};
    if (s < 0 || !a.sll_ifindex || setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) != 0) {
        vp_check(r, "kdrv.op.net.offload", "", VP_FAIL, "a packet socket with PACKET_VNET_HDR", strerror(errno), "%s",
                 ifname);
        if (s >= 0)
            close(s);
        return;
    }
    memset(a.sll_addr, 0, sizeof a.sll_addr);
    a.sll_addr[0] = 0x02;
    a.sll_addr[5] = 2;
    static pkt p;
    double end = ms_now() + tmo;
    unsigned long long tx0 = counter(ifname, "tx_packets"), drop0 = counter(ifname, "tx_dropped");
    char ob[160] = "";
    unsigned sent = 0, tried = 0;
    int err = 0;
    /* checksum only; TCPv4 GSO (hdr_len 0: the kernel pulls the headers);
     * TCPv6 GSO with an exact hdr_len; TCPv4 GSO with CWR and the ECN bit */
    for (unsigned k = 0; k < 4 && !err; k++) {
        bool v6 = k == 2, gso = k > 0;
        if ((k == 1 && !tso4) || (k == 2 && !tso6) || (k == 3 && (!tso4 || !ecn)))
            continue;
        size_t n = build(&p, v6, gso ? PAYLOAD : SMALL, (uint8_t)(TCP_ACK_PSH | (k == 3 ? TCP_CWR : 0)));
        if (gso) {
            p.h.gso_type = (uint8_t)((v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4) |
                                     (k == 3 ? VIRTIO_NET_HDR_GSO_ECN : 0));
            p.h.gso_size = MSS;
            p.h.hdr_len = (uint16_t)(k == 2 ? 74 : 0);
        }
        a.sll_protocol = htons(v6 ? ETHERTYPE_V6 : ETHERTYPE_V4);
        tried++;
        if (!(err = send_one(s, &p, n, &a, end)))
            sent++;
    }
    close(s);
    /* virtio_net counts a packet when the device has used its buffer */
    unsigned long long done = 0;
    while ((done = counter(ifname, "tx_packets") - tx0) < sent && ms_now() < end)
        usleep(10000);
    snprintf(ob, sizeof ob, "%u of %u sent%s%s; %llu completed, %llu dropped", sent, tried, err ? ": " : "",
             err ? strerror(err) : "", done, counter(ifname, "tx_dropped") - drop0);
    vp_expect(r, "kdrv.op.net.offload", "", tried > 0 && sent == tried && done >= sent,
              "checksum-offload and TSO frames sent through the driver and completed", ob, ifname);
}
