/* Scenario text form: what `vconform-scn print` shows must build back into
 * the same scenario, for every operation and field (reproducers are read and
 * edited as text). */
#include <stdio.h>
#include <sys/types.h>
#include <string.h>

#include "mutator.h"
#include "scenario.h"
#include "scn_text.h"
#include "vc_test.h"

static size_t print_to(const vc_scenario *s, char *buf, size_t cap)
{
    FILE *f = fmemopen(buf, cap, "w");
    vc_scn_print(f, s);
    long n = ftell(f);
    fclose(f);
    return n > 0 ? (size_t)n : 0;
}

static bool parse_from(const char *text, vc_scenario *s)
{
    char err[128];
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    bool ok = vc_scn_parse(f, s, err, sizeof(err));
    fclose(f);
    if (!ok)
        fprintf(stderr, "parse: %s\n", err);
    return ok;
}

VC_TEST(fill_keeps_shift_same_address_and_address)
{
    static vc_scenario s;
    static char out[4096];
    VC_CHECK(parse_from("scenario packed=0 indirect=0 event_idx=0 in_order=0 qsize=10 used=0\n"
                        "FILL flags=MAIN|SAME|WRITE index=3 count=64 len=0x4000 shift=6 addr=0x1000000\n",
                        &s));
    VC_CHECK_EQ(s.nops, 1u);
    VC_CHECK_EQ(s.ops[0].a8, 0x80u | 0x40u | 6u << 3 | 2u);
    VC_CHECK_EQ(s.ops[0].a16, 3u);
    VC_CHECK_EQ(s.ops[0].a32, 64u | 0x4000u << 16);
    VC_CHECK_EQ(s.ops[0].a64, 0x1000000ull);
    print_to(&s, out, sizeof(out));
    VC_CHECK(strstr(out, "FILL flags=WRITE|SAME|MAIN index=0x3 count=0x40 len=0x4000 shift=0x6 "
                         "addr=0x1000000") != NULL);
}

/* Mutated scenarios hold every operation with arbitrary field values. */
VC_TEST(print_then_parse_round_trips_mutated_scenarios)
{
    static vc_scenario a, b;
    static uint8_t data[1 << 14], enc_a[1 << 14], enc_b[1 << 14];
    static char text[1 << 18];
    size_t size = 0;
    for (unsigned seed = 1; seed <= 300; seed++) {
        size = vc_scn_mutate(data, size, sizeof(data), seed);
        vc_scn_decode(data, size, &a);
        size_t n = print_to(&a, text, sizeof(text) - 1);
        text[n] = 0;
        VC_CHECK(parse_from(text, &b));
        size_t la = vc_scn_encode(&a, enc_a, sizeof(enc_a));
        size_t lb = vc_scn_encode(&b, enc_b, sizeof(enc_b));
        VC_CHECK_EQ(la, lb);
        if (la != lb || memcmp(enc_a, enc_b, la) != 0) {
            size_t at = 0;
            while (at < la && at < lb && enc_a[at] == enc_b[at])
                at++;
            fprintf(stderr, "seed %u: byte %zu (record %zd) differs after print/parse:\n%s", seed,
                    at, at < VC_SCN_HDR ? (ssize_t)-1 : (ssize_t)((at - VC_SCN_HDR) / VC_SCN_REC),
                    text);
            VC_CHECK(false);
            break;
        }
    }
}

int main(void) { return vc_test_main(); }
