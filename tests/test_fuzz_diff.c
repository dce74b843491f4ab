/* Differential mode: two executor reports compared event by event. */
#include <limits.h>

#include "diff.h"
#include "vc_test.h"

static void push(vc_fz_report *r, char kind, uint16_t id, uint32_t len)
{
    if (r->nev == 0)
        r->data_dependent_from = r->stopped_from = UINT_MAX;
    r->ev[r->nev++] = (vc_fz_event){ kind, id, len };
}

VC_TEST(same_events_no_divergence)
{
    static vc_fz_report a, b;
    char msg[256] = "";
    push(&a, 'K', 0, 0), push(&a, 'T', 3, 0), push(&a, 'U', 3, 64);
    b = a;
    VC_CHECK_EQ(vc_fz_diff(&a, "ref", &b, "other", msg, sizeof(msg)), 0);
    VC_CHECK_STR(msg, "");
}

VC_TEST(first_divergence_is_named)
{
    static vc_fz_report a, b;
    char msg[256] = "";
    push(&a, 'K', 0, 0), push(&a, 'T', 3, 0), push(&a, 'U', 3, 64), push(&a, 'K', 0, 0);
    push(&b, 'K', 0, 0), push(&b, 'T', 3, 0), push(&b, 'U', 3, 65);
    VC_CHECK_EQ(vc_fz_diff(&a, "ref", &b, "other", msg, sizeof(msg)), 1);
    VC_CHECK(strstr(msg, "ref used chain 3 with length 64") != NULL);
    VC_CHECK(strstr(msg, "other used chain 3 with length 65") != NULL);
    /* one backend refuses where the other takes */
    static vc_fz_report c, d;
    push(&c, 'K', 0, 0), push(&c, 'T', 0, 0);
    push(&d, 'K', 0, 0), push(&d, 'R', 0, 0);
    VC_CHECK_EQ(vc_fz_diff(&c, "ref", &d, "other", msg, sizeof(msg)), 1);
    VC_CHECK(strstr(msg, "other refused the ring") != NULL);
    /* a backend that stops early diverges too */
    static vc_fz_report e;
    push(&e, 'K', 0, 0);
    VC_CHECK_EQ(vc_fz_diff(&c, "ref", &e, "other", msg, sizeof(msg)), 1);
    VC_CHECK(strstr(msg, "other did nothing more") != NULL);
}

VC_TEST(events_after_data_dependence_are_not_compared)
{
    static vc_fz_report a, b;
    char msg[256] = "";
    push(&a, 'K', 0, 0), push(&a, 'T', 1, 0), push(&a, 'K', 0, 0), push(&a, 'T', 2, 0);
    push(&b, 'K', 0, 0), push(&b, 'T', 1, 0), push(&b, 'K', 0, 0), push(&b, 'R', 0, 0);
    VC_CHECK_EQ(vc_fz_diff(&a, "ref", &b, "other", msg, sizeof(msg)), 1);
    b.data_dependent_from = 2; /* chain 1 had a writable buffer over the ring */
    VC_CHECK_EQ(vc_fz_diff(&a, "ref", &b, "other", msg, sizeof(msg)), 0);
}

VC_TEST(run_cut_short_by_the_budget_is_no_divergence)
{
    static vc_fz_report a, b;
    char msg[256] = "";
    push(&a, 'K', 0, 0), push(&a, 'T', 3, 0), push(&a, 'U', 3, 64), push(&a, 'T', 4, 0);
    push(&b, 'K', 0, 0), push(&b, 'T', 3, 0), push(&b, 'U', 3, 64);
    b.stopped_from = 3; /* the other backend ended its kick here on request */
    VC_CHECK_EQ(vc_fz_diff(&a, "ref", &b, "other", msg, sizeof(msg)), 0);
    b.stopped_from = UINT_MAX;
    VC_CHECK_EQ(vc_fz_diff(&a, "ref", &b, "other", msg, sizeof(msg)), 1);
}

int main(void) { return vc_test_main(); }
