/* JSON Lines and human output of the probe's checks. */
#include "report.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

static const char *const verdict_names[VP_NVERDICTS] = {"pass", "fail", "skip", "error", "info"};

const char *vp_verdict_name(vp_verdict v)
{
    return v < VP_NVERDICTS ? verdict_names[v] : "error";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- JSON builder ---- */
static void put(vp_json *j, const char *s, size_t n)
{
    if (j->overflow || j->len + n + 1 >= sizeof(j->buf) - 4) {
        j->overflow = true;
        return;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = 0;
}

static void puts_(vp_json *j, const char *s)
{
    put(j, s, strlen(s));
}

static void put_escaped(vp_json *j, const char *s)
{
    puts_(j, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[8];
        if (*p == '"' || *p == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)*p;
            put(j, tmp, 2);
        } else if (*p < 0x20 || *p >= 0x7f) {
            snprintf(tmp, sizeof tmp, "\\u%04x", *p); /* bytes, never raw: output stays ASCII */
            puts_(j, tmp);
        } else {
            put(j, (const char *)p, 1);
        }
    }
    puts_(j, "\"");
}

void vp_json_open(vp_json *j)
{
    j->len = 0;
    j->buf[0] = 0;
    j->overflow = false;
    j->first = true;
    puts_(j, "{");
}

void vp_json_key(vp_json *j, const char *key)
{
    if (!j->first)
        puts_(j, ",");
    j->first = false;
    if (key) {
        put_escaped(j, key);
        puts_(j, ":");
    }
}

void vp_json_str(vp_json *j, const char *key, const char *val)
{
    vp_json_key(j, key);
    put_escaped(j, val ? val : "");
}

void vp_json_uint(vp_json *j, const char *key, uint64_t val)
{
    char tmp[24];
    vp_json_key(j, key);
    snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)val);
    puts_(j, tmp);
}

void vp_json_bool(vp_json *j, const char *key, bool val)
{
    vp_json_key(j, key);
    puts_(j, val ? "true" : "false");
}

void vp_json_raw(vp_json *j, const char *key, const char *raw)
{
    vp_json_key(j, key);
    puts_(j, raw);
}

void vp_json_begin(vp_json *j, const char *key, char bracket)
{
    vp_json_key(j, key);
    put(j, &bracket, 1);
    j->first = true;
}

void vp_json_end(vp_json *j, char bracket)
{
    put(j, &bracket, 1);
    j->first = false;
}

const char *vp_json_close(vp_json *j)
{
    puts_(j, "}");
    if (j->overflow) { /* never emit a truncated object */
        j->len = 0;
        j->overflow = false;
        j->first = true;
        puts_(j, "{\"v\":1,\"type\":\"note\",\"detail\":\"record too large, dropped\"}");
    }
    return j->buf;
}

/* ---- report ---- */
static void emit(vp_report *r, const char *json)
{
    if (!r->json)
        return;
    errno = 0;
    if ((fputs(json, r->json) < 0 || fputc('\n', r->json) == EOF || fflush(r->json) != 0) && !r->json_errno)
        r->json_errno = errno ? errno : EIO; /* kept for the end: a run whose results are lost must not pass */
}

void vp_report_start(vp_report *r, int argc, char **argv)
{
    vp_json j;
    struct utsname u;
    r->t0 = now_s();
    vp_json_open(&j);
    vp_json_uint(&j, "v", VP_PROTOCOL_VERSION);
    vp_json_str(&j, "type", "start");
    vp_json_str(&j, "probe", "vconform-probe 1");
    vp_json_begin(&j, "args", '[');
    for (int i = 1; i < argc; i++)
        vp_json_str(&j, NULL, argv[i]);
    vp_json_end(&j, ']');
    vp_json_str(&j, "kernel", uname(&u) == 0 ? u.release : "?");
    emit(r, vp_json_close(&j));
}

void vp_report_record(vp_report *r, const char *json)
{
    emit(r, json);
}

void vp_report_set(vp_report *r, const char *addr, const char *driver)
{
    r->addr = addr;
    r->driver = driver;
}

vp_verdict vp_check(vp_report *r, const char *id, const char *reqs, vp_verdict v,
                    const char *expected, const char *observed, const char *fmt, ...)
{
    char detail[512] = "";
    vp_json j;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
    }
    if (v >= VP_NVERDICTS)
        v = VP_ERROR;
    r->n[v]++;
    vp_json_open(&j);
    vp_json_uint(&j, "v", VP_PROTOCOL_VERSION);
    vp_json_str(&j, "type", "check");
    vp_json_str(&j, "addr", r->addr ? r->addr : "");
    vp_json_str(&j, "driver", r->driver ? r->driver : "pci");
    vp_json_str(&j, "id", id);
    vp_json_begin(&j, "reqs", '[');
    for (const char *p = reqs ? reqs : ""; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char one[64];
        if (n && n < sizeof one) {
            memcpy(one, p, n);
            one[n] = 0;
            vp_json_str(&j, NULL, one);
        }
        p += n + (e ? 1 : 0);
    }
    vp_json_end(&j, ']');
    vp_json_str(&j, "verdict", vp_verdict_name(v));
    vp_json_str(&j, "expected", expected ? expected : "");
    vp_json_str(&j, "observed", observed ? observed : "");
    vp_json_str(&j, "detail", detail);
    if (r->scenario) {
        vp_json_str(&j, "scenario", r->scenario);
        vp_json_str(&j, "outcome", r->outcome ? r->outcome : "");
    }
    vp_json_uint(&j, "ms", (uint64_t)((now_s() - r->t0) * 1000)); /* since the start: where time goes */
    emit(r, vp_json_close(&j));
    if (r->human && (r->verbose || v == VP_FAIL || v == VP_ERROR)) {
        fprintf(r->human, "  %-5s %s %-7s %s", vp_verdict_name(v), r->addr ? r->addr : "-",
                r->driver ? r->driver : "pci", id);
        if (r->scenario)
            fprintf(r->human, " [%s]", r->scenario);
        if (v == VP_FAIL || expected || observed)
            fprintf(r->human, " (expected %s, observed %s)", expected ? expected : "-",
                    observed ? observed : "-");
        if (*detail)
            fprintf(r->human, ": %s", detail);
        if (reqs && *reqs)
            fprintf(r->human, " [%s]", reqs);
        fputc('\n', r->human);
    }
    return v;
}

bool vp_expect(vp_report *r, const char *id, const char *reqs, bool cond, const char *expected,
               const char *observed, const char *detail)
{
    vp_check(r, id, reqs, cond ? VP_PASS : VP_FAIL, expected, observed, detail ? "%s" : NULL,
             detail);
    return cond;
}

void vp_report_end(vp_report *r)
{
    vp_json j;
    double secs = now_s() - r->t0;
    vp_json_open(&j);
    vp_json_uint(&j, "v", VP_PROTOCOL_VERSION);
    vp_json_str(&j, "type", "end");
    vp_json_uint(&j, "passed", r->n[VP_PASS]);
    vp_json_uint(&j, "failed", r->n[VP_FAIL]);
    vp_json_uint(&j, "skipped", r->n[VP_SKIP]);
    vp_json_uint(&j, "errors", r->n[VP_ERROR]);
    vp_json_uint(&j, "info", r->n[VP_INFO]);
    vp_json_uint(&j, "devices", r->devices);
    vp_json_uint(&j, "ms", (uint64_t)(secs * 1000));
    emit(r, vp_json_close(&j));
    if (r->human)
        fprintf(r->human, "%u device(s): %u passed, %u failed, %u skipped, %u errors, %u info (%.2f s)\n",
                r->devices, r->n[VP_PASS], r->n[VP_FAIL], r->n[VP_SKIP], r->n[VP_ERROR],
                r->n[VP_INFO], secs);
}

bool vp_report_close(vp_report *r, const char *path)
{
    if (r->json) {
        errno = 0;
        bool ok = fflush(r->json) == 0 && !ferror(r->json);
        if (!ok && !r->json_errno)
            r->json_errno = errno ? errno : EIO;
        if (r->json != stdout && fclose(r->json) != 0 && !r->json_errno)
            r->json_errno = errno ? errno : EIO;
        r->json = NULL;
    }
    if (r->json_errno)
        fprintf(stderr, "vconform-probe: writing results to %s failed: %s\n",
                path && strcmp(path, "-") ? path : "stdout", strerror(r->json_errno));
    return r->json_errno == 0;
}

int vp_report_exit(const vp_report *r)
{
    if (r->n[VP_FAIL])
        return 1;
    if (r->n[VP_ERROR] || r->devices == 0)
        return 2;
    return 0;
}
