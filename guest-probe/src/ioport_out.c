/* Results through an I/O port (see ioport_out.h). */
#define _GNU_SOURCE
#include "ioport_out.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#if defined(__x86_64__) || defined(__i386__)
#include <sys/io.h>

static ssize_t port_write(void *cookie, const char *buf, size_t n)
{
    outsb((unsigned short)(uintptr_t)cookie, buf, (unsigned long)n);
    return (ssize_t)n;
}

FILE *vp_ioport_open(const char *spec, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long port = strtoul(spec + strlen("ioport:"), &end, 0);
    if (strncmp(spec, "ioport:", 7) || errno || *end || port == 0 || port > 0xffff) {
        snprintf(err, errlen, "'%s' is not ioport:<port number>", spec);
        return NULL;
    }
    if (ioperm(port, 1, 1) != 0) {
        snprintf(err, errlen, "no access to I/O port 0x%lx: %s", port, strerror(errno));
        return NULL;
    }
    /* QEMU's debug console reads back 0xe9; an unclaimed port floats to 0xff */
    if (inb((unsigned short)port) == 0xff) {
        snprintf(err, errlen, "nothing answers at I/O port 0x%lx (want -device isa-debugcon)", port);
        return NULL;
    }
    cookie_io_functions_t io = {.write = port_write};
    FILE *f = fopencookie((void *)(uintptr_t)port, "w", io);
    if (!f)
        snprintf(err, errlen, "fopencookie: %s", strerror(errno));
    return f;
}
#else
FILE *vp_ioport_open(const char *spec, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: I/O ports exist on x86 only", spec);
    return NULL;
}
#endif
