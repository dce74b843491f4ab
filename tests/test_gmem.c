/* Guest memory: bounds, gaps, adjacency, wrap-around. */
#include "testmem.h"
#include "vc/gmem.h"
#include "vc_test.h"

VC_TEST(regions_sorted_and_non_overlapping)
{
    static uint8_t a[64], b[64], c[64];
    vc_gmem m;
    vc_gmem_init(&m);
    VC_CHECK(vc_gmem_add(&m, 0x2000, 64, b));
    VC_CHECK(vc_gmem_add(&m, 0x1000, 64, a));
    VC_CHECK(!vc_gmem_add(&m, 0x1020, 64, c)); /* overlaps a */
    VC_CHECK(!vc_gmem_add(&m, 0x3000, 0, c));
    VC_CHECK(!vc_gmem_add(&m, UINT64_MAX - 10, 64, c)); /* wraps */
    VC_CHECK(vc_gmem_add(&m, UINT64_MAX - 63, 64, c));  /* ends exactly at 2^64 */
    VC_CHECK_EQ(m.region[0].gpa, 0x1000);
    VC_CHECK(vc_gmem_valid(&m, UINT64_MAX - 63, 64));
    VC_CHECK(!vc_gmem_valid(&m, UINT64_MAX - 63, 65));
}

VC_TEST(access_across_adjacent_regions_but_not_gaps)
{
    static uint8_t a[16], b[16];
    vc_gmem m;
    vc_gmem_init(&m);
    vc_gmem_add(&m, 0x100, 16, a);
    vc_gmem_add(&m, 0x110, 16, b); /* adjacent */
    uint8_t buf[32];
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    VC_CHECK(vc_gmem_write(&m, 0x108, buf, 16));
    VC_CHECK_EQ(a[8], 0);
    VC_CHECK_EQ(b[0], 8);
    VC_CHECK(!vc_gmem_write(&m, 0x118, buf, 9)); /* runs off the end */
    VC_CHECK_EQ(b[8], 0);                         /* and wrote nothing */
    VC_CHECK(!vc_gmem_read(&m, 0xff, buf, 2));
}

VC_TEST(scalars_little_endian)
{
    static uint8_t a[16];
    vc_gmem m;
    vc_gmem_init(&m);
    vc_gmem_add(&m, 0, 16, a);
    VC_CHECK(vc_gmem_st32(&m, 4, 0x11223344));
    VC_CHECK_EQ(a[4], 0x44);
    uint64_t v = 1;
    VC_CHECK(!vc_gmem_ld64(&m, 12, &v));
    VC_CHECK_EQ(v, 0);
    uint16_t h;
    VC_CHECK(vc_gmem_ld16(&m, 4, &h));
    VC_CHECK_EQ(h, 0x3344);
}

static uint64_t seen_reads, seen_writes;
static void observe(void *o, uint64_t gpa, uint64_t len, bool w)
{
    *(w ? &seen_writes : &seen_reads) += len;
}

VC_TEST(observer_sees_every_access)
{
    static uint8_t a[64];
    vc_gmem m;
    vc_gmem_init(&m);
    vc_gmem_add(&m, 0, 64, a);
    m.observer = observe;
    uint32_t v;
    vc_gmem_ld32(&m, 0, &v);
    vc_gmem_st16(&m, 8, 1);
    VC_CHECK_EQ(seen_reads, 4);
    VC_CHECK_EQ(seen_writes, 2);
}

int main(void) { return vc_test_main(); }
