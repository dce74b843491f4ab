/* Force-included (-include) into a pointer-style backend's sources by
 * vc_add_backend_target: library copies are not instrumented loads and
 * stores, so they go through the watcher too. */
#ifndef VC_PTR_SHIM_H
#define VC_PTR_SHIM_H

#include <string.h>

#include "ptr_watch.h"

#define memcpy(d, s, n) vc_ptr_memcpy((d), (s), (n))
#define memmove(d, s, n) vc_ptr_memmove((d), (s), (n))
#define memset(d, c, n) vc_ptr_memset((d), (c), (n))

#endif
