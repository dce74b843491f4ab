/* Observing a backend that reaches guest memory through plain pointers, as
 * real device backends do: its sources are compiled with clang's
 * -fsanitize-coverage=trace-loads,trace-stores and ptr_shim.h (see
 * vc_add_backend_target in fuzz/CMakeLists.txt), so every load, store and
 * memcpy/memmove/memset it makes calls in here; an access that falls inside
 * the watched guest memory is reported to its observer at its guest
 * address, exactly as a vc_gmem access would be. Nothing else is reported
 * (the backend's own stack and heap). */
#ifndef VC_PTR_WATCH_H
#define VC_PTR_WATCH_H

#include <stddef.h>

#include "vc/gmem.h"

/* Accesses go to m's observer from now on (NULL: to nobody). An adapter
 * watches around each call into the backend and stops after. */
void vc_ptr_watch(const vc_gmem *m);

/* The shim's targets (ptr_shim.h maps the library names onto them). */
void *vc_ptr_memcpy(void *dst, const void *src, size_t n);
void *vc_ptr_memmove(void *dst, const void *src, size_t n);
void *vc_ptr_memset(void *dst, int c, size_t n);

#endif
