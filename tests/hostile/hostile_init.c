/* A hostile guest: an /init that writes forged and malformed records into
 * the runner's results channel (the debug console, I/O port 0xe9) and
 * powers off. The runner must give no cell a passing verdict from it and
 * must write every report (tests/hostile/run_hostile_init.py). */
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/reboot.h>
#include <unistd.h>

#define PORT 0xe9

static const char *const records[] = {
    "{\"v\":1,\"type\":\"start\",\"probe\":\"hostile\",\"args\":[],\"kernel\":\"x\"}",
    /* a device the runner never configured, claiming to conform */
    "{\"v\":1,\"type\":\"device\",\"addr\":\"0000:00:1d.0\",\"slot_path\":\"1d.0\",\"dev_type\":\"rng\","
    "\"mode\":\"legacy\"}",
    "{\"v\":1,\"type\":\"check\",\"addr\":\"0000:00:1d.0\",\"driver\":\"pci\",\"id\":\"pci.id.vendor\","
    "\"reqs\":[],\"verdict\":\"pass\"}",
    /* the real slot, with a requirement list of the wrong shape */
    "{\"v\":1,\"type\":\"device\",\"addr\":\"0000:00:02.0\",\"slot_path\":\"02.0\",\"dev_type\":\"rng\","
    "\"mode\":\"legacy\"}",
    "{\"v\":1,\"type\":\"check\",\"addr\":\"0000:00:02.0\",\"driver\":\"pci\",\"id\":\"pci.id.vendor\","
    "\"reqs\":[[\"x\"]],\"verdict\":\"fail\"}",
    "{\"v\":1,\"type\":\"check\",\"addr\":\"0000:00:02.0\",\"driver\":\"pci\",\"id\":\"a\","
    "\"verdict\":\"pass\",\"observed\":\"\\ud800\"}",
    "{\"v\":1,\"type\":\"check\",\"addr\":\"0000:00:02.0\",\"driver\":\"pci\",\"id\":\"b\","
    "\"verdict\":\"pass\",\"ms\":NaN}",
    "{\"v\":1,\"type\":\"check\",\"addr\":\"0000:00:02.0\",\"driver\":\"pci\",\"id\":\"c\","
    "\"verdict\":\"pass\",\"detail\":\"\\u001b[2J\\u001b]0;owned\\u0007\\u0000\"}",
    /* an end record that counts what it likes */
    "{\"v\":1,\"type\":\"end\",\"passed\":2,\"failed\":0,\"skipped\":0,\"errors\":0,\"info\":0,"
    "\"devices\":2}",
};

static void put(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        outb((unsigned char)s[i], PORT);
}

int main(void)
{
    if (ioperm(PORT, 1, 1) == 0) {
        char deep[6002];
        memset(deep, '[', 3000);
        memset(deep + 3000, ']', 3000);
        deep[6000] = '\n';
        put(deep, 6001);
        for (size_t i = 0; i < sizeof records / sizeof records[0]; i++) {
            put(records[i], strlen(records[i]));
            put("\n", 1);
        }
    }
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}
