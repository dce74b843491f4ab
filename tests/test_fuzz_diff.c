/* Differential mode: two executor reports compared event by event. */
#include "diff.h"
#include "vc_test.h"

static void push(vc_fz_report *r, char kind, uint16_t id, uint32_t len)
{
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

int main(void) { return vc_test_main(); }
