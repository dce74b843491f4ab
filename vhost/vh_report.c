/* JSON Lines check records (see vh_report.h). */
#include "vh_report.h"

#include <stdarg.h>
#include <string.h>
#include <sys/utsname.h>

#include "vu_sock.h"

static const char *const names[VH_NVERDICTS] = { "pass", "fail", "skip", "error", "info" };

void vh_json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f) /* non-ASCII too: the output stays valid UTF-8 */
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void reqs_array(FILE *out, const char *reqs)
{
    fputc('[', out);
    bool first = true;
    for (const char *p = reqs; p && *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char id[64];
        snprintf(id, sizeof(id), "%.*s", (int)n, p);
        if (!first)
            fputc(',', out);
        vh_json_str(out, id);
        first = false;
        p = end ? end + 1 : p + n;
    }
    fputc(']', out);
}

void vh_report_start(vh_report *r, FILE *out, const char *addr, int argc, char **argv)
{
    memset(r, 0, sizeof(*r));
    r->out = out;
    r->addr = addr;
    r->t0 = vu_now_ms();
    struct utsname u;
    fprintf(out, "{\"v\":1,\"type\":\"start\",\"probe\":\"vconform-vhost 1\",\"args\":[");
    for (int i = 0; i < argc; i++) {
        if (i)
            fputc(',', out);
        vh_json_str(out, argv[i]);
    }
    fprintf(out, "],\"kernel\":");
    vh_json_str(out, uname(&u) == 0 ? u.release : "");
    fprintf(out, "}\n");
}

vh_verdict vh_check(vh_report *r, const char *id, const char *reqs, vh_verdict v, const char *expected,
                    const char *observed, const char *fmt, ...)
{
    char detail[512] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
    }
    r->n[v]++;
    FILE *o = r->out;
    fprintf(o, "{\"v\":1,\"type\":\"check\",\"addr\":");
    vh_json_str(o, r->addr);
    fprintf(o, ",\"driver\":\"vhost-user\",\"id\":");
    vh_json_str(o, id);
    fprintf(o, ",\"reqs\":");
    reqs_array(o, reqs);
    fprintf(o, ",\"verdict\":\"%s\",\"expected\":", names[v]);
    vh_json_str(o, expected);
    fprintf(o, ",\"observed\":");
    vh_json_str(o, observed);
    fprintf(o, ",\"detail\":");
    vh_json_str(o, detail);
    fprintf(o, ",\"ms\":%lld}\n", vu_now_ms() - r->t0);
    fflush(o);
    if (v == VH_FAIL || v == VH_ERROR)
        fprintf(stderr, "%s %s [%s]: expected %s, observed %s%s%s\n", names[v], id, reqs && *reqs ? reqs : "-",
                expected ? expected : "-", observed ? observed : "-", *detail ? "; " : "", detail);
    return v;
}

bool vh_expect(vh_report *r, const char *id, const char *reqs, bool cond, const char *expected,
               const char *observed)
{
    vh_check(r, id, reqs, cond ? VH_PASS : VH_FAIL, expected, observed, NULL);
    return cond;
}

void vh_report_end(vh_report *r)
{
    fprintf(r->out,
            "{\"v\":1,\"type\":\"end\",\"passed\":%u,\"failed\":%u,\"skipped\":%u,\"errors\":%u,"
            "\"info\":%u,\"devices\":1,\"ms\":%lld}\n",
            r->n[VH_PASS], r->n[VH_FAIL], r->n[VH_SKIP], r->n[VH_ERROR], r->n[VH_INFO],
            vu_now_ms() - r->t0);
    fflush(r->out);
}

int vh_report_exit(const vh_report *r)
{
    if (r->n[VH_FAIL])
        return 1;
    return r->n[VH_ERROR] && !r->n[VH_PASS] ? 2 : r->n[VH_ERROR] ? 1 : 0;
}
