"""The per-device view of a libvirt run (libvirt.md, also printed): for
each domain, each virtio device by libvirt alias with where libvirt put
it, what the probe saw (guest address, PCI ID, revision, mode), the mode
the placement implies and the verdict; then the findings. Every value
from the guest or a user's file goes through printable()."""
from .report_safe import printable

COLUMNS = ("alias", "model", "on", "libvirt address", "slot path", "guest address", "ID", "rev", "mode",
           "expected", "verdict")


def _md(s, limit=120):
    return printable(s if s is not None else "-", limit).replace("|", "\\|").replace("`", "'")


def markdown(domains, results):
    out = ["# vconform: libvirt domains", ""]
    for d in domains:
        rs = [r for r in results if r.get("config") == d.name]
        machine = d.placement.machine if d.placement else "?"
        out += [f"## {_md(d.name)} ({_md(machine)}, {_md(d.path, 200)})", ""]
        out += [f"- {_md(n, 300)}" for n in d.notes] + ([""] if d.notes else [])
        out += ["| " + " | ".join(COLUMNS) + " |", "|---" * len(COLUMNS) + "|"]
        for r in rs:
            lv = r.get("libvirt", {})
            verdict = r.get("verdict", "?") + (" (known)" if r.get("known") else "")
            row = (lv.get("alias") or lv.get("key"), f"{lv.get('element')} {lv.get('model')}", lv.get("on"),
                   lv.get("address"), lv.get("slot_path"), lv.get("guest_address"), lv.get("pci_id"),
                   lv.get("revision"), r.get("observed_mode"), r.get("expected_mode"), verdict)
            out.append("| " + " | ".join(_md(v) for v in row) + " |")
        bad = [r for r in rs if r.get("verdict") not in ("conforms", "known-violation", "skipped")]
        for r in bad:
            out.append(f"\n`{_md(r.get('device'))}` {_md(r.get('verdict'))}: {_md(r.get('reason'), 300)}")
        out.append("")
    found = [(r["cell"], f) for r in results for f in r.get("findings", [])]
    out += ["## Findings: placement against the model asked for", ""]
    out += [f"- `{_md(c)}`: {_md(f, 400)}" for c, f in found] or ["None: every device sits where its model can have "
                                                                  "the mode it asks for."]
    return "\n".join(out) + "\n"


def findings(results):
    return sum(len(r.get("findings", [])) for r in results)
