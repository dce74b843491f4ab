/* vhost-user messages over a unix stream socket: fds ride along with
 * SCM_RIGHTS, and every wait is bounded, so a peer that hangs or dies is an
 * error code, never a hang. Both sides use these (front-end here, the
 * reference-device back-end of issue 18). */
#ifndef VU_SOCK_H
#define VU_SOCK_H

#include "vu_msg.h"

/* Encodes and sends m with its fds; waits at most timeout_ms for room. */
vu_err vu_send(int sock, vu_msg *m, bool reply, int timeout_ms);
/* Sends n (at most VU_BATCH_MAX) requests in one sendmmsg call, in as few
 * messages as their fds allow: one with fds starts a message of its own
 * (its fds travel with its first byte, so a receiver gets them with its
 * header and no other), and those without fds after it ride along.
 * *sent: how many went out whole. */
#define VU_BATCH_MAX 24
vu_err vu_send_batch(int sock, vu_msg *m, unsigned n, int timeout_ms, unsigned *sent);
/* Receives one whole message within timeout_ms. reply: it must be a
 * back-end's answer. The fds received are owned by m on success and closed
 * here on any error; more than VU_MAX_FDS in one message is VU_E_FDS. After
 * an error other than VU_E_TIMEOUT on an empty socket the stream may be out
 * of step: close it. */
vu_err vu_recv(int sock, vu_msg *m, bool reply, int timeout_ms);
/* Closes the fds a received message holds. */
void vu_msg_close_fds(vu_msg *m);

/* Milliseconds on a monotonic clock, for deadlines. */
long long vu_now_ms(void);
/* Microseconds on the same clock, for profiles. */
long long vu_now_us(void);

#endif
