/* Check results: JSON Lines for machines (PROTOCOL.md), a short human view.
 * Every check carries a stable id, the requirement short ids it covers, a
 * verdict, and what was expected and observed. */
#ifndef VP_REPORT_H
#define VP_REPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VP_PROTOCOL_VERSION 1

typedef enum vp_verdict { VP_PASS, VP_FAIL, VP_SKIP, VP_ERROR, VP_INFO, VP_NVERDICTS } vp_verdict;

typedef struct vp_report {
    FILE *json;          /* JSON Lines sink, or NULL */
    FILE *human;         /* human view, or NULL */
    bool verbose;        /* human view lists passing checks too */
    unsigned n[VP_NVERDICTS];
    unsigned devices;
    double t0;
    const char *addr;    /* device the checks are about */
    const char *driver;  /* "pci", "modern", "legacy" */
    const char *scenario; /* replayed scenario the checks are about, or NULL */
    const char *outcome; /* its outcome: conforms, violates, wedged, skipped */
    int json_errno;      /* first failed write to json (0: none): the results are lost */
} vp_report;

/* A small bounded JSON object builder (device records). */
typedef struct vp_json {
    char buf[8192];
    size_t len;
    bool first, overflow;
} vp_json;

void vp_json_open(vp_json *j);
void vp_json_key(vp_json *j, const char *key);
void vp_json_str(vp_json *j, const char *key, const char *val); /* key NULL: array item */
void vp_json_uint(vp_json *j, const char *key, uint64_t val);
void vp_json_bool(vp_json *j, const char *key, bool val);
void vp_json_raw(vp_json *j, const char *key, const char *raw); /* nested value as is */
void vp_json_begin(vp_json *j, const char *key, char bracket); /* '{' or '[' */
void vp_json_end(vp_json *j, char bracket);
const char *vp_json_close(vp_json *j);

const char *vp_verdict_name(vp_verdict v);
void vp_report_start(vp_report *r, int argc, char **argv);
/* Writes a finished device record object (built with vp_json). */
void vp_report_record(vp_report *r, const char *json);
void vp_report_set(vp_report *r, const char *addr, const char *driver);
/* reqs: comma-separated requirement short ids (REQ_* macros joined), may be "". */
vp_verdict vp_check(vp_report *r, const char *id, const char *reqs, vp_verdict v,
                    const char *expected, const char *observed, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* pass when cond, else fail; expected/observed printed with the formats. */
bool vp_expect(vp_report *r, const char *id, const char *reqs, bool cond, const char *expected,
               const char *observed, const char *detail);
void vp_report_end(vp_report *r);
/* 0 all passed, 1 a check failed, 2 could not run (errors only). */
int vp_report_exit(const vp_report *r);
/* Flushes and closes the JSON sink (stdout is flushed, not closed); false,
 * with a message on stderr naming path, when any record was not written. */
bool vp_report_close(vp_report *r, const char *path);

#endif
