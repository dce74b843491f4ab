/* Known findings (fuzz/known.c): which run outputs a fuzz run passes over. */
#include <stdio.h>
#include <stdlib.h>

#include "known.h"
#include "vc_test.h"

static void load(const char *text)
{
    char path[] = "/tmp/vc-known-XXXXXX"; /* mkstemp fills it in: a fresh one each time */
    int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "w");
    VC_CHECK(fp != NULL);
    if (!fp)
        return;
    fputs(text, fp);
    fclose(fp);
    setenv("VC_FZ_KNOWN", path, 1);
    VC_CHECK(vc_known_load());
    remove(path);
}

VC_TEST(known_findings_are_matched_by_kind_requirement_and_who)
{
    load("# a comment\nwrong-refusal-code drv.packed_indirect.2\nused-length-too-large dev.vq_used.2 ref\n");
    VC_CHECK(vc_known_all("wrong-refusal-code [drv.packed_indirect.2]: backend refused with X\n"));
    VC_CHECK(vc_known_all("rng: wrong-refusal-code [drv.packed_indirect.2]: any backend matches\n"));
    VC_CHECK(vc_known_all("ref: used-length-too-large [dev.vq_used.2]: chain 0\n"));
    /* another backend, another requirement, or one unknown among known ones */
    VC_CHECK(!vc_known_all("rng: used-length-too-large [dev.vq_used.2]: chain 0\n"));
    VC_CHECK(!vc_known_all("wrong-refusal-code [drv.vq_indirect.2]: x\n"));
    VC_CHECK(!vc_known_all("wrong-refusal-code [drv.packed_indirect.2]: x\nread-unavailable-descriptor [-]: y\n"));
    /* the executor's lines carry a tier, which is not part of the signature */
    VC_CHECK(vc_known_all("wrong-refusal-code [drv.packed_indirect.2] (reference): refused with X\n"));
    VC_CHECK(vc_known_all("ref: used-length-too-large [dev.vq_used.2] (device): chain 0\n"));
    VC_CHECK(!vc_known_all("rng: used-length-too-large [dev.vq_used.2] (device): chain 0\n"));
    VC_CHECK(!vc_known_all("wrong-refusal-code [drv.packed_indirect.2] (two words): x\n"));
    VC_CHECK(!vc_known_all("not a finding line\n"));
    VC_CHECK(!vc_known_all(""));
}

VC_TEST(a_back_end_death_is_known_by_its_signal)
{
    load("backend-crash - signal-6\n");
    VC_CHECK(vc_known_all("backend-crash [-] (crash): the back-end died of signal 6 (Aborted)\n"));
    VC_CHECK(!vc_known_all("backend-crash [-] (crash): the back-end died of signal 11 (Segmentation fault)\n"));
    VC_CHECK(!vc_known_all("backend-crash [-] (crash): the back-end exited with status 1\n"));
    load("backend-crash - -\n");
    VC_CHECK(vc_known_all("backend-crash [-] (crash): the back-end exited with status 1\n"));
    VC_CHECK(!vc_known_all("backend-crash [-] (crash): the back-end died of signal 6 (Aborted)\n"));
}

VC_TEST(a_malformed_known_file_is_refused)
{
    static char path[] = "/tmp/vc-known-bad-XXXXXX";
    int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "w");
    fputs("only-a-kind\n", fp);
    fclose(fp);
    setenv("VC_FZ_KNOWN", path, 1);
    VC_CHECK(!vc_known_load());
    remove(path);
    setenv("VC_FZ_KNOWN", "/nonexistent/known.txt", 1);
    VC_CHECK(!vc_known_load());
}

int main(void)
{
    return vc_test_main();
}
