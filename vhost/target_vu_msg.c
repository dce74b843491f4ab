/* Target: the vhost-user message decoder. The first input byte picks the
 * direction (bit 7: a reply) and the fd count (low bits); the rest is the
 * message. Whatever decodes must encode back to bytes that decode to the
 * same message: the codec never accepts what it could not have produced. */
#include <stdio.h>
#include <string.h>

#include "target.h"
#include "vu_msg.h"

const char *const vc_target_name = "vu_msg";

unsigned vc_target_run(const uint8_t *data, size_t size, char *msg, size_t cap)
{
    msg[0] = 0;
    if (size == 0)
        return 0;
    bool reply = data[0] & 0x80;
    unsigned nfds = data[0] & 0x0f; /* up to 15: above VU_MAX_FDS must be refused */
    int fds[16] = { 0 };
    for (unsigned i = 0; i < 16; i++)
        fds[i] = 100 + (int)i;
    vu_msg m, again;
    vu_err e = vu_decode(data + 1, size - 1, fds, nfds, reply, &m);
    if ((unsigned)e >= VU_E_COUNT) {
        snprintf(msg, cap, "decoder returned %d, not a named error\n", (int)e);
        return 1;
    }
    if (e != VU_OK)
        return 0;
    uint8_t out[VU_MAX_MSG];
    size_t len;
    vu_msg copy = m;
    e = vu_encode(&copy, reply, out, sizeof(out), &len);
    if (e != VU_OK) {
        snprintf(msg, cap, "decoded %s but the encoder refuses it: %s\n",
                 vu_request_name(m.request), vu_err_name(e));
        return 1;
    }
    e = vu_decode(out, len, copy.fds, copy.nfds, reply, &again);
    /* the encoder writes only what the layout keeps: padding reads back 0 */
    if (e != VU_OK || again.size != m.size || memcmp(&again.u, &m.u, sizeof(m.u)) != 0 ||
        again.flags != m.flags || again.nfds != m.nfds) {
        snprintf(msg, cap, "%s does not survive encode and decode (%s)\n", vu_request_name(m.request),
                 vu_err_name(e));
        return 1;
    }
    return 0;
}
