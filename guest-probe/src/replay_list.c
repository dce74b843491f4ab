/* Scenario files for the replay (replay_list.h). */
#include "replay_list.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scn_text.h"

#define MAX_FILE (VC_SCN_HDR + VC_SCN_REC * VC_SCN_MAX_OPS)
#define MAX_DEPTH 4

static bool add(vp_scnlist *l, const char *name, const char *path, char *err, size_t errlen)
{
    if (l->n == VP_MAX_SCENARIOS) {
        snprintf(err, errlen, "%s: more than %u scenario files", l->root, VP_MAX_SCENARIOS);
        return false;
    }
    if (l->n % 64 == 0) {
        char **nn = realloc(l->name, (l->n + 64) * sizeof *nn), **np = nn ? realloc(l->path, (l->n + 64) * sizeof *np) : NULL;
        if (nn)
            l->name = nn;
        if (!np) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        l->path = np;
    }
    l->name[l->n] = strdup(name);
    l->path[l->n] = strdup(path);
    if (!l->name[l->n] || !l->path[l->n]) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    l->n++;
    return true;
}

static bool walk(vp_scnlist *l, const char *dir, const char *rel, unsigned depth, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return false;
    }
    bool ok = true;
    for (struct dirent *e; ok && (e = readdir(d));) {
        /* dot files (.keep) and notes are not scenarios */
        if (e->d_name[0] == '.' || !strncmp(e->d_name, "README", 6) || strstr(e->d_name, ".md") ||
            strstr(e->d_name, ".py"))
            continue;
        char path[4096], name[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(name, sizeof name, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            ok = depth < MAX_DEPTH ? walk(l, path, name, depth + 1, err, errlen) : true;
        else if (S_ISREG(st.st_mode))
            ok = add(l, name, path, err, errlen);
    }
    closedir(d);
    return ok;
}

static char **sort_names; /* qsort has no context argument */

static int by_name(const void *a, const void *b)
{
    return strcmp(sort_names[*(const unsigned *)a], sort_names[*(const unsigned *)b]);
}

bool vp_scnlist_load(vp_scnlist *l, const char *root, char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    l->root = strdup(root);
    struct stat st;
    if (stat(root, &st) != 0) {
        snprintf(err, errlen, "--scenarios %s: %s", root, strerror(errno));
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        if (!walk(l, root, "", 0, err, errlen))
            return false;
    } else {
        const char *base = strrchr(root, '/');
        if (!add(l, base ? base + 1 : root, root, err, errlen))
            return false;
    }
    if (!l->n) {
        snprintf(err, errlen, "--scenarios %s: no scenario file", root);
        return false;
    }
    /* sorted by name: the runner numbers them the same way */
    unsigned *ix = malloc(l->n * sizeof *ix);
    char **nn = malloc(l->n * sizeof *nn), **np = malloc(l->n * sizeof *np);
    if (!ix || !nn || !np) {
        free(ix), free(nn), free(np);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (unsigned i = 0; i < l->n; i++)
        ix[i] = i;
    sort_names = l->name;
    qsort(ix, l->n, sizeof *ix, by_name);
    for (unsigned i = 0; i < l->n; i++) {
        nn[i] = l->name[ix[i]];
        np[i] = l->path[ix[i]];
    }
    free(l->name);
    free(l->path);
    free(ix);
    l->name = nn;
    l->path = np;
    return true;
}

void vp_scnlist_free(vp_scnlist *l)
{
    for (unsigned i = 0; i < l->n; i++) {
        free(l->name[i]);
        free(l->path[i]);
    }
    free(l->name);
    free(l->path);
    free(l->root);
    memset(l, 0, sizeof *l);
}

static bool is_text(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((b[i] < 0x20 && b[i] != '\n' && b[i] != '\t' && b[i] != '\r') || b[i] >= 0x7f)
            return false;
    return n > 0;
}

/* "#@ use req=dev.x.1" lines */
static void directives(const char *text, vp_scnmeta *meta)
{
    for (const char *p = text; (p = strstr(p, "#@"));) {
        p += 2;
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
        char *save = NULL;
        for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
            if (!strcmp(t, "use"))
                meta->use = true;
            else if (!strncmp(t, "req=", 4))
                snprintf(meta->req, sizeof meta->req, "%s", t + 4);
        }
        p += n;
    }
}

bool vp_scn_read(const vp_scnlist *l, unsigned i, vc_scenario *s, vp_scnmeta *meta, char *err, size_t errlen)
{
    static uint8_t buf[MAX_FILE + 1];
    memset(meta, 0, sizeof *meta);
    FILE *f = fopen(l->path[i], "rb");
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        return false;
    }
    size_t n = fread(buf, 1, MAX_FILE, f);
    fclose(f);
    if (!is_text(buf, n)) {
        vc_scn_decode(buf, n, s);
        return true;
    }
    buf[n] = 0;
    directives((const char *)buf, meta);
    FILE *mf = fmemopen(buf, n, "r");
    if (!mf) {
        snprintf(err, errlen, "%s", strerror(errno));
        return false;
    }
    bool ok = vc_scn_parse(mf, s, err, errlen);
    fclose(mf);
    return ok;
}
