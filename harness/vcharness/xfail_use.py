"""Which xfail entries a run had use for. An entry that names cells this run
judged, and matched none of their failures, is stale for this QEMU: the
failure it excused is fixed, or the check no longer runs there (a VM shared
with a twin that skips it, a check renamed). The runner lists such entries
in its reports; it does not fail on them (a known hang that did not happen
this time is one too)."""
import fnmatch

# verdicts of cells that were not judged: their entries are out of scope
NOT_JUDGED = ("skipped", "interrupted")


def _split(pattern):
    parts = pattern.split("/", 2)
    return parts if len(parts) == 3 else None


def _in_scope(parts, results):
    """Some judged cell has the entry's config and device, and plays what the
    entry is about: a replayed scenario's or control sequence's entry
    (check:scenario, replay.*) where scenarios were replayed (--hostile,
    --scenarios, --control), any other where they were not (a replay run
    plays no probe checks)."""
    cfg, dev, check = parts
    replay_only = check.startswith("replay.") or ":" in check
    for r in results:
        if r.get("verdict") in NOT_JUDGED:
            continue
        if bool(r.get("replay")) != replay_only:
            continue
        if fnmatch.fnmatchcase(str(r.get("config")), cfg) and fnmatch.fnmatchcase(str(r.get("device")), dev):
            return True
    return False


def _used(pattern, results):
    """A cell's listed failures (check ids, '@verdict', or 'id:scenario' of a
    replayed one) include one this entry matches."""
    for r in results:
        base = f"{r.get('config')}/{r.get('device')}/"
        for key in r.get("xfail") or ():
            key = str(key)
            if fnmatch.fnmatchcase(base + key, pattern) or \
                    fnmatch.fnmatchcase(base + key.split(":", 1)[0], pattern):
                return True
    return False


def unused(patterns, results):
    """The entries in scope of this run that matched nothing, sorted."""
    out = []
    for p in sorted(patterns):
        parts = _split(p)
        if parts and _in_scope(parts, results) and not _used(p, results):
            out.append(p)
    return out
