/* AFL++ custom mutator library (AFL_CUSTOM_MUTATOR_LIBRARY) over the same
 * structural mutations as the libFuzzer build. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mutator.h"

#define MAX_OUT (64u << 10)

typedef struct state {
    unsigned seed;
    uint8_t *buf;
} state;

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
    (void)afl;
    state *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->seed = seed;
    s->buf = malloc(MAX_OUT);
    if (!s->buf) {
        free(s);
        return NULL;
    }
    return s;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
    (void)add_buf;
    (void)add_buf_size;
    state *s = data;
    size_t cap = max_size < MAX_OUT ? max_size : MAX_OUT;
    size_t n = buf_size < cap ? buf_size : cap;
    memcpy(s->buf, buf, n);
    *out_buf = s->buf;
    return vc_scn_mutate(s->buf, n, cap, s->seed++);
}

void afl_custom_deinit(void *data)
{
    state *s = data;
    free(s->buf);
    free(s);
}
