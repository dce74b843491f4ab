/* Target: the reference device's PCI front driven by control-plane
 * sequences (ctl_seq.h): config space, common config, legacy I/O, notify,
 * ISR, MSI-X table, device config and the pci_cfg window at any offset and
 * width, judged by the control-plane oracle (front_oracle.c) and ended by a
 * liveness check (reset, set-up, one known-good request).
 *
 * Binary input (the fuzzer's): played once, on the first device type and
 * mode its header names (blk, transitional when it names none); only the
 * oracle judges, and a SLEEP stands for time in which the VMM changes the
 * device configuration (blk capacity, net link), with a known-good request
 * every 16 operations. Text input (a written sequence, vconform-ctl's form):
 * played on every type and mode it applies to, its expectations judged
 * too. $VC_CTL_FAULTS plants the front's runtime faults (pci_front.h,
 * comma-separated) to show the oracle catching them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_text.h"
#include "front_play.h"
#include "target.h"

const char *const vc_target_name = "ctl";

static const unsigned mode_bits[] = {VC_CTL_M_LEGACY, VC_CTL_M_TRANSITIONAL, VC_CTL_M_MODERN};

static unsigned env_faults(void)
{
    static int done;
    static unsigned faults;
    const char *e = getenv("VC_CTL_FAULTS");
    if (done || !e)
        return faults;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", e);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        faults |= vc_front_fault(t);
    done = 1;
    return faults;
}

/* Whether data is the text form: "ctl" first, after blanks and comments. */
static bool is_text(const uint8_t *d, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
            i++;
        } else if (d[i] == '#') {
            while (i < n && d[i] != '\n')
                i++;
        } else {
            break;
        }
    }
    return n - i >= 4 && !memcmp(d + i, "ctl", 3) && (d[i + 3] == ' ' || d[i + 3] == '\n');
}

static bool parse_text(const uint8_t *d, size_t n, vc_ctl_seq *s, char *err, size_t errlen)
{
    FILE *fp = fmemopen((void *)d, n, "r");
    if (!fp) {
        snprintf(err, errlen, "cannot read the text");
        return false;
    }
    bool ok = vc_ctl_parse_lax(fp, s, err, errlen);
    fclose(fp);
    return ok;
}

/* Plays s on one type and mode, appending its findings to msg: their
 * number, or -1 when the type has not that mode. */
static int play_one(const vc_ctl_seq *s, const char *type, unsigned mode, bool text, char *msg, size_t cap,
                    size_t *used)
{
    static front_play p;
    char err[160];
    if (!fp_open(&p, type, mode, env_faults(), err, sizeof err))
        return -1;
    int n = 0;
    if ((s->features & ~vc_front_dev(p.f)->offered) == 0) {
        p.oracle = true;
        p.honour = text;
        p.host_changes = !text;
        n = (int)fp_play(&p, s);
        *used += fp_format(&p, msg + *used, cap - *used);
    }
    fp_close(&p);
    return n;
}

unsigned vc_target_run(const uint8_t *data, size_t size, char *msg, size_t cap)
{
    static vc_ctl_seq s;
    size_t used = 0;
    if (cap)
        msg[0] = 0;
    bool text = is_text(data, size);
    if (text) {
        char err[160];
        if (!parse_text(data, size, &s, err, sizeof err)) {
            snprintf(msg, cap, "unreadable [-]: (input) %s\n", err);
            return 1;
        }
    } else {
        vc_ctl_decode(data, size, &s);
    }
    /* the fuzzer's input: the first type and mode it names (blk, transitional) */
    uint16_t types = s.types ? s.types : text ? (uint16_t)((1u << vc_ctl_ntypes()) - 1) : 0;
    unsigned modes = s.modes ? s.modes : text ? VC_CTL_M_ALL : VC_CTL_M_TRANSITIONAL;
    unsigned n = 0;
    for (unsigned t = 0; t < vc_ctl_ntypes(); t++) {
        bool named = types ? (types >> t) & 1 : !strcmp(vc_ctl_type_name(t), "blk");
        for (unsigned m = 0; named && m < 3; m++) {
            if (!(modes & mode_bits[m]))
                continue;
            int r = play_one(&s, vc_ctl_type_name(t), mode_bits[m], text, msg, cap, &used);
            if (r < 0)
                continue;
            n += (unsigned)r;
            if (!text)
                return n;
        }
    }
    return n;
}
