/* Target: the reference device's PCI front driven by control-plane
 * sequences (ctl_seq.h): config space, common config, legacy I/O, notify,
 * ISR, MSI-X table, device config and the pci_cfg window at any offset and
 * width, judged by the control-plane oracle (front_oracle.c) and ended by a
 * liveness check (reset, set-up, one known-good request).
 *
 * An input (binary, or its text form: both play the same) is played once,
 * on the first device type and mode its header names (blk, transitional
 * when it names none); only the oracle judges, a SLEEP stands for time in
 * which the VMM changes the device configuration (blk capacity, net link),
 * and a known-good request goes every 16 operations.
 * With $VC_CTL_WRITTEN=1 inputs are written sequences (corpus/ctl-text,
 * corpus/control): played on every type and mode they apply to, with their
 * own expectations judged too, and no configuration changes.
 * $VC_CTL_FAULTS plants the front's runtime faults (pci_front.h,
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
    static int written = -1;
    if (written < 0)
        written = getenv("VC_CTL_WRITTEN") && !strcmp(getenv("VC_CTL_WRITTEN"), "1");
    if (is_text(data, size)) {
        char err[160];
        if (!parse_text(data, size, &s, err, sizeof err)) {
            snprintf(msg, cap, "unreadable [-]: (input) %s\n", err);
            return 1;
        }
    } else {
        vc_ctl_decode(data, size, &s);
    }
    /* the fuzzer's input: the first type and mode it names (blk, transitional) */
    bool text = written;
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

#ifdef VC_CTL_MUTATOR
/* libFuzzer's custom mutator for this target: whole 32-byte operation
 * records changed, inserted, copied, removed or swapped, fields set to the
 * values the control plane cares about (field offsets, status bits,
 * vectors, queue indices past the end); libFuzzer's own byte mutation now
 * and then for what nobody thought of. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 17, *s ^= *s << 5;
    return *s;
}

static void put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t pick_value(uint32_t *s)
{
    static const uint64_t v[] = {0, 1, 2, 3, 4, 7, 8, 0xb, 0xf, 0x40, 0x80, 0xff, 0x100, 0x7fe, 0x7ff, 0x800,
                                 0xfffe, 0xffff, 0x10000, 0x8000, 0xffffffff, 0x100000000ull, 1ull << 34,
                                 1ull << 40, 1ull << 41, 1ull << 50, 1ull << 63, 0xffffffff00000000ull, ~0ull};
    uint32_t r = rnd(s);
    return r % 4 ? v[r / 4 % (sizeof v / sizeof v[0])] : rnd(s);
}

static uint32_t pick_off(uint32_t *s)
{
    static const uint32_t o[] = {0,    1,    2,    3,    4,    6,    8,    12,   14,   16,  18,  19,  20,
                                 21,   22,   23,   24,   26,   28,   30,   32,   36,   40,  48,  56,  58,
                                 60,   0x34, 0x40, 0x84, 0x88, 0x8c, 0x90, 0x94, 0x98, 0x9a, 0x9b, 0x7fc, 0x800,
                                 0xffe, 0x1000, 0x2000, 0x3000, 0x3ffe, 0x4000};
    uint32_t r = rnd(s);
    return r % 8 ? o[r / 8 % (sizeof o / sizeof o[0])] : rnd(s) % 0x5000;
}

/* A value that fits the record's operation: status bits for a status
 * write, feature sets (offered, unoffered, high window only) for FEATURES. */
static uint64_t value_for(const uint8_t *r, uint32_t *s)
{
    static const uint64_t status[] = {0, 1, 2, 3, 7, 0xa, 0xb, 0xf, 0x40, 0x80, 0x4b};
    static const uint64_t feat[] = {0, 1ull << 32, 1ull << 34, 1ull << 40, 1ull << 41, 1ull << 50,
                                    0xffffffff00000000ull, 0xffffffffull, ~0ull};
    unsigned op = r[0] % VC_CTL_NOPS;
    if (op == VC_CTL_WR && r[1] % VC_CTL_NREGS == VC_CTL_R_status && rnd(s) % 2)
        return status[rnd(s) % (sizeof status / sizeof status[0])];
    if ((op == VC_CTL_FEATURES || (op == VC_CTL_WR && r[1] % VC_CTL_NREGS == VC_CTL_R_gf)) && rnd(s) % 2)
        return feat[rnd(s) % (sizeof feat / sizeof feat[0])] >> (op == VC_CTL_WR ? 32 * (rnd(s) % 2) : 0);
    return pick_value(s);
}

static void fresh_record(uint8_t *r, uint32_t *s)
{
    memset(r, 0, VC_CTL_REC);
    r[0] = (uint8_t)(rnd(s) % VC_CTL_NOPS);
    r[1] = (uint8_t)rnd(s);
    r[2] = (uint8_t)"\1\2\3\4\10"[rnd(s) % 5];
    r[4] = rnd(s) % 4 ? 0 : (uint8_t)(rnd(s) & VC_CTL_OF_ALL);
    r[5] = rnd(s) % 4 ? (uint8_t)(rnd(s) % 4) : (uint8_t)rnd(s);
    put(r + 8, pick_off(s), 4);
    put(r + 12, rnd(s) % 4 ? 0 : rnd(s) % 8, 4);
    put(r + 16, value_for(r, s), 8);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    uint32_t s = seed | 1;
    if (seed % 5 == 0 || max_size < VC_CTL_HDR + VC_CTL_REC)
        return LLVMFuzzerMutate(data, size, max_size);
    if (size < VC_CTL_HDR) { /* a header first */
        memset(data + size, 0, VC_CTL_HDR - size);
        data[0] = 1;
        size = VC_CTL_HDR;
    }
    unsigned nreqs = data[3] > VC_CTL_MAX_REQS ? VC_CTL_MAX_REQS : data[3];
    size_t first = VC_CTL_HDR + (size_t)nreqs * VC_CTL_REQ_LEN;
    if (first > size)
        first = size;
    size_t nrec = (size - first) / VC_CTL_REC, cap = (max_size - first) / VC_CTL_REC;
    size = first + nrec * VC_CTL_REC;
    uint8_t *rec = data + first;
    unsigned what = rnd(&s) % 18;
    size_t i = nrec ? rnd(&s) % nrec : 0;
    uint8_t *r = rec + i * VC_CTL_REC;
    if (!nrec || what == 0) { /* insert a fresh record */
        if (nrec >= cap)
            return size;
        memmove(r + VC_CTL_REC, r, (nrec - i) * VC_CTL_REC);
        fresh_record(r, &s);
        return size + VC_CTL_REC;
    }
    switch (what) {
    case 1: /* copy one record elsewhere */
        if (nrec < cap) {
            size_t j = rnd(&s) % (nrec + 1);
            uint8_t tmp[VC_CTL_REC];
            memcpy(tmp, r, VC_CTL_REC);
            memmove(rec + (j + 1) * VC_CTL_REC, rec + j * VC_CTL_REC, (nrec - j) * VC_CTL_REC);
            memcpy(rec + j * VC_CTL_REC, tmp, VC_CTL_REC);
            return size + VC_CTL_REC;
        }
        break;
    case 2: /* remove one */
        memmove(r, r + VC_CTL_REC, (nrec - i - 1) * VC_CTL_REC);
        return size - VC_CTL_REC;
    case 3: { /* swap two */
        uint8_t tmp[VC_CTL_REC], *o = rec + (rnd(&s) % nrec) * VC_CTL_REC;
        memcpy(tmp, r, VC_CTL_REC);
        memcpy(r, o, VC_CTL_REC);
        memcpy(o, tmp, VC_CTL_REC);
        break;
    }
    case 4: r[0] = (uint8_t)(rnd(&s) % VC_CTL_NOPS); break;
    case 5: r[1] = (uint8_t)(rnd(&s) % (vc_ctl_op_named(r[0] % VC_CTL_NOPS) ? VC_CTL_NREGS : VC_CTL_NSPACES)); break;
    case 6: r[2] = (uint8_t)"\1\2\3\4\10"[rnd(&s) % 5]; break;
    case 7: put(r + 8, pick_off(&s), 4); break;
    case 8: case 9: case 10: put(r + 16, value_for(r, &s), 8); break;
    case 11: r[5] = rnd(&s) % 3 ? (uint8_t)(rnd(&s) % 8) : (uint8_t)(0xf8 | rnd(&s)); break;
    case 12: r[4] ^= (uint8_t)(1u << (rnd(&s) % 5)); break;
    case 13: put(r + 12, rnd(&s) % 8, 4); break;
    case 14: data[12] = (uint8_t)(1u << (rnd(&s) % vc_ctl_ntypes())), data[13] = 0; break;
    case 17: /* a negotiation at i: reset, ACKNOWLEDGE|DRIVER, some features, FEATURES_OK */
        if (nrec + 4 <= cap) {
            static const uint8_t st[4] = {0, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER, 0,
                                          VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER | VC_STATUS_FEATURES_OK};
            memmove(r + 4 * VC_CTL_REC, r, (nrec - i) * VC_CTL_REC);
            memset(r, 0, 4 * VC_CTL_REC);
            for (unsigned k = 0; k < 4; k++) {
                uint8_t *o = r + k * VC_CTL_REC;
                o[0] = k == 2 ? VC_CTL_FEATURES : VC_CTL_WR;
                o[1] = k == 2 ? 0 : VC_CTL_R_status;
                put(o + 16, k == 2 ? value_for(o, &s) : st[k], 8);
            }
            return size + 4 * VC_CTL_REC;
        }
        break;
    case 16: /* a live device at i: INIT, QSETUP, DRIVER_OK, one request */
        if (nrec + 4 <= cap) {
            static const uint8_t ops[4][2] = {{VC_CTL_INIT, 0}, {VC_CTL_QSETUP, 0}, {VC_CTL_WR, VC_CTL_R_status},
                                              {VC_CTL_REQUEST, 0}};
            memmove(r + 4 * VC_CTL_REC, r, (nrec - i) * VC_CTL_REC);
            memset(r, 0, 4 * VC_CTL_REC);
            for (unsigned k = 0; k < 4; k++) {
                r[k * VC_CTL_REC] = ops[k][0];
                r[k * VC_CTL_REC + 1] = ops[k][1];
                r[k * VC_CTL_REC + 5] = (uint8_t)VC_CTL_Q_TARGET;
            }
            r[2 * VC_CTL_REC + 16] = VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER | VC_STATUS_FEATURES_OK |
                                     VC_STATUS_DRIVER_OK;
            return size + 4 * VC_CTL_REC;
        }
        break;
    default: data[1] = (uint8_t)(1u << (rnd(&s) % 3)); break;
    }
    return size;
}
#endif
