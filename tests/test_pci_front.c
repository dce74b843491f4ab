/* The reference device's PCI front as a function: its identity and its
 * MSI-X table size, per device type. */
#include "refdev/pci_front.h"
#include "vc/req_ids.h"
#include "vc/spec_devices.h"
#include "vc_test.h"

#define ARENA (1u << 20)

/* num_queues of type's modern function and its MSI-X table size. */
static void front_sizes(const char *type, unsigned mode, uint32_t *numq, uint32_t *table, uint32_t *devid)
{
    vc_front_mem m;
    char err[128];
    VC_CHECK(vc_front_mem_init(&m, 0x100000, ARENA));
    vc_front_opts o = {.type = type, .mode = mode};
    vc_front *f = vc_front_create(&m, &o, err, sizeof err);
    VC_CHECK(f != NULL);
    uint32_t ctrl = 0, id = 0;
    VC_CHECK(vc_front_cfg_read(f, VC_FRONT_CAP_MSIX + 2, 2, &ctrl));
    VC_CHECK(vc_front_cfg_read(f, 2, 2, &id));
    *table = (ctrl & 0x7ff) + 1;
    *devid = id;
    *numq = 0;
    if (mode == VC_FRONT_MODERN) { /* num_queues from the common structure, reached through pci_cfg access */
        vc_front_enable(f);
        uint64_t v = 0;
        const vc_front_bar *b = vc_front_bars(f);
        for (unsigned i = 0; i < VC_FRONT_NBARS && !*numq; i++)
            if (b[i].present && !b[i].io && vc_front_bar_read(f, i, VC_CC_NUMQ, 2, &v))
                *numq = (uint32_t)v;
    }
    vc_front_free(f);
    vc_front_mem_free(&m);
}

VC_TEST(msix_table_a_vector_per_queue_and_one)
{
    VC_CONFORMS(REQ_DEV_PCI_MSIX_3);
    static const char *const types[] = {"rng", "blk", "console", "net", "scsi"};
    for (unsigned i = 0; i < sizeof types / sizeof types[0]; i++) {
        uint32_t numq, table, id;
        front_sizes(types[i], VC_FRONT_MODERN, &numq, &table, &id);
        VC_CHECK(numq >= 1);
        if (i == 0)
            VC_CHECK_EQ(numq, 1u); /* rng: one queue, so two entries at most */
        VC_CHECK(table >= 2 && table <= numq + 1);
    }
}

VC_TEST(non_transitional_takes_the_modern_id)
{
    VC_CONFORMS(REQ_DEV_PCI_DISCOVERY_4);
    uint32_t numq, table, id;
    front_sizes("blk", VC_FRONT_MODERN, &numq, &table, &id);
    VC_CHECK(id >= VC_PCI_MODERN_BASE && id <= VC_PCI_MODERN_HI);
}

int main(void) { return vc_test_main(); }
