/* Minimal unit-test support: each test file is one executable run by ctest.
 *
 *   VC_TEST(name) { ... VC_CHECK(cond); VC_CHECK_EQ(a, b); ... }
 *   int main(void) { return vc_test_main(); }
 *
 * Tests register themselves through a constructor; a failed check reports
 * file:line and the values, and the test continues with the next test.
 * The closing line is "N passed, N failed".
 *
 * VC_CONFORMS(REQ_DEV_...) marks the checks that follow as the proof that the
 * reference device satisfies that device requirement: a failing check then
 * names it, and tools/coverage.py counts the requirement as demonstrated.
 */
#ifndef VC_TEST_H
#define VC_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*vc_test_fn)(void);
struct vc_test_entry { const char *name; vc_test_fn fn; };

#define VC_TEST_MAX 512
static struct vc_test_entry vc_tests[VC_TEST_MAX];
static int vc_ntests, vc_cur_failed;
static const char *vc_cur_req; /* the requirement being demonstrated, if any */

#define VC_CONFORMS(req) (vc_cur_req = (req))
#define VC_FAIL_REQ() (vc_cur_req ? fprintf(stderr, "  (reference device violates %s)\n", vc_cur_req) : 0)

#define VC_TEST(name)                                                            \
    static void name(void);                                                      \
    __attribute__((constructor)) static void vc_reg_##name(void)                 \
    {                                                                            \
        if (vc_ntests < VC_TEST_MAX)                                             \
            vc_tests[vc_ntests++] = (struct vc_test_entry){ #name, name };       \
    }                                                                            \
    static void name(void)

#define VC_CHECK(cond)                                                           \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            VC_FAIL_REQ();                                                       \
            vc_cur_failed = 1;                                                   \
        }                                                                        \
    } while (0)

#define VC_CHECK_EQ(a, b)                                                        \
    do {                                                                         \
        long long vc_a_ = (long long)(a), vc_b_ = (long long)(b);                \
        if (vc_a_ != vc_b_) {                                                    \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,  \
                    __LINE__, #a, #b, vc_a_, vc_b_);                             \
            VC_FAIL_REQ();                                                       \
            vc_cur_failed = 1;                                                   \
        }                                                                        \
    } while (0)

#define VC_CHECK_STR(a, b)                                                       \
    do {                                                                         \
        const char *vc_a_ = (a), *vc_b_ = (b);                                   \
        if (!vc_a_ || !vc_b_ || strcmp(vc_a_, vc_b_) != 0) {                     \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n",        \
                    __FILE__, __LINE__, #a, #b, vc_a_ ? vc_a_ : "(null)",        \
                    vc_b_ ? vc_b_ : "(null)");                                   \
            VC_FAIL_REQ();                                                       \
            vc_cur_failed = 1;                                                   \
        }                                                                        \
    } while (0)

static inline int vc_test_main(void)
{
    int passed = 0, failed = 0;
    const char *only = getenv("VC_TEST_ONLY");
    for (int i = 0; i < vc_ntests; i++) {
        if (only && strcmp(only, vc_tests[i].name) != 0)
            continue;
        vc_cur_failed = 0;
        vc_cur_req = NULL;
        vc_tests[i].fn();
        if (vc_cur_failed) {
            failed++;
            printf("FAIL %s\n", vc_tests[i].name);
        } else {
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
