"""Reports of a run: results.json (schema-versioned), JUnit XML, TAP, a
markdown summary for CI pages and one self-contained HTML page. Cell results
hold untrusted strings (guest, QEMU stderr): write_all cleans them first
(report_safe) and every writer escapes for its format, so each file is
written whatever the cells hold."""
import os

from . import report_safe as safe
from .report_html import html_page
from .report_model import OK_VERDICTS, coverage, sentence, summary, unexpected  # noqa: F401
from .report_safe import printable  # noqa: F401  (for terminal output elsewhere)
from .report_text import junit, markdown, tap

SCHEMA = 1


def clean_cells(results, notes):
    """results cleaned once (report_safe.cell), what changed added to notes:
    a caller that reads the cells again after write_all cleans them only
    here (a full run's cells take half a second to clean)."""
    return safe.cells(results, notes)


def write_all(dest, meta, results, catalogue, notes=None):
    """notes: what clean_cells already changed in results, when it ran."""
    notes = [] if notes is None else list(notes)
    cells = sorted(safe.cells(results, notes), key=lambda r: (r["config"], r["device"]))
    doc = {**safe.clean(meta if isinstance(meta, dict) else {}, notes, "meta"), "schema": SCHEMA,
           "summary": summary(cells), "coverage": coverage(cells, catalogue), "cells": cells}
    if notes:  # what cleaning changed, so a reader knows the file is not verbatim
        doc["sanitised"] = notes
    paths = {}
    paths["json"] = _write(dest, "results.json", safe.dumps(doc, indent=1, sort_keys=True))
    paths["junit"] = _write(dest, "junit.xml", junit(cells))
    paths["tap"] = _write(dest, "results.tap", tap(cells))
    paths["markdown"] = _write(dest, "summary.md", markdown(doc))
    paths["html"] = _write(dest, "report.html", html_page(doc, catalogue))
    return paths


def _write(dest, name, text):
    """dest: the run's safefs.RunDir (it replaces only files it made), or a
    folder path (tests)."""
    if hasattr(dest, "write"):
        return dest.write(name, text)
    path = os.path.join(dest, name)
    # the writers leave no lone surrogate; 'replace' keeps a missed one from
    # costing the whole file
    with open(path + ".tmp", "w", encoding="utf-8", errors="replace") as fh:
        fh.write(text)
    os.replace(path + ".tmp", path)
    return path
