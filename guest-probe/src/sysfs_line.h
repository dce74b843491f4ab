/* The first line of a small sysfs file (the kernel-driver agent reads the
 * drivers' attributes this way): without its newline, "" when the file is
 * missing or empty. */
#ifndef VP_SYSFS_LINE_H
#define VP_SYSFS_LINE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static inline bool vp_sysfs_line(const char *path, char *buf, size_t cap)
{
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool got = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    if (!got)
        buf[0] = 0;
    buf[strcspn(buf, "\n")] = 0;
    return got;
}

/* Whether a virtio device's sysfs features string (one '0'/'1' per bit)
 * has bit set: what the driver negotiated. */
static inline bool vp_sysfs_feature(const char *features_path, unsigned bit)
{
    char feat[160];
    vp_sysfs_line(features_path, feat, sizeof feat);
    return strlen(feat) > bit && feat[bit] == '1';
}

#endif
