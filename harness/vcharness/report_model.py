"""What the reports say about a run, shared by every writer: which cells
are unexpected, the verdict counts as a sentence, requirement coverage and
the violated requirements with the cells that violate them. Functions
taking raw results tolerate any content (see report_safe)."""
from . import report_safe as safe

# verdicts that leave the exit status alone: a known violation is one the
# xfail file lists (still reported as a violation)
OK_VERDICTS = {"conforms", "skipped", "known-violation"}

# verdict -> (singular, plural) in the counts sentence, in the order shown
_PHRASES = {"conforms": ("conforms", "conform"), "violates": ("violates", "violate"),
            "known-violation": ("known violation", "known violations"),
            "wedged": ("wedged", "wedged"),
            "timeout": ("timed out", "timed out"), "vmm-crash": ("QEMU crash", "QEMU crashes"),
            "vmm-refused": ("refused by QEMU", "refused by QEMU"),
            "guest-panic": ("guest panic", "guest panics"), "probe-error": ("probe error", "probe errors"),
            "backend-error": ("back-end error", "back-end errors"),
            "no-driver": ("not started by a driver", "not started by a driver"),
            "skipped": ("skipped", "skipped")}


def known(r):
    """The xfail file lists this cell's failure (or its hang, crash...)."""
    return isinstance(r, dict) and (r.get("verdict") == "known-violation" or r.get("known") is True)


def unexpected(r):
    v = r.get("verdict") if isinstance(r, dict) else None
    return not (isinstance(v, str) and v in OK_VERDICTS) and not known(r)


def kind(r):
    """The cell's colour class: conforms, skipped, known, violates or error
    (the harness could not judge the device: hang, crash, probe error)."""
    if r["verdict"] in ("conforms", "skipped"):
        return r["verdict"]
    if known(r):
        return "known"
    return "violates" if r["verdict"] in ("violates", "wedged") else "error"


def summary(results):
    cells = safe.cells(results)
    counts = {}
    for r in cells:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return {"cells": len(cells), "verdicts": counts,
            "unexpected": sum(unexpected(r) for r in cells),
            "retried": sum(r.get("retried") is True for r in cells)}


def sentence(cells):
    """'140 cells: 136 conform, 2 known violations, 2 skipped; 0 unexpected.'
    A listed hang or crash counts as '1 timed out (known)'."""
    counts = {}
    for r in cells:
        key = (r["verdict"], known(r) and r["verdict"] != "known-violation")
        counts[key] = counts.get(key, 0) + 1
    order = list(_PHRASES)

    def rank(key):
        v, k = key
        return (v == "skipped", order.index(v) if v in order else len(order), v, k)
    parts = []
    for (v, k) in sorted(counts, key=rank):
        n = counts[(v, k)]
        other = f'verdict "{safe.printable(v, 40)}"' if v else "no verdict"
        one, many = _PHRASES.get(v, (other, other))
        parts.append(f"{n} {one if n == 1 else many}{' (known)' if k else ''}")
    head = f"{len(cells)} cell{'' if len(cells) == 1 else 's'}"
    return f"{head}: {', '.join(parts) or 'none'}; {sum(unexpected(r) for r in cells)} unexpected."


def coverage(cells, catalogue):
    """Requirement short ids exercised by passing checks, and by failing ones."""
    passed, failed = set(), set()
    for r in safe.cells(cells):
        for c in r["checks"]:
            if c["verdict"] in ("pass", "fail"):
                (passed if c["verdict"] == "pass" else failed).update(c["reqs"])
    ids = {q["short"] for q in catalogue}
    return {"catalogue": len(ids), "checked": len((passed | failed) & ids),
            "passed": sorted(passed & ids), "failed": sorted(failed & ids)}


def violations(cells, catalogue):
    """Each violated requirement (from failed checks, known or not) with its
    catalogue row and who violates it: [{short, req, hits: [(cell, check id,
    known)]}], those with an unexpected hit first. Failed checks naming no
    requirement, and violating cells without a failed check (a wrong mode),
    come under short ''."""
    rows = {q["short"]: q for q in catalogue}
    hits, seen = {}, set()
    for r in cells:
        listed = set(r["xfail"])
        failed = [c for c in r["checks"] if c["verdict"] == "fail"]
        named = set()
        for c in failed:
            k = r["verdict"] == "known-violation" or c["id"] in listed
            for q in c["reqs"] or [""]:
                named.add(q)
                if (q, id(r), c["id"]) not in seen:  # input's three functions fail alike
                    seen.add((q, id(r), c["id"]))
                    hits.setdefault(q, []).append((r, c["id"], k))
        if r["verdict"] in ("violates", "known-violation"):
            for q in [q for q in r["reqs"] if q not in named] or ([] if failed else [""]):
                hits.setdefault(q, []).append((r, "", known(r)))
    out = [{"short": q, "req": rows.get(q), "hits": h} for q, h in hits.items()]
    return sorted(out, key=lambda v: (all(hk for _, _, hk in v["hits"]), v["short"] == "", v["short"]))


def replay_lines(r):
    """A replayed cell's outcome counts and reproducers, as text lines."""
    rp = r.get("replay")
    if not isinstance(rp, dict):
        return []
    counts = rp.get("outcomes") if isinstance(rp.get("outcomes"), dict) else {}
    out = [f"{safe.text(rp.get('scenarios'))} scenarios: " +
           (", ".join(f"{safe.text(n)} {safe.text(o)}" for o, n in sorted(counts.items())) or "none replayed")]
    for x in rp.get("reproducers") if isinstance(rp.get("reproducers"), list) else []:
        if isinstance(x, dict):
            out.append(f"{safe.text(x.get('verdict'))} on {safe.text(x.get('scenario'))}"
                       f"{'' if x.get('alone') is True else ' (only after the scenarios before it)'}: "
                       f"{safe.text(x.get('command'))}")
    return out


def section(full_id):
    """('devicenormative', 'Device Types / Network Device / ...', '2') from a
    catalogue id 'devicenormative:Device Types / ... #2'."""
    kind_, _, rest = full_id.partition(":")
    label, _, ordinal = rest.rpartition("#")
    return kind_, label or rest, ordinal
