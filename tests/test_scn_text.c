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

static bool parse_n(const char *text, size_t len, vc_scenario *s, char *err, size_t errcap)
{
    FILE *f = fmemopen((void *)text, len, "r");
    bool ok = vc_scn_parse(f, s, err, errcap);
    fclose(f);
    return ok;
}

static bool parse_from(const char *text, vc_scenario *s)
{
    char err[200];
    bool ok = parse_n(text, strlen(text), s, err, sizeof(err));
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

#define HDR "scenario qsize=3\n" /* line 1 */

/* Text the parser must refuse rather than bend, and what its error must
 * name: the line, and the field with the value as written. One row, one case. */
static const struct rejected {
    const char *text;
    size_t len; /* 0: strlen (set for text holding a NUL) */
    const char *line, *field;
} rejected[] = {
    /* header fields: their width in the binary header, or their meaning */
    { "scenario qsize=70000\n", 0, "line 1:", "qsize=70000" },
    { "scenario used=7\n", 0, "line 1:", "used=7" },
    { "scenario packed=2\n", 0, "line 1:", "packed=2" },
    { "scenario in_order=0x100000001\n", 0, "line 1:", "in_order=0x100000001" },
    { "scenario model_queue=256\n", 0, "line 1:", "model_queue=256" },
    { "scenario reserved=0x10000\n", 0, "line 1:", "reserved=0x10000" },
    { "scenario model_features=0x10000000000000000\n", 0, "line 1:", "model_features=" },
    /* operation fields: the bytes each one has in its record */
    { HDR "DESC index=-1\n", 0, "line 2:", "index=-1" },
    { HDR "AVAIL head=0x12345\n", 0, "line 2:", "head=0x12345" },
    { HDR "AIDX idx=65536\n", 0, "line 2:", "idx=65536" },
    { HDR "DESC flags=0x100\n", 0, "line 2:", "flags=0x100" },
    { HDR "IDESC len=0x100000000\n", 0, "line 2:", "len=0x100000000" },
    { HDR "NEXT next=0x10000\n", 0, "line 2:", "next=0x10000" },
    { HDR "EVENT which=256\n", 0, "line 2:", "which=256" },
    { HDR "MEM gpa=0x100000000\n", 0, "line 2:", "gpa=0x100000000" },
    { HDR "FILL count=0x10000\n", 0, "line 2:", "count=0x10000" },
    { HDR "FILL len=0x10000\n", 0, "line 2:", "len=0x10000" },
    { HDR "FILL shift=8\n", 0, "line 2:", "shift=8" },
    { HDR "FILL flags=0x38\n", 0, "line 2:", "flags=0x38" }, /* bits 3-5 are shift= */
    { HDR "DESC a8=0x100\n", 0, "line 2:", "a8=0x100" },
    { HDR "DESC a16=0x10000\n", 0, "line 2:", "a16=0x10000" },
    { HDR "DESC a32=0x100000000\n", 0, "line 2:", "a32=0x100000000" },
    /* numbers: decimal or 0x hex, 64 bits at most, nothing after them */
    { HDR "DESC addr=0x10000000000000000\n", 0, "line 2:", "addr=0x10000000000000000" },
    { HDR "DESC addr=18446744073709551616\n", 0, "line 2:", "addr=18446744073709551616" },
    { HDR "DESC len=16abc\n", 0, "line 2:", "len=16abc" },
    { HDR "DESC addr=0x10g\n", 0, "line 2:", "addr=0x10g" },
    { HDR "DESC len=1.5\n", 0, "line 2:", "len=1.5" },
    { HDR "DESC len=+1\n", 0, "line 2:", "len=+1" },
    { HDR "DESC len=\n", 0, "line 2:", "len=" },
    { HDR "DESC addr=0x\n", 0, "line 2:", "addr=0x" },
    { HDR "DESC index=010\n", 0, "line 2:", "index=010" }, /* strtoull read 8 */
    { HDR "DESC flags=NEXT|\n", 0, "line 2:", "flags=NEXT|" },
    { HDR "DESC flags=NEXT|BOGUS\n", 0, "line 2:", "flags=NEXT|BOGUS" },
    { HDR "DESC flags=NEXT|-1\n", 0, "line 2:", "flags=NEXT|-1 is negative" },
    { HDR "DESC len=WRITE\n", 0, "line 2:", "len=WRITE" }, /* flag names are for flags= */
    /* the text itself */
    { HDR "KICK\nDESC len=1\0 addr=5\n", sizeof(HDR "KICK\nDESC len=1\0 addr=5\n") - 1, "line 3:",
      "NUL" },
    { HDR "DESC bogus=1\n", 0, "line 2:", "bogus" },
    { HDR "DESC len\n", 0, "line 2:", "len" },
    { HDR "BOGUS\n", 0, "line 2:", "BOGUS" },
    { HDR "DESC len=1 len=2\n", 0, "line 2:", "len" },
    { HDR "DESC a32=1 a32=2\n", 0, "line 2:", "a32" },
    { "scenario qsize=1 qsize=2\n", 0, "line 1:", "qsize" },
    { HDR "KICK\n" HDR, 0, "line 3:", "scenario" },
    { "# a comment\nKICK\n" HDR, 0, "line 2:", "KICK" },
};

VC_TEST(parse_rejects_bad_input_naming_line_and_field)
{
    static vc_scenario s;
    for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
        const struct rejected *r = &rejected[i];
        char err[200] = "";
        bool ok = parse_n(r->text, r->len ? r->len : strlen(r->text), &s, err, sizeof(err));
        if (ok || !strstr(err, r->line) || !strstr(err, r->field)) {
            fprintf(stderr, "case %zu (%s %s): %s\n", i, r->line, r->field,
                    ok ? "accepted" : err);
            VC_CHECK(false);
        }
    }
}

/* A line longer than the reader holds used to run on as a second line. */
VC_TEST(parse_rejects_a_line_too_long)
{
    static vc_scenario s;
    static char text[2048];
    char err[200] = "";
    int n = snprintf(text, sizeof(text), HDR "DESC len=1%*s KICK\n", 600, "");
    VC_CHECK(!parse_n(text, (size_t)n, &s, err, sizeof(err)));
    VC_CHECK(strstr(err, "line 2:") != NULL);
    VC_CHECK(strstr(err, "long") != NULL);
}

/* The bounds are the fields' own: their largest values still build. */
VC_TEST(parse_accepts_each_field_at_its_bounds)
{
    static vc_scenario s;
    VC_CHECK(parse_from("scenario packed=1 indirect=1 event_idx=1 in_order=1 qsize=65535 used=3 "
                        "model_queue=255 model_features=0xffffffffffffffff reserved=0xffff\n"
                        "DESC flags=0xff index=0xffff len=4294967295 addr=18446744073709551615\n"
                        "NEXT which=255 index=65535 next=0xffff a32=0xffffffff\n"
                        "FILL flags=NEXT|WRITE|INDIRECT|SAME|MAIN shift=7 count=0xffff len=0xffff\n"
                        "DESC flags=NEXT|0x80 index=0 len=0x0 addr=0X10\n",
                        &s));
    VC_CHECK_EQ(s.raw_qsize, 0xffffu);
    VC_CHECK_EQ(s.used_policy, 3u);
    VC_CHECK_EQ(s.reserved[9] | s.reserved[10] << 8, 0xffff);
    VC_CHECK_EQ(s.ops[0].a64, UINT64_MAX);
    VC_CHECK_EQ(s.ops[1].a32, 0xffffffffu);
    VC_CHECK_EQ(s.ops[2].a8, 0xffu);
    VC_CHECK_EQ(s.ops[2].a32, 0xffffffffu);
    VC_CHECK_EQ(s.ops[3].a8, 0x81u);
    VC_CHECK_EQ(s.ops[3].a64, 0x10u);
}

/* print, then parse: the scenario must encode to the very same bytes. */
static bool round_trips(const vc_scenario *a, const char *what, unsigned seed)
{
    static vc_scenario b;
    static uint8_t enc_a[VC_SCN_HDR + VC_SCN_REC * VC_SCN_MAX_OPS];
    static uint8_t enc_b[VC_SCN_HDR + VC_SCN_REC * VC_SCN_MAX_OPS];
    static char text[1 << 20];
    size_t n = print_to(a, text, sizeof(text) - 1);
    text[n] = 0;
    size_t la = vc_scn_encode(a, enc_a, sizeof(enc_a));
    size_t lb = parse_from(text, &b) ? vc_scn_encode(&b, enc_b, sizeof(enc_b)) : 0;
    if (la == lb && memcmp(enc_a, enc_b, la) == 0)
        return true;
    size_t at = 0;
    while (at < la && at < lb && enc_a[at] == enc_b[at])
        at++;
    fprintf(stderr, "%s %u: byte %zu (record %zd) differs after print/parse:\n%s", what, seed, at,
            at < VC_SCN_HDR ? (ssize_t)-1 : (ssize_t)((at - VC_SCN_HDR) / VC_SCN_REC), text);
    return false;
}

/* Mutated scenarios hold every operation with arbitrary field values. */
VC_TEST(print_then_parse_round_trips_mutated_scenarios)
{
    static vc_scenario a;
    static uint8_t data[1 << 14];
    size_t size = 0;
    for (unsigned seed = 1; seed <= 300; seed++) {
        size = vc_scn_mutate(data, size, sizeof(data), seed);
        vc_scn_decode(data, size, &a);
        if (!round_trips(&a, "mutated seed", seed)) {
            VC_CHECK(false);
            break;
        }
    }
}

/* Random bytes reach what the mutator leaves alone (the header's reserved
 * bytes, bits of fields no operation uses); edge values come often. */
VC_TEST(print_then_parse_round_trips_random_bytes)
{
    static vc_scenario a;
    static uint8_t data[VC_SCN_HDR + VC_SCN_REC * 64];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (unsigned seed = 1; seed <= 2000; seed++) {
        size_t size = 0;
        for (size_t i = 0; i < sizeof(data); i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            unsigned r = (unsigned)(x >> 32);
            data[i] = (uint8_t)(r % 4 == 0 ? 0 : r % 4 == 1 ? 0xff : r >> 8);
            size = i == 0 ? r % sizeof(data) + 1 : size;
        }
        vc_scn_decode(data, size, &a);
        if (!round_trips(&a, "random seed", seed)) {
            VC_CHECK(false);
            break;
        }
    }
}

int main(void) { return vc_test_main(); }
