/* Reference device core: status state machine, feature negotiation, reset,
 * queue set-up, notifications before DRIVER_OK, NEEDS_RESET on ring errors. */
#include <stdlib.h>

#include "devharness.h"
#include "refdev/models.h"
#include "vc/ring.h"
#include "vc_test.h"

#define F_V1 (1ull << VC_F_VERSION_1)
#define F_IND (1ull << VC_F_INDIRECT_DESC)
#define F_PACKED (1ull << VC_F_RING_PACKED)

static vc_dev *rng(vc_th *t)
{
    vc_th_mem(t);
    vc_model_opts o = { .seed = 1 };
    return vc_rng_create(&t->tm.mem, &o);
}

static void done(vc_th *t)
{
    vc_model_free(t->dev);
    vc_th_free(t);
}

VC_TEST(negotiates_valid_subset)
{
    vc_th t;
    uint8_t s = vc_th_negotiate(&t, rng(&t), F_V1 | F_IND);
    VC_CHECK(s & VC_STATUS_FEATURES_OK);
    VC_CHECK(vc_dev_has(t.dev, VC_F_INDIRECT_DESC));
    VC_CHECK_EQ(t.dev->nfaults, 0);
    done(&t);
}

VC_TEST(refuses_unoffered_feature)
{
    vc_th t;
    vc_dev *d = rng(&t);
    vc_th_negotiate(&t, d, F_V1);
    vc_dev_set_status(d, 0);
    vc_dev_set_status(d, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER);
    vc_dev_set_driver_features(d, 0, 1u << 5); /* rng offers no device bits */
    vc_dev_set_driver_features(d, 1, 1u);
    vc_dev_set_status(d, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER | VC_STATUS_FEATURES_OK);
    VC_CONFORMS(REQ_DEV_FEATURES_2);
    VC_CHECK(!(vc_dev_status(d) & VC_STATUS_FEATURES_OK));
    VC_CHECK(vc_th_fault(&t, "FEATURES_REFUSED"));
    VC_CHECK_STR(d->fault[0].req, REQ_DRV_FEATURES_1);
    done(&t);
}

VC_TEST(modern_needs_version_1)
{
    vc_th t;
    uint8_t s = vc_th_negotiate(&t, rng(&t), F_IND);
    VC_CHECK(!(s & VC_STATUS_FEATURES_OK));
    VC_CHECK_STR(t.dev->fault[0].req, REQ_DEV_RESERVED_FEATURES_2);
    done(&t);
}

VC_TEST(legacy_interface_has_32_bits_and_no_features_ok)
{
    vc_th t;
    vc_dev *d = rng(&t);
    d->legacy = true;
    VC_CHECK_EQ(vc_dev_features_window(d, 1), 0); /* VERSION_1 and up are invisible */
    vc_th_negotiate(&t, d, F_IND);
    vc_th_queue(&t, 0, 256);
    vc_th_driver_ok(&t);
    VC_CHECK(vc_dev_status(d) & VC_STATUS_DRIVER_OK);
    uint8_t buf[16];
    vc_seg sg = { vc_testmem_alloc(&t.tm, 16, 16), 16, true };
    VC_CHECK_EQ(vc_th_roundtrip(&t, 0, &sg, 0, 1, false), 16);
    (void)buf;
    done(&t);
}

VC_TEST(driver_may_not_clear_status_bits)
{
    vc_th t;
    vc_dev *d = rng(&t);
    vc_th_negotiate(&t, d, F_V1);
    vc_dev_set_status(d, VC_STATUS_ACKNOWLEDGE); /* drops DRIVER and FEATURES_OK */
    VC_CHECK(vc_th_fault(&t, "DRV_CLEARED_STATUS"));
    VC_CHECK(vc_dev_status(d) & VC_STATUS_FEATURES_OK);
    done(&t);
}

VC_TEST(features_locked_after_features_ok)
{
    vc_th t;
    vc_dev *d = rng(&t);
    vc_th_negotiate(&t, d, F_V1);
    vc_dev_set_driver_features(d, 0, F_IND);
    VC_CHECK(vc_th_fault(&t, "DRV_FEATURES_AFTER_OK"));
    VC_CHECK(!vc_dev_has(d, VC_F_INDIRECT_DESC));
    done(&t);
}

VC_TEST(driver_ok_requires_features_ok)
{
    vc_th t;
    vc_dev *d = rng(&t);
    vc_dev_set_status(d, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER);
    vc_dev_set_status(d, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER | VC_STATUS_DRIVER_OK);
    VC_CHECK(!(vc_dev_status(d) & VC_STATUS_DRIVER_OK));
    t.dev = d;
    VC_CHECK(vc_th_fault(&t, "DRV_INIT_ORDER"));
    done(&t);
}

VC_TEST(reset_clears_everything)
{
    vc_th t;
    vc_dev *d = rng(&t);
    vc_th_negotiate(&t, d, F_V1 | F_IND);
    vc_th_queue(&t, 0, 64);
    d->q[0].msix_vector = 3;
    vc_th_driver_ok(&t);
    vc_dev_set_status(d, 0);
    VC_CONFORMS(REQ_DEV_RESET_1);
    VC_CHECK_EQ(vc_dev_status(d), 0);
    VC_CONFORMS(REQ_DEV_PCI_COMMON_8);
    VC_CHECK(!d->q[0].enabled);
    VC_CONFORMS(REQ_DEV_PCI_MSIX_7);
    VC_CHECK_EQ(d->q[0].msix_vector, VC_NO_VECTOR);
    VC_CHECK_EQ(d->accepted, 0);
    /* the same feature set negotiates again (dev.features.4) */
    VC_CHECK(vc_th_negotiate(&t, d, F_V1 | F_IND) & VC_STATUS_FEATURES_OK);
    done(&t);
}

VC_TEST(kick_before_driver_ok_is_served_after)
{
    vc_th t;
    vc_dev *d = rng(&t);
    vc_th_negotiate(&t, d, F_V1);
    vc_th_queue(&t, 0, 8);
    vc_seg sg = { vc_testmem_alloc(&t.tm, 32, 16), 32, true };
    vc_vq_drv_add(&t.q[0], &sg, 0, 1, 9, false);
    vc_dev_notify(d, 0);
    uint32_t tok, len;
    VC_CONFORMS(REQ_DEV_STATUS_1);
    VC_CHECK_EQ(vc_vq_drv_get_used(&t.q[0], &tok, &len), VC_DRV_EMPTY);
    VC_CHECK(vc_th_fault(&t, "DRV_NOTIFY_EARLY"));
    vc_th_driver_ok(&t);
    VC_CHECK_EQ(vc_vq_drv_get_used(&t.q[0], &tok, &len), VC_DRV_OK);
    VC_CHECK_EQ(len, 32);
    done(&t);
}

VC_TEST(ring_error_sets_needs_reset_and_config_irq)
{
    vc_th t;
    vc_dev *d = rng(&t);
    vc_th_negotiate(&t, d, F_V1);
    vc_th_queue(&t, 0, 8);
    vc_th_driver_ok(&t);
    unsigned irqs = t.irqs;
    uint32_t gen = d->config_generation;
    /* head index 9 on an 8-entry queue */
    vc_split_put_avail(&t.tm.mem, t.q[0].driver, 8, 0, 9);
    vc_dev_notify(d, 0);
    VC_CONFORMS(REQ_DEV_STATUS_2);
    VC_CHECK(vc_dev_status(d) & VC_STATUS_NEEDS_RESET);
    VC_CONFORMS(REQ_DEV_STATUS_3);
    VC_CHECK(t.irqs > irqs);
    VC_CHECK(d->isr & VC_ISR_CONFIG);
    VC_CHECK(d->config_generation != gen);
    VC_CHECK(vc_th_fault(&t, "VC_E_HEAD_RANGE"));
    VC_CHECK_STR(d->fault[0].req, REQ_DRV_IMPLIED_HEAD_RANGE);
    VC_CHECK_EQ(vc_dev_read_isr(d), VC_ISR_CONFIG);
    VC_CONFORMS(REQ_DEV_PCI_ISR_5);
    VC_CHECK_EQ(vc_dev_read_isr(d), 0); /* read clears */
    done(&t);
}

VC_TEST(queue_size_rules)
{
    vc_th t;
    vc_dev *d = rng(&t);
    vc_th_negotiate(&t, d, F_V1);
    VC_CHECK(!vc_dev_queue_set_size(d, 0, 12)); /* not a power of 2, split */
    VC_CHECK(vc_th_fault(&t, "DRV_QUEUE_SIZE"));
    VC_CHECK(!vc_dev_queue_set_size(d, 0, 512)); /* above max */
    VC_CHECK(vc_dev_queue_set_size(d, 0, 16));
    VC_CHECK(!vc_dev_queue_set_size(d, 1, 16)); /* no such queue */
    done(&t);
}

VC_TEST(queue_reset_returns_to_default)
{
    vc_th t;
    vc_dev *d = rng(&t);
    vc_th_negotiate(&t, d, F_V1 | (1ull << 40));
    vc_th_queue(&t, 0, 8);
    vc_th_driver_ok(&t);
    vc_dev_queue_reset(d, 0);
    VC_CHECK(!d->q[0].enabled);
    VC_CHECK_EQ(d->q[0].size, d->q[0].max_size);
    vc_seg sg = { vc_testmem_alloc(&t.tm, 32, 16), 32, true };
    vc_vq_drv_add(&t.q[0], &sg, 0, 1, 9, false);
    VC_CONFORMS(REQ_DEV_VQ_RESET_1);
    vc_dev_notify(d, 0); /* nothing executed */
    uint32_t tok, len;
    VC_CHECK_EQ(vc_vq_drv_get_used(&t.q[0], &tok, &len), VC_DRV_EMPTY);
    done(&t);
}

int main(void) { return vc_test_main(); }
