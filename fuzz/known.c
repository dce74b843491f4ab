#include "known.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KNOWN 64
#define WORD 64

typedef struct sig { char kind[WORD], req[WORD], who[WORD]; } sig;

static sig known[MAX_KNOWN];
static unsigned nknown;

/* "[who: ]kind [req] (tier): detail" -> sig (the tier is not part of it;
 * older output has none); false for a line of another form */
static bool parse_finding(const char *line, sig *s)
{
    const char *open = strstr(line, " [");
    const char *close = open ? strchr(open, ']') : NULL;
    if (!open || !close)
        return false;
    if (!strncmp(close, "] (", 3)) {
        const char *end = strstr(close, "): ");
        if (!end || memchr(close + 3, ' ', (size_t)(end - close - 3)))
            return false;
    } else if (strncmp(close, "]: ", 3)) {
        return false;
    }
    const char *kind = line;
    const char *colon = memchr(line, ':', (size_t)(open - line));
    strcpy(s->who, "-");
    if (colon && colon[1] == ' ') {
        snprintf(s->who, WORD, "%.*s", (int)(colon - line), line);
        kind = colon + 2;
    }
    snprintf(s->kind, WORD, "%.*s", (int)(open - kind), kind);
    snprintf(s->req, WORD, "%.*s", (int)(close - open - 2), open + 2);
    /* a back-end's death: the signal is its site, as fuzz-vhost's
     * signatures have it (driver_vhost.c) */
    const char *g = strstr(close, "signal ");
    if (!strcmp(s->kind, "backend-crash") && g)
        snprintf(s->who, WORD, "signal-%d", atoi(g + 7));
    return true;
}

static bool is_known(const sig *s)
{
    for (unsigned i = 0; i < nknown; i++)
        if (!strcmp(known[i].kind, s->kind) && !strcmp(known[i].req, s->req) &&
            (!strcmp(known[i].who, "*") || !strcmp(known[i].who, s->who)))
            return true;
    return false;
}

bool vc_known_load(void)
{
    nknown = 0; /* a load replaces what an earlier one read */
    const char *path = getenv("VC_FZ_KNOWN");
    if (!path || !*path)
        return true;
    FILE *fp = fopen(path, "r");
    if (!fp) {
        perror(path);
        return false;
    }
    char line[512];
    unsigned n = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, fp)) {
        n++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        sig s = {.who = "*"};
        int got = sscanf(line, "%63s %63s %63s", s.kind, s.req, s.who);
        if (got <= 0)
            continue;
        if (got < 2 || nknown == MAX_KNOWN) {
            fprintf(stderr, "%s:%u: want 'kind requirement [who]' (at most %d lines)\n", path, n, MAX_KNOWN);
            ok = false;
            break;
        }
        known[nknown++] = s;
    }
    fclose(fp);
    return ok;
}

bool vc_known_all(const char *msg)
{
    if (!nknown)
        return false;
    unsigned seen = 0;
    for (const char *line = msg; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        sig s;
        if (parse_finding(buf, &s)) {
            if (!is_known(&s))
                return false;
            seen++;
        }
        line += len + (end ? 1 : 0);
    }
    return seen > 0;
}
