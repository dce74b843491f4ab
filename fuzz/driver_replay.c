/* Plain replay: runs every file given (directories are walked one level) and
 * prints each finding. Exit 0 when no input has a finding, 1 otherwise, 2 on
 * unreadable input. Built with any C compiler; ctest replays the corpus. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "target.h"

#define VC_MAX_INPUT (1u << 20)

static int replay_file(const char *path, unsigned *runs)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 2;
    }
    static uint8_t buf[VC_MAX_INPUT];
    size_t n = fread(buf, 1, sizeof(buf), fp);
    bool err = ferror(fp);
    fclose(fp);
    if (err) {
        fprintf(stderr, "%s: read error\n", path);
        return 2;
    }
    char msg[2048];
    (*runs)++;
    if (vc_target_run(buf, n, msg, sizeof(msg))) {
        printf("FINDING %s (%s):\n%s", path, vc_target_name, msg);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int worst = 0;
    unsigned runs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            worst = 2;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            int rc = replay_file(argv[i], &runs);
            worst = rc > worst ? rc : worst;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            int rc = replay_file(path, &runs);
            worst = rc > worst ? rc : worst;
        }
        if (d)
            closedir(d);
    }
    printf("%s: replayed %u inputs, %s\n", vc_target_name, runs,
           worst == 0 ? "no findings" : worst == 1 ? "FINDINGS" : "errors");
    return worst;
}
