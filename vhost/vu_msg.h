/* vhost-user messages: one table of the requests we speak, a total decoder
 * and an encoder. Shared by the front-end here (vu_front.c) and by a
 * back-end serving the reference device (issue 18), so each side checks
 * what the other sends with the same rules.
 *
 * A message is a 12-byte header (request, flags, payload size; host byte
 * order) and a payload whose layout the request decides. File descriptors
 * travel beside the bytes (SCM_RIGHTS, vu_sock.h); the decoder only counts
 * them against what the request allows.
 *
 * Decoding is total: any byte string with any fd count gives a message or
 * one named vu_err, and the header fields are filled in either way (so a
 * receiver can name an unknown request before dropping the connection).
 */
#ifndef VU_MSG_H
#define VU_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VU_HDR_SIZE 12u
#define VU_VERSION 1u
#define VU_FLAG_VERSION_MASK 3u
#define VU_FLAG_REPLY (1u << 2)
#define VU_FLAG_NEED_REPLY (1u << 3)

#define VU_MAX_FDS 8u     /* per message, as QEMU and libvhost-user allow */
#define VU_MAX_REGIONS 8u /* in one SET_MEM_TABLE */
#define VU_CONFIG_MAX 256u
#define VU_MAX_PAYLOAD (8u + VU_MAX_REGIONS * 32u) /* the largest layout: a full memory table */
#define VU_MAX_MSG (VU_HDR_SIZE + VU_MAX_PAYLOAD)

/* SET_VRING_KICK/CALL/ERR payload: queue index in bits 0-7, bit 8 says no
 * fd comes with it (the back-end polls instead). */
#define VU_VRING_IDX_MASK 0xffu
#define VU_VRING_NOFD (1u << 8)
#define VU_ADDR_F_LOG 1u /* SET_VRING_ADDR flags: log used-ring writes */
#define VU_CONFIG_F_MIGRATION 1u

/* Feature bit 30 of GET/SET_FEATURES: protocol features are negotiated. */
#define VU_F_PROTOCOL_FEATURES 30
/* Protocol feature bits (GET/SET_PROTOCOL_FEATURES). */
#define VU_PF_MQ 0
#define VU_PF_LOG_SHMFD 1
#define VU_PF_REPLY_ACK 3
#define VU_PF_BACKEND_REQ 5
#define VU_PF_CONFIG 9
#define VU_PF_INFLIGHT_SHMFD 12
#define VU_PF_RESET_DEVICE 13
#define VU_PF_INBAND_NOTIFY 14
#define VU_PF_MEM_SLOTS 15
#define VU_PF_STATUS 16

/* Payload layouts. MEM: u32 count, u32 padding, count regions of 32 bytes.
 * REGION: 8 bytes of padding, then one region. CONFIG: offset, size, flags
 * (u32 each) and size bytes. */
typedef enum vu_payload {
    VU_P_NONE,
    VU_P_U64,
    VU_P_STATE,
    VU_P_ADDR,
    VU_P_MEM,
    VU_P_REGION,
    VU_P_CONFIG,
} vu_payload;

/* Which fds a request carries: none, one per queue message unless the
 * no-fd bit is set, one per memory region, exactly one, or at most one
 * (REM_MEM_REG: the protocol tolerates a stray fd). */
typedef enum vu_fds { VU_FD_NONE, VU_FD_VRING, VU_FD_REGIONS, VU_FD_ONE, VU_FD_UPTO1 } vu_fds;

/* X(name, id, request payload, reply payload, fds). A reply payload of NONE
 * means the back-end answers only when asked (need_reply), with a u64 that
 * is 0 on success. */
#define VU_REQUESTS(X)                                                  \
    X(GET_FEATURES, 1, VU_P_NONE, VU_P_U64, VU_FD_NONE)                 \
    X(SET_FEATURES, 2, VU_P_U64, VU_P_NONE, VU_FD_NONE)                 \
    X(SET_OWNER, 3, VU_P_NONE, VU_P_NONE, VU_FD_NONE)                   \
    X(RESET_OWNER, 4, VU_P_NONE, VU_P_NONE, VU_FD_NONE)                 \
    X(SET_MEM_TABLE, 5, VU_P_MEM, VU_P_NONE, VU_FD_REGIONS)             \
    X(SET_VRING_NUM, 8, VU_P_STATE, VU_P_NONE, VU_FD_NONE)              \
    X(SET_VRING_ADDR, 9, VU_P_ADDR, VU_P_NONE, VU_FD_NONE)              \
    X(SET_VRING_BASE, 10, VU_P_STATE, VU_P_NONE, VU_FD_NONE)            \
    X(GET_VRING_BASE, 11, VU_P_STATE, VU_P_STATE, VU_FD_NONE)           \
    X(SET_VRING_KICK, 12, VU_P_U64, VU_P_NONE, VU_FD_VRING)             \
    X(SET_VRING_CALL, 13, VU_P_U64, VU_P_NONE, VU_FD_VRING)             \
    X(SET_VRING_ERR, 14, VU_P_U64, VU_P_NONE, VU_FD_VRING)              \
    X(GET_PROTOCOL_FEATURES, 15, VU_P_NONE, VU_P_U64, VU_FD_NONE)       \
    X(SET_PROTOCOL_FEATURES, 16, VU_P_U64, VU_P_NONE, VU_FD_NONE)       \
    X(GET_QUEUE_NUM, 17, VU_P_NONE, VU_P_U64, VU_FD_NONE)               \
    X(SET_VRING_ENABLE, 18, VU_P_STATE, VU_P_NONE, VU_FD_NONE)          \
    X(GET_CONFIG, 24, VU_P_CONFIG, VU_P_CONFIG, VU_FD_NONE)             \
    X(SET_CONFIG, 25, VU_P_CONFIG, VU_P_NONE, VU_FD_NONE)               \
    X(RESET_DEVICE, 34, VU_P_NONE, VU_P_NONE, VU_FD_NONE)               \
    X(GET_MAX_MEM_SLOTS, 36, VU_P_NONE, VU_P_U64, VU_FD_NONE)           \
    X(ADD_MEM_REG, 37, VU_P_REGION, VU_P_NONE, VU_FD_ONE)               \
    X(REM_MEM_REG, 38, VU_P_REGION, VU_P_NONE, VU_FD_UPTO1)             \
    X(SET_STATUS, 39, VU_P_U64, VU_P_NONE, VU_FD_NONE)                  \
    X(GET_STATUS, 40, VU_P_NONE, VU_P_U64, VU_FD_NONE)

typedef enum vu_request {
#define VU_REQ_ENUM(name, id, req, rep, fds) VU_##name = id,
    VU_REQUESTS(VU_REQ_ENUM)
#undef VU_REQ_ENUM
} vu_request;

/* X(code, text). Transport errors (vu_sock.c) share the list. */
#define VU_ERRORS(X)                                                          \
    X(VU_E_SHORT, "fewer bytes than a header")                                \
    X(VU_E_VERSION, "header version is not 1")                                \
    X(VU_E_FLAGS, "unknown header flag bits, or reply flags on the wrong side") \
    X(VU_E_REQUEST, "request type we do not know")                            \
    X(VU_E_SIZE, "payload size wrong for the request")                        \
    X(VU_E_TRUNCATED, "fewer payload bytes than the header says")             \
    X(VU_E_TRAILING, "more bytes than the header says")                       \
    X(VU_E_FDS, "file descriptor count wrong for the request")                \
    X(VU_E_REGIONS, "memory table region count above the limit")              \
    X(VU_E_VALUE, "a field holds a value the protocol does not allow")        \
    X(VU_E_MISMATCH, "reply to another request than the one sent")           \
    X(VU_E_NACK, "back-end answered a request with failure")                  \
    X(VU_E_TIMEOUT, "no answer within the time bound")                        \
    X(VU_E_CLOSED, "connection closed")                                       \
    X(VU_E_IO, "socket error")

typedef enum vu_err {
    VU_OK = 0,
#define VU_ERR_ENUM(code, text) code,
    VU_ERRORS(VU_ERR_ENUM)
#undef VU_ERR_ENUM
    VU_E_COUNT
} vu_err;

typedef struct vu_state {
    uint32_t index, num;
} vu_state;

typedef struct vu_addr {
    uint32_t index, flags;
    uint64_t desc, used, avail, log; /* front-end user addresses */
} vu_addr;

typedef struct vu_region {
    uint64_t gpa, size, uva, mmap_offset;
} vu_region;

typedef struct vu_mem {
    uint32_t nregions;
    vu_region region[VU_MAX_REGIONS];
} vu_mem;

typedef struct vu_config {
    uint32_t offset, size, flags;
    uint8_t data[VU_CONFIG_MAX];
} vu_config;

typedef struct vu_msg {
    uint32_t request; /* vu_request, or any value on a decoding error */
    uint32_t flags;
    uint32_t size; /* payload bytes: set by the encoder, checked by the decoder */
    union {
        uint64_t u64;
        vu_state state;
        vu_addr addr;
        vu_mem mem;
        vu_region region;
        vu_config config;
    } u;
    unsigned nfds;
    int fds[VU_MAX_FDS];
} vu_msg;

const char *vu_err_name(vu_err e);
const char *vu_err_text(vu_err e);
/* "GET_FEATURES", or NULL for a request we do not know. */
const char *vu_request_name(uint32_t request);
/* Payload layout of a request (reply false) or of its reply; false when
 * the request is unknown. */
bool vu_request_payload(uint32_t request, bool reply, vu_payload *p);
/* True when the back-end always answers the request (not only when asked). */
bool vu_request_replies(uint32_t request);

/* Decodes len bytes (one whole message) that arrived with nfds fds.
 * reply: the bytes are a back-end's answer to `request` (its flags must
 * carry the reply bit, its layout is the reply's); otherwise a request from
 * a front-end. The fds are copied into m (not owned: the caller closes them
 * on error). */
vu_err vu_decode(const uint8_t *buf, size_t len, const int *fds, unsigned nfds, bool reply,
                 vu_msg *m);
/* Header only: fills request, flags, size; checks the version and flags and
 * that size fits the request (so a reader knows how many bytes to expect). */
vu_err vu_decode_header(const uint8_t *buf, size_t len, bool reply, vu_msg *m);
/* Encodes m (request, flags, payload, nfds) into out; sets m->size. The same
 * rules as decoding apply, so we never send what we would refuse. Returns
 * the byte count through *len. */
vu_err vu_encode(vu_msg *m, bool reply, uint8_t *out, size_t cap, size_t *len);

#endif
