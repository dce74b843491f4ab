/* JSON Lines record of the back-end (see vd_log.h). */
#include "vd_log.h"

#include "vh_report.h"
#include "vu_sock.h"

static void head(vd_log *l, const char *type)
{
    fprintf(l->out, "{\"v\":1,\"type\":\"%s\",\"ms\":%lld", type, vu_now_ms() - l->t0);
}

static void tail(vd_log *l)
{
    fputs("}\n", l->out);
    fflush(l->out); /* a back-end killed mid-run keeps what it wrote */
}

void vd_log_start(vd_log *l, FILE *out, const char *device, int argc, char **argv)
{
    *l = (vd_log){ .out = out, .t0 = vu_now_ms() };
    head(l, "start");
    fputs(",\"tool\":\"vconform-vhost-dev 1\",\"device\":", out);
    vh_json_str(out, device);
    fputs(",\"args\":[", out);
    for (int i = 0; i < argc; i++) {
        if (i)
            fputc(',', out);
        vh_json_str(out, argv[i]);
    }
    fputc(']', out);
    tail(l);
}

void vd_log_protocol(vd_log *l, uint64_t features_offered, uint64_t proto_offered, uint64_t proto)
{
    head(l, "protocol");
    fprintf(l->out, ",\"features_offered\":\"0x%llx\",\"protocol_offered\":\"0x%llx\",\"protocol\":\"0x%llx\"",
            (unsigned long long)features_offered, (unsigned long long)proto_offered,
            (unsigned long long)proto);
    tail(l);
}

void vd_log_session(vd_log *l, unsigned n, uint64_t features, uint64_t unoffered, const char *mode)
{
    head(l, "session");
    fprintf(l->out, ",\"session\":%u,\"features\":\"0x%llx\",\"unoffered\":\"0x%llx\",\"mode\":\"%s\"", n,
            (unsigned long long)features, (unsigned long long)unoffered, mode);
    tail(l);
}

void vd_log_status(vd_log *l, unsigned session, uint64_t status)
{
    head(l, "status");
    fprintf(l->out, ",\"session\":%u,\"value\":%llu", session, (unsigned long long)status);
    tail(l);
}

void vd_log_fault(vd_log *l, const char *side, unsigned session, const char *code, const char *req,
                  int queue, const char *detail)
{
    if (l->faults_logged >= VD_LOG_MAX_FAULTS) {
        l->faults_unlogged++;
        return;
    }
    l->faults_logged++;
    head(l, "fault");
    fprintf(l->out, ",\"side\":\"%s\",\"session\":%u,\"code\":", side, session);
    vh_json_str(l->out, code);
    fputs(",\"req\":", l->out);
    vh_json_str(l->out, req ? req : "");
    fprintf(l->out, ",\"queue\":%d,\"detail\":", queue);
    vh_json_str(l->out, detail);
    tail(l);
}

void vd_log_rules(vd_log *l, unsigned session, const char *mode, uint64_t chains, const vd_rules *r)
{
    head(l, "rules");
    fprintf(l->out, ",\"session\":%u,\"mode\":\"%s\",\"chains\":%llu,\"rules\":{", session, mode,
            (unsigned long long)chains);
    for (unsigned i = 0; i < r->n; i++)
        fprintf(l->out, "%s\"%s\":[%llu,%llu]", i ? "," : "", r->r[i].req,
                (unsigned long long)r->r[i].seen, (unsigned long long)r->r[i].broken);
    fputc('}', l->out);
    tail(l);
}

void vd_log_end(vd_log *l, const char *reason, unsigned sessions, uint64_t faults)
{
    head(l, "end");
    fputs(",\"reason\":", l->out);
    vh_json_str(l->out, reason);
    fprintf(l->out, ",\"sessions\":%u,\"faults\":%llu,\"faults_unlogged\":%llu", sessions,
            (unsigned long long)faults, (unsigned long long)l->faults_unlogged);
    tail(l);
}
