"""The self-contained HTML report: the verdict sentence, a legend, the
configuration x device matrix (header row and first column stay in view),
violated requirements with the cells that violate them, every cell's checks
and requirement coverage. No external resources; the little script only
opens a cell's details when a link points at it."""
import html
import re

from . import report_cert as cert
from . import report_model as model
from . import report_safe as safe
from .report_text import matrix

_CSS = """body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:separate;border-spacing:0}
td,th{border:1px solid #bbb;border-width:0 1px 1px 0;padding:4px 8px;vertical-align:top;text-align:left}
tr>:first-child{border-left-width:1px}thead tr:first-child>*{border-top-width:1px}
.scroll{max-height:70vh;overflow:auto;border:1px solid #888;display:inline-block;max-width:100%}
.scroll table{border:0}.scroll thead th{position:sticky;top:0;z-index:2;background:#f2f2f2}
.scroll tbody th{position:sticky;left:0;z-index:1;background:#f2f2f2;white-space:nowrap}
.matrix thead th{white-space:nowrap}details.cell p,table.checks td{overflow-wrap:anywhere}
.scroll thead th:first-child{left:0;z-index:3}
.matrix td{min-width:7em}.matrix a{color:inherit;text-decoration:none;display:block}
.matrix a:hover{text-decoration:underline}
.conforms{background:#d7f0d2}.skipped{background:#e8e8e8;color:#555}
.known{background:#fde9a0}.violates{background:#f59a9a}.error{background:#d9c2f0}
.violates,.error{font-weight:bold}
.sw{display:inline-block;width:1.1em;height:1.1em;border:1px solid #888;vertical-align:middle;margin-right:.4em}
.legend{list-style:none;padding:0}.legend li{margin:3px 0}
.sentence{font-size:1.15em}.bad{color:#b00000}
.chips a{display:inline-block;margin:1px 2px;padding:0 4px;border:1px solid #999;border-radius:3px;color:#222}
.v-fail{color:#b00000;font-weight:bold}.v-pass{color:#1b6e1b}.v-error{color:#6a2ea0;font-weight:bold}
.v-known{color:#8a5a00;font-weight:bold}.muted,small{color:#555}
details.cell{margin:4px 0;border-left:6px solid #ccc;padding-left:6px}
details.cell>summary{cursor:pointer;padding:2px 0}
details.cell.k-conforms{border-color:#7cc47c}details.cell.k-known{border-color:#e0b400}
details.cell.k-violates{border-color:#d33}details.cell.k-error{border-color:#8a4fc9}
details.cell.k-skipped{border-color:#aaa}
table.checks td{font-size:.9em}code{font-family:monospace,monospace;font-size:.95em}"""

_LEGEND = [
    ("conforms", "conforms", "the device shows the expected mode and every check passed"),
    ("violates", "unexpected violation", "a check failed or the mode is wrong, and the xfail file does "
     "not list it: the run fails"),
    ("error", "unexpected: not judged", "timeout, QEMU crash or refusal, guest panic, probe error or "
     "back-end error (vconform-vhost-dev crashed or hung), not listed in the xfail file: the run fails "
     "(a replayed scenario that crashes or hangs QEMU names the scenario)"),
    ("known", "known violation", "the xfail file lists this failure (or hang): still a violation, "
     "reported, but the run does not fail"),
    ("skipped", "skipped", "not run, with the reason (a machine type this QEMU lacks, ...)"),
]

# opens the details a link points at; without it the page reads the same
_SCRIPT = """<script>
function vcOpen(){var t=document.getElementById(decodeURIComponent(location.hash.slice(1)));
if(t&&t.tagName=="DETAILS")t.open=true}
addEventListener("hashchange",vcOpen);addEventListener("DOMContentLoaded",vcOpen);
</script>"""

_CHECK_RANK = {"fail": 0, "error": 1}
MAX_SHOWN = 1000  # characters of a reason or check field on the page (results.json keeps 4 KiB)
_CHECK_CLASSES = {"fail", "pass", "error", "known"}


def e(s, limit=None):
    """Any value as HTML text: controls shown escaped, markup escaped."""
    return html.escape(safe.printable(s, limit))


def shown(s):
    """A name or verdict that must show even when a result left it empty."""
    return e(s) or "<i>none</i>"


def _anchors(cells):
    """A unique, plain id per cell for links (ids from the guest could hold anything)."""
    out, used = {}, set()
    for r in cells:
        base = "cell-" + re.sub(r"[^A-Za-z0-9_.-]", "_", r["cell"] or "?")[:80]
        a, n = base, 1
        while a in used:
            n += 1
            a = f"{base}-{n}"
        used.add(a)
        out[id(r)] = a
    return out


def _legend():
    items = "".join(f"<li><span class='sw {cls}'></span><b>{label}</b>: {text}</li>"
                    for cls, label, text in _LEGEND)
    return f"<ul class='legend'>{items}</ul>"


def _matrix(cells, anchor):
    configs, devices, cell = matrix(cells)
    out = ["<div class='scroll'><table class='matrix'><thead><tr><th>config \\ device</th>" +
           "".join(f"<th>{shown(d)}</th>" for d in devices) + "</tr></thead><tbody>"]
    for c in configs:
        out.append(f"<tr><th>{shown(c)}</th>")
        for d in devices:
            r = cell.get((c, d))
            if not r:
                out.append("<td></td>")
                continue
            k = model.kind(r)
            # no mode when the probe saw no device (skipped, hung): the expected one, small
            mode = e(r["observed_mode"]) if r["observed_mode"] else ""
            if r["observed_mode"] != r["expected_mode"]:
                exp = f"expected {e(r['expected_mode'])}"
                mode += f" <small>({exp})</small>" if mode else f"<small>{exp}</small>"
            label = {"known": "known " + ("violation" if r["verdict"] == "known-violation"
                                          else shown(r["verdict"]))}.get(k, shown(r["verdict"]))
            reqs = f"<br><small>{e(' '.join(r['reqs']), 120)}</small>" if r["reqs"] else ""
            out.append(f"<td class='{k}'><a href='#{anchor[id(r)]}' title='{e(r['reason'], 300)}'>"
                       f"{mode}<br>{label}{reqs}</a></td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return out


def _requirements(cells, catalogue, anchor):
    vs = model.violations(cells, catalogue)
    if not vs:
        return ["<p>No check failed: no requirement is violated in this run.</p>"]
    n_bad = sum(not all(hk for _, _, hk in v["hits"]) for v in vs if v["short"])
    n = sum(bool(v["short"]) for v in vs)
    out = [f"<p>{n} requirement{'' if n == 1 else 's'} violated, {n_bad} of them "
           "unexpectedly (not listed in the xfail file). Each links to the cells that violate it.</p>",
           "<div class='scroll'><table class='reqs'><thead><tr><th>requirement</th><th>what it asks "
           "(our paraphrase)</th><th>spec section</th><th>violated by</th></tr></thead><tbody>"]
    for v in vs:
        q, row = v["short"], v["req"]
        k = "known" if all(hk for _, _, hk in v["hits"]) else "violates"
        if not q:
            name, what, where = ("<i>none named</i>", "failed checks that name no requirement, and "
                                 "violations without a failed check (a wrong mode, a configuration "
                                 "QEMU should refuse)", "")
        elif row is None:
            name, what, where = f"<code>{e(q)}</code>", "<i>not in the catalogue</i>", ""
        else:
            kind, label, ordinal = model.section(row.get("id", ""))
            name = (f"<code>{e(q)}</code><br><small>{e(row.get('keyword'))}, "
                    f"{e(row.get('target'))}</small>")
            what = e(row.get("summary"))
            where = f"{e(label)} <small>({e(kind)} #{e(ordinal)})</small>"
        chips = []
        for r, check, hk in v["hits"]:
            tip = f"{check}: {r['reason']}" if check else r["reason"]
            chips.append(f"<a class='{'known' if hk else model.kind(r)}' href='#{anchor[id(r)]}' "
                         f"title='{e(tip, 300)}'>{shown(r['cell'])}{' known' if hk else ''}</a>")
        out.append(f"<tr><th><span class='sw {k}'></span>{name}</th><td>{what}</td><td>{where}</td>"
                   f"<td class='chips'>{''.join(chips)}</td></tr>")
    out.append("</tbody></table></div>")
    return out


def _cell_details(r, anchor):
    k = model.kind(r)
    listed = set(r["xfail"])
    counts = {}
    for c in r["checks"]:
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    tally = ", ".join(f"{n} {e(v, 20)}" for v, n in sorted(counts.items()))
    out = [f"<details id='{anchor[id(r)]}' class='cell k-{k}'{' open' if model.unexpected(r) else ''}>"
           f"<summary><span class='sw {k}'></span><b>{shown(r['cell'])}</b>: {shown(r['verdict'])}"
           f"{' (known)' if model.known(r) and r['verdict'] != 'known-violation' else ''}; "
           f"mode {e(r['observed_mode'] or '-')}, expected {e(r['expected_mode'])}"
           f"{'; ' + tally if tally else ''}</summary>",
           f"<p>{e(r['reason'], MAX_SHOWN)}</p>"]
    if r["why"]:
        out.append(f"<p class='muted'>expected mode: {e(r['why'])}</p>")
    rl = model.replay_lines(r)
    if rl:
        out.append(f"<p>{e(rl[0])}</p>")
        if rl[1:]:
            out.append("<ul>" + "".join(f"<li><code>{e(x, MAX_SHOWN)}</code></li>" for x in rl[1:]) + "</ul>")
    if not r["checks"]:
        out.append("</details>")
        return out
    out.append("<table class='checks'><tr><th>verdict</th><th>driver</th><th>check</th>"
               "<th>requirements</th><th>expected</th><th>observed</th><th>detail</th></tr>")
    # failures first: they are what a reader opens a cell for
    for c in sorted(r["checks"], key=lambda c: _CHECK_RANK.get(c["verdict"], 2)):
        vc = "known" if c["verdict"] == "fail" and (c["id"] in listed or k == "known") else c["verdict"]
        mark = " (known)" if vc == "known" else ""
        out.append(f"<tr><td class='v-{vc if vc in _CHECK_CLASSES else 'other'}'>{e(c['verdict'])}{mark}"
                   f"</td><td>{e(c['driver'])}</td><td><code>{e(c['id'])}</code>"
                   f"{'<br><small>' + e(c['scenario']) + '</small>' if c.get('scenario') else ''}</td>"
                   f"<td>{e(', '.join(c['reqs']))}</td><td>{e(c.get('expected'), MAX_SHOWN)}</td>"
                   f"<td>{e(c.get('observed'), MAX_SHOWN)}</td><td>{e(c.get('detail'), MAX_SHOWN)}</td></tr>")
    out.append("</table></details>")
    return out


def _unused_xfail(doc):
    """The xfail entries this run had no use for (xfail_use.py), or nothing."""
    stale = safe.text_list(doc.get("xfail_unused"))
    if not stale:
        return ""
    items = "".join(f"<li><code>{e(p)}</code></li>" for p in stale[:50])
    more = f"<li>and {len(stale) - 50} more (results.json)</li>" if len(stale) > 50 else ""
    return (f"<details><summary>{len(stale)} xfail entries this run had no use for (the failure is fixed, "
            f"or the check no longer runs there)</summary><ul>{items}{more}</ul></details>")


def html_page(doc, catalogue=()):
    cells = safe.cells(doc.get("cells"))
    anchor = _anchors(cells)
    s = model.summary(cells)
    cov = doc.get("coverage") or {}
    xf = doc.get("xfail_files")
    out = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
           "<meta name='viewport' content='width=device-width'><title>vconform report</title>",
           f"<style>{_CSS}</style>{_SCRIPT}</head><body>",
           f"<h1>vconform: {s['cells']} cells, <span class='{'bad' if s['unexpected'] else ''}'>"
           f"{s['unexpected']} unexpected</span></h1>",
           f"<p class='sentence'>{e(model.sentence(cells))}</p>",
           f"<p class='muted'>QEMU {e(doc.get('qemu_version', '?'))}, accel {e(doc.get('accel', '?'))}, "
           f"firmware {e(doc.get('firmware', '?'))}, {e(doc.get('seconds', '?'))} s wall time; "
           f"xfail files: {e(', '.join(map(safe.text, xf)) if isinstance(xf, list) and xf else 'none')}</p>",
           _unused_xfail(doc),
           "<p><a href='#matrix'>matrix</a> · <a href='#requirements'>violated requirements</a> · "
           "<a href='#cells'>cell details</a> · <a href='#coverage'>coverage</a></p>",
           "<h2 id='matrix'>Configurations and devices</h2>", _legend(),
           "<p class='muted'>Each cell shows the mode the probe found and the verdict; "
           "it links to its checks.</p>"]
    out += _matrix(cells, anchor)
    out += cert.html_table(cells)
    out.append("<h2 id='requirements'>Violated requirements</h2>")
    out += _requirements(cells, catalogue, anchor)
    out.append("<h2 id='cells'>Cell details</h2><p class='muted'>Unexpected results are open.</p>")
    for r in cells:
        out += _cell_details(r, anchor)
    out.append(f"<h2 id='coverage'>Requirement coverage</h2><p>{e(cov.get('checked', '?'))} of "
               f"{e(cov.get('catalogue', '?'))} catalogue requirements checked in this run.</p>")
    if cov.get("failed"):
        out.append("<p>Violated: " + ", ".join(f"<code>{e(q)}</code>" for q in cov["failed"]) + "</p>")
    out.append("<details><summary>passed</summary><p>" +
               ", ".join(f"<code>{e(q)}</code>" for q in cov.get("passed") or []) + "</p></details>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
