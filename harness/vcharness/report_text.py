"""Text reports: JUnit XML, TAP and the markdown summary (also printed to
the terminal). Each passes its results through report_safe.cells(); every
string from a cell is escaped for its format and cut."""
from xml.sax.saxutils import escape, quoteattr

from . import report_cert as cert
from . import report_model as model
from . import report_safe as safe
from .report_safe import printable

MAX_TEXT = safe.MAX_TEXT


def _attr(s):
    return quoteattr(safe.xml_text(safe.cut(safe.text(s), 500)))


def _body(s):
    return escape(safe.xml_text(safe.cut(safe.text(s), 2000)))


def junit(results):
    cells = safe.cells(results)
    by_cfg = {}
    for r in cells:
        by_cfg.setdefault(r["config"], []).append(r)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites name=\"vconform\">"]
    for cfg, rs in by_cfg.items():
        fails = sum(model.unexpected(r) for r in rs)
        skips = sum(r["verdict"] == "skipped" for r in rs)
        secs = max((safe.number(r.get("vm", {}).get("seconds")) for r in rs), default=0)
        out.append(f"  <testsuite name={_attr(cfg)} tests=\"{len(rs)}\" failures=\"{fails}\" "
                   f"skipped=\"{skips}\" time=\"{secs}\">")
        for r in rs:
            out.append(f"    <testcase classname={_attr('vconform.' + cfg)} name={_attr(r['device'])}>")
            if r["verdict"] == "skipped":
                out.append(f"      <skipped message={_attr(r['reason'])}/>")
            elif model.unexpected(r):
                out.append(f"      <failure message={_attr(r['verdict'] + ': ' + r['reason'])} "
                           f"type={_attr(r['verdict'])}>{_body(', '.join(r['reqs']))}</failure>")
            mode = f"expected mode {r['expected_mode']}, observed {r['observed_mode']}"
            out.append(f"      <system-out>{_body(safe.cut(mode, MAX_TEXT))}</system-out>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def tap(results):
    cells = safe.cells(results)
    lines = ["TAP version 13", f"1..{len(cells)}"]
    for i, r in enumerate(cells, 1):
        # '#' starts a directive in TAP: none may come from a cell
        desc = printable(f"{r['cell']} {r['verdict']}", MAX_TEXT).replace("#", "")
        if r["verdict"] == "skipped":
            lines.append(f"ok {i} {desc} # SKIP {printable(r['reason'], MAX_TEXT)}")
        elif model.unexpected(r):
            lines.append(f"not ok {i} {desc}")
            lines.append("  ---")
            lines.append(f"  reason: {safe.dumps(safe.cut(r['reason'], MAX_TEXT))}")
            lines.append(f"  reqs: {safe.dumps(r['reqs'])}")
            lines.append("  ...")
        else:
            lines.append(f"ok {i} {desc}")
    return "\n".join(lines) + "\n"


def matrix(cells):
    """Configurations and devices in first-seen order, and the cell of each pair."""
    configs, devices = {}, {}
    for r in cells:
        configs.setdefault(r["config"])
        devices.setdefault(r["device"])
    return list(configs), list(devices), {(r["config"], r["device"]): r for r in cells}


def _md(s, limit=MAX_TEXT):
    """A cell string in a markdown line or table: printable, no '|' or '`'
    breaking the table or a code span."""
    return printable(s, limit).replace("|", "\\|").replace("`", "'")


def markdown(doc):
    cells = safe.cells(doc.get("cells"))
    s = model.summary(cells)
    configs, devices, cell = matrix(cells)
    out = [f"# vconform: {s['cells']} cells, {s['unexpected']} unexpected", "",
           model.sentence(cells), "",
           f"QEMU {_md(doc.get('qemu_version', '?'))}, accel {_md(doc.get('accel', '?'))}, "
           f"{_md(doc.get('seconds', '?'))} s wall time", "",
           "| config | " + " | ".join(_md(d) for d in devices) + " |", "|---" * (len(devices) + 1) + "|"]
    for c in configs:
        row = []
        for d in devices:
            r = cell.get((c, d))
            if not r:
                row.append("")
                continue
            v = _md(r["verdict"])
            mark = {"conforms": "ok", "skipped": "skip", "known-violation": "known violation"}.get(
                r["verdict"], v + " (known)" if model.known(r) else f"**{v}**")
            row.append(f"{_md(r['observed_mode'] or '-')} {mark}")
        out.append(f"| {_md(c)} | " + " | ".join(row) + " |")
    bad = [r for r in cells if model.unexpected(r)]
    if bad:
        out += ["", "## Unexpected", ""]
        out += [f"- `{_md(r['cell'])}` {_md(r['verdict'])}: {_md(r['reason'])} {_md(' '.join(r['reqs']))}"
                for r in bad]
    known = [r for r in cells if model.known(r)]
    if known:
        out += ["", "## Known violations (listed in the xfail file)", ""]
        out += [f"- `{_md(r['cell'])}`: {_md(r['reason'])} {_md(' '.join(r['reqs']))}" for r in known]
    stale = safe.text_list(doc.get("xfail_unused"))
    if stale:
        out += ["", f"## xfail entries this run had no use for ({len(stale)})", "",
                "Each names cells this run judged, and none of their failures matched it: the failure is "
                "fixed, the check no longer runs there, or the entry is meant for other cells its globs "
                "also name (QEMU's own devices, where this run judged vhost-user ones). Remove it if no "
                "other run needs it.", ""]
        out += [f"- `{_md(p, 200)}`" for p in stale[:50]]
        if len(stale) > 50:
            out.append(f"- ... and {len(stale) - 50} more (results.json, xfail_unused)")
    out += cert.markdown(cells, _md)
    replayed = [(r, model.replay_lines(r)) for r in cells if model.replay_lines(r)]
    if replayed:
        out += ["", "## Replayed scenarios", ""]
        for r, lines in replayed:
            out.append(f"- `{_md(r['cell'])}` {_md(r['verdict'])}: {_md(lines[0])}")
            out += [f"  - {_md(x, 500)}" for x in lines[1:]]
    cov = doc.get("coverage") or {}
    out += ["", f"Requirements checked: {_md(cov.get('checked', '?'))} of "
                f"{_md(cov.get('catalogue', '?'))} in the catalogue."]
    return "\n".join(out) + "\n"
