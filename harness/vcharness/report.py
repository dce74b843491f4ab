"""Reports of a run: results.json (schema-versioned), JUnit XML, TAP, a
markdown summary for CI pages and one self-contained HTML page."""
import html
import json
import os
from xml.sax.saxutils import escape, quoteattr

SCHEMA = 1
# verdicts that leave the exit status alone: a known violation is one the
# xfail file lists (still reported as a violation)
OK_VERDICTS = {"conforms", "skipped", "known-violation"}


def unexpected(res):
    return res["verdict"] not in OK_VERDICTS and not res.get("known")


def summary(results):
    counts = {}
    for r in results:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return {"cells": len(results), "verdicts": counts,
            "unexpected": sum(unexpected(r) for r in results),
            "retried": sum(bool(r.get("retried")) for r in results)}


def coverage(results, catalogue):
    """Requirement short ids exercised by passing checks, and by failing ones."""
    passed, failed = set(), set()
    for r in results:
        for c in r.get("checks", []):
            for q in c.get("reqs", []):
                (passed if c["verdict"] == "pass" else failed if c["verdict"] == "fail" else set()).add(q)
    known = {q["short"] for q in catalogue}
    return {"catalogue": len(known), "checked": len((passed | failed) & known),
            "passed": sorted(passed & known), "failed": sorted(failed & known)}


def printable(text, keep_newlines=False):
    """text with control characters (terminal escapes among them) shown as
    escapes, for a terminal."""
    out = []
    for ch in str(text):
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or 0xD800 <= ord(ch) < 0xE000:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def write_all(rundir, meta, results, catalogue):
    results = sorted(results, key=lambda r: (r["config"], r["device"]))
    doc = {"schema": SCHEMA, **meta, "summary": summary(results),
           "coverage": coverage(results, catalogue), "cells": results}
    paths = {}
    paths["json"] = _write(rundir, "results.json", json.dumps(doc, indent=1, sort_keys=True))
    paths["junit"] = _write(rundir, "junit.xml", junit(results))
    paths["tap"] = _write(rundir, "results.tap", tap(results))
    paths["markdown"] = _write(rundir, "summary.md", markdown(doc))
    paths["html"] = _write(rundir, "report.html", html_page(doc))
    return paths


def _write(dest, name, text):
    """dest: the run's safefs.RunDir (only files it made are replaced), or
    a folder path (tests)."""
    if hasattr(dest, "write"):
        return dest.write(name, text)
    path = os.path.join(dest, name)
    with open(path + ".tmp", "x", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(path + ".tmp", path)
    return path


def junit(results):
    by_cfg = {}
    for r in results:
        by_cfg.setdefault(r["config"], []).append(r)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites name=\"vconform\">"]
    for cfg, rs in by_cfg.items():
        fails = sum(unexpected(r) for r in rs)
        skips = sum(r["verdict"] == "skipped" for r in rs)
        secs = max((r.get("vm", {}).get("seconds", 0) for r in rs), default=0)
        out.append(f"  <testsuite name={quoteattr(cfg)} tests=\"{len(rs)}\" failures=\"{fails}\" "
                   f"skipped=\"{skips}\" time=\"{secs}\">")
        for r in rs:
            out.append(f"    <testcase classname={quoteattr('vconform.' + cfg)} name={quoteattr(r['device'])}>")
            msg = f"{r['verdict']}: {r['reason']}"
            if r["verdict"] == "skipped":
                out.append(f"      <skipped message={quoteattr(r['reason'])}/>")
            elif unexpected(r):
                out.append(f"      <failure message={quoteattr(msg[:500])} type={quoteattr(r['verdict'])}>"
                           f"{escape(', '.join(r.get('reqs', [])))}</failure>")
            out.append(f"      <system-out>{escape('expected mode ' + str(r['expected_mode']) + ', observed ' + str(r['observed_mode']))}</system-out>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def tap(results):
    lines = ["TAP version 13", f"1..{len(results)}"]
    for i, r in enumerate(results, 1):
        desc = f"{r['cell']} {r['verdict']}".replace("#", "")
        if r["verdict"] == "skipped":
            lines.append(f"ok {i} {desc} # SKIP {r['reason']}".replace("\n", " "))
        elif unexpected(r):
            lines.append(f"not ok {i} {desc}")
            lines.append("  ---")
            lines.append(f"  reason: {json.dumps(r['reason'])}")
            lines.append(f"  reqs: {json.dumps(r.get('reqs', []))}")
            lines.append("  ...")
        else:
            lines.append(f"ok {i} {desc}")
    return "\n".join(lines) + "\n"


def _matrix(results):
    configs = sorted({r["config"] for r in results}, key=lambda c: [r["config"] for r in results].index(c))
    devices = []
    for r in results:
        if r["device"] not in devices:
            devices.append(r["device"])
    cell = {(r["config"], r["device"]): r for r in results}
    return configs, devices, cell


def markdown(doc):
    results = doc["cells"]
    s = doc["summary"]
    configs, devices, cell = _matrix(results)
    out = [f"# vconform: {s['cells']} cells, {s['unexpected']} unexpected", "",
           f"QEMU {doc.get('qemu_version', '?')}, accel {doc.get('accel', '?')}, "
           f"{doc.get('seconds', '?')} s wall time", "",
           "| config | " + " | ".join(devices) + " |", "|---" * (len(devices) + 1) + "|"]
    for c in configs:
        row = []
        for d in devices:
            r = cell.get((c, d))
            if not r:
                row.append("")
                continue
            mark = {"conforms": "ok", "skipped": "skip", "known-violation": "known violation"}.get(
                r["verdict"], r["verdict"] + " (known)" if r.get("known") else "**" + r["verdict"] + "**")
            row.append(f"{r['observed_mode'] or '-'} {mark}")
        out.append(f"| {c} | " + " | ".join(row) + " |")
    bad = [r for r in results if unexpected(r)]
    if bad:
        out += ["", "## Unexpected", ""]
        out += [f"- `{r['cell']}` {r['verdict']}: {r['reason']} {' '.join(r.get('reqs', []))}" for r in bad]
    known = [r for r in results if r["verdict"] == "known-violation" or r.get("known")]
    if known:
        out += ["", "## Known violations (listed in the xfail file)", ""]
        out += [f"- `{r['cell']}`: {r['reason']} {' '.join(r.get('reqs', []))}" for r in known]
    cov = doc["coverage"]
    out += ["", f"Requirements checked: {cov['checked']} of {cov['catalogue']} in the catalogue."]
    return "\n".join(out) + "\n"


_CSS = """body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
.conforms{background:#dfd}.violates{background:#fcc}.skipped{background:#eee}
.other{background:#fec}details{margin:2px 0}summary{cursor:pointer}
.fail{color:#b00;font-weight:bold}.pass{color:#070}small{color:#555}"""


def html_page(doc):
    e = html.escape
    results = doc["cells"]
    configs, devices, cell = _matrix(results)
    s = doc["summary"]
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>vconform report</title>",
           f"<style>{_CSS}</style></head><body>",
           f"<h1>vconform: {s['cells']} cells, {s['unexpected']} unexpected</h1>",
           f"<p>QEMU {e(str(doc.get('qemu_version')))}, accel {e(str(doc.get('accel')))}, "
           f"{e(str(doc.get('seconds')))} s; verdicts {e(json.dumps(s['verdicts']))}</p>",
           "<table><tr><th>device \\ config</th>" + "".join(f"<th>{e(c)}</th>" for c in configs) + "</tr>"]
    for d in devices:
        out.append(f"<tr><th>{e(d)}</th>")
        for c in configs:
            r = cell.get((c, d))
            if not r:
                out.append("<td></td>")
                continue
            cls = {"known-violation": "violates"}.get(r["verdict"], r["verdict"])
            if cls not in ("conforms", "violates", "skipped"):
                cls = "other"
            out.append(f"<td class='{cls}'><b>{e(str(r['observed_mode'] or '-'))}</b> "
                       f"<small>(expected {e(r['expected_mode'])})</small><br>{e(r['verdict'])}")
            out.append(f"<details><summary>{len(r.get('checks', []))} checks</summary>"
                       f"<small>{e(r['reason'])}</small><ul>")
            for ch in r.get("checks", []):
                vc = "fail" if ch["verdict"] == "fail" else "pass" if ch["verdict"] == "pass" else ""
                out.append(f"<li><span class='{vc}'>{e(ch['verdict'])}</span> {e(ch['driver'])} "
                           f"<code>{e(ch['id'])}</code> {e(', '.join(ch.get('reqs', [])))}"
                           f"<br><small>expected {e(str(ch.get('expected', '')))}; observed "
                           f"{e(str(ch.get('observed', '')))} {e(str(ch.get('detail', '')))}</small></li>")
            out.append("</ul></details></td>")
        out.append("</tr>")
    out.append("</table>")
    cov = doc["coverage"]
    out.append(f"<h2>Requirement coverage</h2><p>{cov['checked']} of {cov['catalogue']} catalogue "
               f"requirements checked in this run.</p>")
    if cov["failed"]:
        out.append("<p>Violated: " + ", ".join(f"<code>{e(q)}</code>" for q in cov["failed"]) + "</p>")
    out.append("<details><summary>passed</summary><p>" +
               ", ".join(f"<code>{e(q)}</code>" for q in cov["passed"]) + "</p></details>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
