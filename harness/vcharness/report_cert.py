"""The driver certification table of a run: for each vhost-user cell and
each interface its driver used (legacy, modern, modern-packed), the driver
and kernel, the device, the features the front-end passed to the back-end,
and the driver rules the reference device judged: how many kept, which
broken. Rows come from the cells' 'vhost' rows (vhost.annotate) and their
checks; everything is cleaned cells (report_safe), escaped by the writers."""
import html

from . import report_safe as safe

MODES = ("legacy", "modern", "modern-packed")


def rows(cells):
    """One dict per (vhost cell, interface used), ordered by interface, then
    device, then configuration."""
    out = []
    for r in cells:
        v = r.get("vhost")
        if not isinstance(v, dict):
            continue
        judge = r.get("judge") if isinstance(r.get("judge"), dict) else {}
        kernel_driver = judge.get("driver") in ("kernel", "guest")
        sessions = [s for s in v.get("sessions") or [] if isinstance(s, dict)]
        modes = []
        for s in sessions:
            if s.get("mode") in MODES and s["mode"] not in modes:
                modes.append(s["mode"])
        for mode in modes or ["-"]:
            who = judge.get("driver") if kernel_driver else mode
            rules = [c for c in r["checks"] if c["id"].startswith("vhost.rule.") and c["driver"] == who]
            broken = sorted({q for c in rules if c["verdict"] == "fail" for q in c["reqs"]})
            features = []  # each session's, in order: firmware and OS drivers may both take the device
            for s in sessions:
                if s.get("mode") == mode and safe.text(s.get("features")) not in features:
                    features.append(safe.text(s.get("features")))
            out.append({"mode": mode, "device": r["device"], "config": r["config"], "verdict": r["verdict"],
                        "driver": (safe.text(v.get("driver")) or ("guest" if judge.get("driver") == "guest" else ""))
                        if kernel_driver else "vconform-probe",
                        "kernel": safe.text(v.get("kernel")), "features": ", ".join(features),
                        "kept": sum(c["verdict"] == "pass" for c in rules), "broken": broken,
                        "front_end": sorted(map(safe.text, (v.get("front_end") or {}).keys()))
                        if isinstance(v.get("front_end"), dict) else []})
    rank = {m: i for i, m in enumerate(MODES)}
    return sorted(out, key=lambda x: (rank.get(x["mode"], 9), x["device"], x["config"]))


HEAD = ("interface", "device", "driver", "kernel", "config", "features passed", "rules kept", "rules broken",
        "front-end findings")


def _fields(x):
    return (x["mode"], x["device"], x["driver"] or "-", x["kernel"] or "-", x["config"], x["features"] or "-",
            str(x["kept"]), " ".join(x["broken"]) or "none", " ".join(x["front_end"]) or "none")


def markdown(cells, md):
    """Lines of the summary's section (md escapes a table field)."""
    rs = rows(cells)
    if not rs:
        return []
    out = ["", "## Driver certification through vhost-user", "",
           "Each row: a driver as the reference device (vconform-vhost-dev) judged it through QEMU's "
           "vhost-user front-end; rules kept were evaluated on what the driver wrote and never broken.", "",
           "| " + " | ".join(HEAD) + " |", "|---" * len(HEAD) + "|"]
    out += ["| " + " | ".join(md(f) for f in _fields(x)) + " |" for x in rs]
    return out


def html_table(cells):
    rs = rows(cells)
    if not rs:
        return []
    esc = lambda s: html.escape(safe.printable(s, 300))  # noqa: E731
    out = ["<h2 id='certification'>Driver certification through vhost-user</h2>",
           "<p class='muted'>Each row: a driver as the reference device (vconform-vhost-dev) judged it through "
           "QEMU's vhost-user front-end; rules kept were evaluated on what the driver wrote and never broken.</p>",
           "<div class='scroll'><table><thead><tr>" + "".join(f"<th>{h}</th>" for h in HEAD) + "</tr></thead><tbody>"]
    for x in rs:
        f = _fields(x)
        cls = "violates" if x["broken"] else "conforms"
        out.append("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in f[:7]) +
                   f"<td class='{cls}'>{esc(f[7])}</td><td>{esc(f[8])}</td></tr>")
    out.append("</tbody></table></div>")
    return out
