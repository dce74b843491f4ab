/* vconform-ctl: read and write control-plane sequences (ctl_seq.h).
 *
 *   vconform-ctl check FILE...      parse text sequences, report errors
 *   vconform-ctl print FILE         binary sequence -> text
 *   vconform-ctl build TEXT OUT     text -> binary (a fuzzer seed)
 *   vconform-ctl roundtrip FILE     binary -> text -> binary must be equal
 *                                   (exit 1 when not)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl_seq.h"
#include "ctl_text.h"

#define BUFCAP (VC_CTL_HDR + VC_CTL_REQ_LEN * VC_CTL_MAX_REQS + VC_CTL_REC * VC_CTL_MAX_OPS)
static vc_ctl_seq seq, seq2;
static uint8_t buf[BUFCAP], buf2[BUFCAP];

static int usage(const char *why)
{
    fprintf(stderr, "vconform-ctl: %s\nusage: vconform-ctl check FILE... | print FILE | "
                    "build TEXT OUT | roundtrip FILE\n", why);
    return 2;
}

static FILE *open_input(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "%s: not a regular file\n", path);
        return NULL;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return fp;
}

static bool parse_file(const char *path, vc_ctl_seq *s)
{
    FILE *fp = open_input(path);
    if (!fp)
        return false;
    char err[256];
    bool ok = vc_ctl_parse(fp, s, err, sizeof(err));
    fclose(fp);
    if (!ok)
        fprintf(stderr, "%s: %s\n", path, err);
    return ok;
}

/* Reads a whole binary file (at most BUFCAP bytes are meaningful). */
static long read_bin(const char *path, uint8_t *out)
{
    FILE *fp = open_input(path);
    if (!fp)
        return -1;
    size_t n = fread(out, 1, BUFCAP, fp);
    bool bad = ferror(fp);
    fclose(fp);
    if (bad) {
        fprintf(stderr, "%s: read error\n", path);
        return -1;
    }
    return (long)n;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage("missing arguments");
    const char *cmd = argv[1];
    if (strcmp(cmd, "check") == 0) {
        int bad = 0;
        for (int i = 2; i < argc; i++)
            bad |= !parse_file(argv[i], &seq);
        return bad ? 1 : 0;
    }
    if (strcmp(cmd, "print") == 0 && argc == 3) {
        long n = read_bin(argv[2], buf);
        if (n < 0)
            return 1;
        vc_ctl_decode(buf, (size_t)n, &seq);
        vc_ctl_print(stdout, &seq);
        return 0;
    }
    if (strcmp(cmd, "build") == 0 && argc == 4) {
        if (!parse_file(argv[2], &seq))
            return 1;
        size_t n = vc_ctl_encode(&seq, buf, sizeof(buf));
        FILE *fp = fopen(argv[3], "wb");
        if (!fp || fwrite(buf, 1, n, fp) != n || fclose(fp) != 0) {
            fprintf(stderr, "%s: cannot write\n", argv[3]);
            return 1;
        }
        return 0;
    }
    if (strcmp(cmd, "roundtrip") == 0 && argc == 3) {
        /* decode -> print -> parse -> encode -> decode must give the same
         * sequence: the text form loses nothing a fuzzer input holds (but
         * header bytes 48..63, which the text form does not carry) */
        long n = read_bin(argv[2], buf);
        if (n < 0)
            return 1;
        vc_ctl_decode(buf, (size_t)n, &seq);
        memset(seq.reserved1, 0, sizeof(seq.reserved1));
        char *text = NULL;
        size_t tlen = 0;
        FILE *mem = open_memstream(&text, &tlen);
        if (!mem)
            return 1;
        vc_ctl_print(mem, &seq);
        fclose(mem);
        FILE *in = fmemopen(text, tlen, "r");
        char err[256];
        bool ok = in && vc_ctl_parse_lax(in, &seq2, err, sizeof(err));
        if (in)
            fclose(in);
        if (!ok) {
            fprintf(stderr, "printed text does not parse: %s\n%s", err, text);
            free(text);
            return 1;
        }
        size_t a = vc_ctl_encode(&seq, buf, sizeof(buf)), b = vc_ctl_encode(&seq2, buf2, sizeof(buf2));
        if (a != b || memcmp(buf, buf2, a) != 0) {
            fprintf(stderr, "round trip differs (%zu vs %zu bytes)\n%s", a, b, text);
            free(text);
            return 1;
        }
        free(text);
        return 0;
    }
    return usage("unknown command");
}
