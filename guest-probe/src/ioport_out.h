/* A results sink on an x86 I/O port (QEMU's isa-debugcon): every byte is one
 * port write, with no UART, interrupts or tty layer in the way. Under TCG a
 * serial port costs about half a second per VM for the probe's output. */
#ifndef VP_IOPORT_OUT_H
#define VP_IOPORT_OUT_H

#include <stddef.h>
#include <stdio.h>

/* spec "ioport:0xe9": a write-only stream on that port, or NULL with err set
 * (no I/O privilege, not x86, or nothing answering at the port). */
FILE *vp_ioport_open(const char *spec, char *err, size_t errlen);

#endif
