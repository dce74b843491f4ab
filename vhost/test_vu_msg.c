/* vhost-user codec: round trips of every layout, malformed inputs named by
 * their error, and fd passing over a real socket pair. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vc_test.h"
#include "vu_msg.h"
#include "vu_sock.h"

/* Encodes, decodes and checks the two agree byte for byte. */
static void roundtrip(vu_msg *m, bool reply)
{
    uint8_t buf[VU_MAX_MSG], again[VU_MAX_MSG];
    size_t len, len2;
    VC_CHECK_EQ(vu_encode(m, reply, buf, sizeof(buf), &len), VU_OK);
    vu_msg d;
    VC_CHECK_EQ(vu_decode(buf, len, m->fds, m->nfds, reply, &d), VU_OK);
    VC_CHECK_EQ(d.request, m->request);
    VC_CHECK_EQ(d.flags, m->flags);
    VC_CHECK_EQ(d.size, len - VU_HDR_SIZE);
    VC_CHECK_EQ(d.nfds, m->nfds);
    VC_CHECK_EQ(vu_encode(&d, reply, again, sizeof(again), &len2), VU_OK);
    VC_CHECK_EQ(len2, len);
    VC_CHECK(memcmp(buf, again, len) == 0);
}

VC_TEST(every_layout_round_trips)
{
    vu_msg m = { .request = VU_GET_FEATURES, .flags = VU_VERSION };
    roundtrip(&m, false);
    m = (vu_msg){ .request = VU_GET_FEATURES, .flags = VU_VERSION | VU_FLAG_REPLY, .u.u64 = 0x140000000ull };
    roundtrip(&m, true);
    m = (vu_msg){ .request = VU_SET_VRING_ADDR, .flags = VU_VERSION,
                  .u.addr = { 0, VU_ADDR_F_LOG, 0x1000, 0x3000, 0x2000, 0 } };
    roundtrip(&m, false);
    m = (vu_msg){ .request = VU_GET_VRING_BASE, .flags = VU_VERSION | VU_FLAG_REPLY, .u.state = { 0, 77 } };
    roundtrip(&m, true);
    m = (vu_msg){ .request = VU_SET_MEM_TABLE, .flags = VU_VERSION | VU_FLAG_NEED_REPLY, .nfds = 2,
                  .fds = { 5, 6 } };
    m.u.mem.nregions = 2;
    m.u.mem.region[0] = (vu_region){ 0x10000, 0x40000, 0x7f0000000000, 0 };
    m.u.mem.region[1] = (vu_region){ 0x100000, 0x80000, 0x7f0000040000, 0x40000 };
    roundtrip(&m, false);
    VC_CHECK_EQ(m.size, 8 + 2 * 32);
    m = (vu_msg){ .request = VU_GET_CONFIG, .flags = VU_VERSION, .u.config = { 0, 60, 0, { 0 } } };
    roundtrip(&m, false);
    VC_CHECK_EQ(m.size, 12 + 60);
    m = (vu_msg){ .request = VU_ADD_MEM_REG, .flags = VU_VERSION, .nfds = 1, .fds = { 3 },
                  .u.region = { 0x200000, 0x10000, 0x7f0000100000, 0x100000 } };
    roundtrip(&m, false);
    m = (vu_msg){ .request = VU_SET_VRING_KICK, .flags = VU_VERSION, .u.u64 = 1 | VU_VRING_NOFD };
    roundtrip(&m, false);
    /* the acknowledgement of a request that has no reply of its own */
    m = (vu_msg){ .request = VU_SET_OWNER, .flags = VU_VERSION | VU_FLAG_REPLY, .u.u64 = 0 };
    roundtrip(&m, true);
    /* an empty GET_CONFIG reply is how a back-end says it failed */
    m = (vu_msg){ .request = VU_GET_CONFIG, .flags = VU_VERSION | VU_FLAG_REPLY, .size = 0 };
    roundtrip(&m, true);
    VC_CHECK_EQ(m.size, 0);
}

/* A header, then payload bytes. */
static size_t raw(uint8_t *b, uint32_t req, uint32_t flags, uint32_t size, const void *pl, size_t n)
{
    memcpy(b, &req, 4);
    memcpy(b + 4, &flags, 4);
    memcpy(b + 8, &size, 4);
    if (n)
        memcpy(b + 12, pl, n);
    return 12 + n;
}

VC_TEST(malformed_inputs_are_named)
{
    uint8_t b[VU_MAX_MSG + 64] = { 0 };
    vu_msg m;
    uint64_t v = 0;
    int fds[VU_MAX_FDS + 1] = { 0 };
    VC_CHECK_EQ(vu_decode(b, 0, NULL, 0, false, &m), VU_E_SHORT);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_GET_FEATURES, 0, 0, NULL, 0), NULL, 0, false, &m), VU_E_VERSION);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_GET_FEATURES, 2, 0, NULL, 0), NULL, 0, false, &m), VU_E_VERSION);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_GET_FEATURES, 1 | 16, 0, NULL, 0), NULL, 0, false, &m), VU_E_FLAGS);
    /* a request carrying the reply bit, a reply without it or asking for one */
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_GET_FEATURES, 1 | 4, 0, NULL, 0), NULL, 0, false, &m), VU_E_FLAGS);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_GET_FEATURES, 1, 8, &v, 8), NULL, 0, true, &m), VU_E_FLAGS);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_GET_FEATURES, 1 | 4 | 8, 8, &v, 8), NULL, 0, true, &m), VU_E_FLAGS);
    VC_CHECK_EQ(vu_decode(b, raw(b, 999, 1, 0, NULL, 0), NULL, 0, false, &m), VU_E_REQUEST);
    VC_CHECK_EQ(m.request, 999); /* the header is there for the message */
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_FEATURES, 1, 4, &v, 4), NULL, 0, false, &m), VU_E_SIZE);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_FEATURES, 1, 8, &v, 4), NULL, 0, false, &m), VU_E_TRUNCATED);
    uint8_t twelve[12] = { 0 };
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_FEATURES, 1, 8, twelve, 12), NULL, 0, false, &m), VU_E_TRAILING);
    /* sizes far beyond any layout are refused from the header alone */
    VC_CHECK_EQ(vu_decode_header(b, raw(b, VU_SET_MEM_TABLE, 1, 0xffffffffu, NULL, 0), false, &m), VU_E_SIZE);
    VC_CHECK_EQ(vu_decode_header(b, raw(b, VU_GET_CONFIG, 1, 12 + 257, NULL, 0), false, &m), VU_E_SIZE);
    /* fds: none allowed, one per region, one unless the no-fd bit */
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_FEATURES, 1, 8, &v, 8), fds, 1, false, &m), VU_E_FDS);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_FEATURES, 1, 8, &v, 8), fds, VU_MAX_FDS + 1, false, &m), VU_E_FDS);
    uint64_t kick = 0;
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_VRING_KICK, 1, 8, &kick, 8), fds, 0, false, &m), VU_E_FDS);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_VRING_KICK, 1, 8, &kick, 8), fds, 1, false, &m), VU_OK);
    kick = VU_VRING_NOFD;
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_VRING_KICK, 1, 8, &kick, 8), fds, 1, false, &m), VU_E_FDS);
    kick = 1u << 9;
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_VRING_KICK, 1, 8, &kick, 8), fds, 1, false, &m), VU_E_VALUE);
    /* memory tables: count against size, count limit, regions that wrap */
    uint8_t mem[8 + 32 * 9] = { 0 };
    uint32_t n = 9;
    memcpy(mem, &n, 4);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_MEM_TABLE, 1, 8 + 32 * 8, mem, 8 + 32 * 8), fds, 8, false, &m),
                VU_E_REGIONS);
    n = 1;
    memcpy(mem, &n, 4);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_MEM_TABLE, 1, 8 + 64, mem, 8 + 64), fds, 1, false, &m), VU_E_SIZE);
    uint64_t reg[4] = { 0xfffffffffffff000ull, 0x2000, 0, 0 }; /* gpa + size wraps */
    memcpy(mem + 8, reg, 32);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_MEM_TABLE, 1, 40, mem, 40), fds, 1, false, &m), VU_E_VALUE);
    reg[0] = 0x1000;
    memcpy(mem + 8, reg, 32);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_MEM_TABLE, 1, 40, mem, 40), fds, 0, false, &m), VU_E_FDS);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_MEM_TABLE, 1, 40, mem, 40), fds, 1, false, &m), VU_OK);
    reg[1] = 0; /* an empty region */
    memcpy(mem + 8, reg, 32);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_MEM_TABLE, 1, 40, mem, 40), fds, 1, false, &m), VU_E_VALUE);
    /* config: size word against payload, past the 256-byte space, flags */
    uint32_t cfg[3] = { 0, 8, 0 };
    uint8_t cb[12 + 8] = { 0 };
    memcpy(cb, cfg, 12);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_CONFIG, 1, 20, cb, 20), NULL, 0, false, &m), VU_OK);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_CONFIG, 1, 16, cb, 16), NULL, 0, false, &m), VU_E_SIZE);
    cfg[0] = 250;
    memcpy(cb, cfg, 12);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_CONFIG, 1, 20, cb, 20), NULL, 0, false, &m), VU_E_VALUE);
    cfg[0] = 0;
    cfg[2] = 2;
    memcpy(cb, cfg, 12);
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_CONFIG, 1, 20, cb, 20), NULL, 0, false, &m), VU_E_VALUE);
    /* an empty config payload is a reply's failure, never a request */
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_GET_CONFIG, 1, 0, NULL, 0), NULL, 0, false, &m), VU_E_SIZE);
    /* replies carry no fds */
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_GET_FEATURES, 1 | 4, 8, &v, 8), fds, 1, true, &m), VU_E_FDS);
    uint32_t addr[10] = { 0, 2 };
    VC_CHECK_EQ(vu_decode(b, raw(b, VU_SET_VRING_ADDR, 1, 40, addr, 40), NULL, 0, false, &m), VU_E_VALUE);
}

VC_TEST(encoder_refuses_what_decoder_refuses)
{
    uint8_t b[VU_MAX_MSG];
    size_t len;
    vu_msg m = { .request = VU_SET_MEM_TABLE, .flags = VU_VERSION };
    m.u.mem.nregions = 9;
    VC_CHECK_EQ(vu_encode(&m, false, b, sizeof(b), &len), VU_E_REGIONS);
    m = (vu_msg){ .request = VU_SET_VRING_CALL, .flags = VU_VERSION, .u.u64 = 0 };
    VC_CHECK_EQ(vu_encode(&m, false, b, sizeof(b), &len), VU_E_FDS);
    m = (vu_msg){ .request = 77, .flags = VU_VERSION };
    VC_CHECK_EQ(vu_encode(&m, false, b, sizeof(b), &len), VU_E_REQUEST);
    m = (vu_msg){ .request = VU_GET_FEATURES, .flags = VU_VERSION };
    VC_CHECK_EQ(vu_encode(&m, false, b, 4, &len), VU_E_TRUNCATED);
    VC_CHECK_EQ(len, 0);
}

/* Every prefix and every one-byte change of a valid message decodes to a
 * message or a named error (ASan and UBSan watch the sanitizer build). */
VC_TEST(mutations_stay_defined)
{
    vu_msg m = { .request = VU_SET_MEM_TABLE, .flags = VU_VERSION, .nfds = 3, .fds = { 1, 2, 3 } };
    m.u.mem.nregions = 3;
    for (unsigned i = 0; i < 3; i++)
        m.u.mem.region[i] = (vu_region){ 0x10000 * (i + 1), 0x1000, 0x7000000 + i, 0x1000 * i };
    uint8_t b[VU_MAX_MSG];
    size_t len;
    VC_CHECK_EQ(vu_encode(&m, false, b, sizeof(b), &len), VU_OK);
    vu_msg d;
    for (size_t k = 0; k <= len; k++)
        VC_CHECK((unsigned)vu_decode(b, k, m.fds, 3, false, &d) < VU_E_COUNT);
    for (size_t k = 0; k < len; k++)
        for (unsigned bit = 0; bit < 8; bit++) {
            b[k] ^= (uint8_t)(1u << bit);
            for (unsigned nf = 0; nf <= VU_MAX_FDS; nf++)
                VC_CHECK((unsigned)vu_decode(b, len, m.fds, nf, false, &d) < VU_E_COUNT);
            b[k] ^= (uint8_t)(1u << bit);
        }
}

VC_TEST(fds_cross_a_socket_pair)
{
    int sv[2];
    VC_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    int p[2];
    VC_CHECK(pipe(p) == 0);
    vu_msg m = { .request = VU_SET_VRING_CALL, .flags = VU_VERSION, .u.u64 = 0, .nfds = 1, .fds = { p[1] } };
    VC_CHECK_EQ(vu_send(sv[0], &m, false, 1000), VU_OK);
    vu_msg r;
    VC_CHECK_EQ(vu_recv(sv[1], &r, false, 1000), VU_OK);
    VC_CHECK_EQ(r.nfds, 1);
    VC_CHECK(r.fds[0] != p[1]);
    VC_CHECK(write(r.fds[0], "x", 1) == 1); /* the received fd is the pipe's write end */
    char c = 0;
    VC_CHECK(read(p[0], &c, 1) == 1 && c == 'x');
    vu_msg_close_fds(&r);
    /* a request that may carry no fd arrives with one: refused, fd closed */
    m = (vu_msg){ .request = VU_SET_OWNER, .flags = VU_VERSION };
    uint8_t b[VU_MAX_MSG];
    size_t len;
    VC_CHECK_EQ(vu_encode(&m, false, b, sizeof(b), &len), VU_OK);
    union { char c[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } ctl = { { 0 } };
    struct iovec iov = { b, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.c, .msg_controllen = sizeof(ctl.c) };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
    VC_CHECK(sendmsg(sv[0], &mh, 0) == (ssize_t)len);
    VC_CHECK_EQ(vu_recv(sv[1], &r, false, 1000), VU_E_FDS);
    /* a peer that says nothing is a timeout, one that leaves is closed */
    long long t0 = vu_now_ms();
    VC_CHECK_EQ(vu_recv(sv[1], &r, false, 50), VU_E_TIMEOUT);
    VC_CHECK(vu_now_ms() - t0 < 1000);
    close(sv[0]);
    VC_CHECK_EQ(vu_recv(sv[1], &r, false, 1000), VU_E_CLOSED);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
}

VC_TEST(names)
{
    VC_CHECK(strcmp(vu_request_name(VU_SET_VRING_KICK), "SET_VRING_KICK") == 0);
    VC_CHECK(vu_request_name(0) == NULL);
    VC_CHECK(strcmp(vu_err_name(VU_E_FDS), "VU_E_FDS") == 0);
    VC_CHECK(strcmp(vu_err_name((vu_err)1000), "VU_E_?") == 0);
    VC_CHECK(vu_request_replies(VU_GET_VRING_BASE));
    VC_CHECK(!vu_request_replies(VU_SET_VRING_BASE));
}

int main(void)
{
    return vc_test_main();
}
