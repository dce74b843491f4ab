/* Target: the back-end's request handling (vd_back_handle) and the rings it
 * serves, with real fds: a 64 KiB memfd as guest memory, eventfds for
 * kicks and calls. Input: a device type byte, then records:
 *   0x00-0x7f  a message: low 2 bits the fd count, bit 2 eventfds instead of
 *              the memfd; a 2-byte little-endian length; the message bytes
 *   0x80-0xbf  a guest memory write: 2-byte offset, 1-byte length, bytes
 *   0xc0-0xff  a kick of ring (byte & 7)
 * Findings: a crash (sanitizers), a reply the codec would refuse to send,
 * an fd left open after the connection ends. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "target.h"
#include "vd_back.h"

const char *const vc_target_name = "vd_msg";

#define MEM_SIZE (64u << 10)

static const char *const types[] = { "rng", "blk", "scsi", "input", "net" };
static int memfd = -1, evfd = -1;
static uint8_t *mem;
static FILE *devnull;
static uint8_t disk[64 << 10];

static bool setup(void)
{
    if (mem)
        return true;
    memfd = memfd_create("vd-fuzz", MFD_CLOEXEC);
    evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    devnull = getenv("VC_FZ_TRACE") ? stderr : fopen("/dev/null", "w"); /* the log, to read a run */
    if (memfd < 0 || evfd < 0 || !devnull || ftruncate(memfd, MEM_SIZE) != 0)
        return false;
    void *p = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    mem = p == MAP_FAILED ? NULL : p;
    return mem != NULL;
}

/* fds open above the standard ones (the fixture's own included) */
static unsigned open_fds(void)
{
    unsigned n = 0;
    for (int fd = 3; fd < 256; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

static unsigned run(const uint8_t *data, size_t size, vd_back *b, char *msg, size_t cap)
{
    size_t i = 0;
    while (i < size) {
        uint8_t t = data[i++];
        if (t >= 0xc0) {
            vd_back_kick(b, t & 7);
        } else if (t >= 0x80) {
            if (size - i < 3)
                return 0;
            unsigned off = (unsigned)(data[i] | data[i + 1] << 8) % MEM_SIZE, n = data[i + 2];
            i += 3;
            n = n > size - i ? (unsigned)(size - i) : n;
            n = n > MEM_SIZE - off ? MEM_SIZE - off : n;
            memcpy(mem + off, data + i, n);
            i += n;
        } else {
            if (size - i < 2)
                return 0;
            size_t len = data[i] | (size_t)data[i + 1] << 8;
            i += 2;
            len = len > size - i ? size - i : len;
            int fds[3];
            unsigned nfds = t & 3;
            for (unsigned k = 0; k < nfds; k++)
                fds[k] = dup((t & 4) ? evfd : memfd);
            vu_msg m, reply;
            vu_err e = vu_decode(data + i, len, fds, nfds, false, &m);
            i += len;
            if (e != VU_OK) { /* the socket layer closes them and drops the connection */
                for (unsigned k = 0; k < nfds; k++)
                    close(fds[k]);
                return 0;
            }
            bool has_reply, go_on = vd_back_handle(b, &m, &reply, &has_reply);
            uint8_t out[VU_MAX_MSG];
            size_t n;
            if (has_reply && (e = vu_encode(&reply, true, out, sizeof(out), &n)) != VU_OK) {
                snprintf(msg, cap, "reply to %s does not encode: %s\n", vu_request_name(m.request), vu_err_name(e));
                return 1;
            }
            if (!go_on)
                return 0;
        }
    }
    return 0;
}

unsigned vc_target_run(const uint8_t *data, size_t size, char *msg, size_t cap)
{
    msg[0] = 0;
    if (size == 0 || !setup())
        return 0;
    unsigned before = open_fds();
    vd_log log;
    vd_log_start(&log, devnull, "fuzz", 0, NULL);
    vc_model_opts o = { .disk = disk, .disk_bytes = sizeof(disk), .queue_max = 64 };
    vd_back b;
    unsigned found = 0;
    if (vd_back_init(&b, vd_type_find(types[data[0] % 5]), &o, &log)) {
        found = run(data + 1, size - 1, &b, msg, cap);
        vd_back_end(&b, "end of input");
    }
    vd_back_destroy(&b);
    unsigned after = open_fds();
    if (!found && after != before) {
        snprintf(msg, cap, "%u fds open after the connection, %u before\n", after, before);
        found = 1;
    }
    return found;
}
