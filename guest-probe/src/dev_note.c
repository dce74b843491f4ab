/* Note records asking the runner for a host-side action on one device. */
#include "dev_note.h"

bool vp_note_ask(vp_ctx *c, vp_dev *d, const char *want)
{
    if (c->plat->config_change)
        return c->plat->config_change(c->plat, d->fn, want);
    if (!c->opt.config_change)
        return false;
    vp_json j;
    vp_json_open(&j);
    vp_json_uint(&j, "v", VP_PROTOCOL_VERSION);
    vp_json_str(&j, "type", "note");
    vp_json_str(&j, "addr", d->fn->addr);
    if (d->fn->slot_path[0])
        vp_json_str(&j, "slot_path", d->fn->slot_path);
    vp_json_str(&j, "want", want);
    vp_report_record(c->rep, vp_json_close(&j));
    return true;
}
