"""Every shipped language is complete, its compiled catalogue is current, and every patient-facing
msgid in the code is in it. A fresh machine has no GNU gettext, so the .mo files are committed;
this compiles each .po with polib (pure Python) and compares the catalogues' contents (not bytes,
which differ between compilers). To refresh: `python scripts/compile_messages.py`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PO_FILES = sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po"))
# Where patient wording lives: pages reached by links, messages, replies, patient questionnaires.
PATIENT_CODE = ("messaging", "careplans", "clinic", "scheduling")
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "gettext_noop", "N_", "pgettext", "ngettext"}
TEMPLATE_TAG = re.compile(r"""{%\s*(?:trans|translate)\s+(["'])(.+?)\1""")
PLACEHOLDER = re.compile(r"{(\w*)}|%\((\w+)\)[sd]")


def _catalogue(entries) -> dict:
    return {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in entries if e.msgid and not e.obsolete}


def _code_msgids() -> set[str]:
    found: set[str] = set()
    for app in PATIENT_CODE:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                arg = node.args[1] if name == "pgettext" and len(node.args) > 1 else node.args[0]
                if name in GETTEXT_NAMES and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
        for path in (ROOT / app).rglob("*.html"):
            found |= {match[1] for match in TEMPLATE_TAG.findall(path.read_text())}
    return found


def test_spanish_ships():
    assert any(path.parts[-3] == "es" for path in PO_FILES)
    assert {code for code, _ in settings.LANGUAGES} >= {path.parts[-3] for path in PO_FILES}


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: p.parts[-3])
def test_every_entry_is_translated_and_none_is_fuzzy(po_path):
    po = polib.pofile(str(po_path))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: p.parts[-3])
def test_the_committed_mo_is_current(po_path, tmp_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run python scripts/compile_messages.py"
    fresh = tmp_path / "fresh.mo"
    polib.pofile(str(po_path)).save_as_mofile(str(fresh))
    assert _catalogue(polib.mofile(str(mo_path))) == _catalogue(polib.mofile(str(fresh))), (
        f"{mo_path} is stale: run python scripts/compile_messages.py"
    )


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: p.parts[-3])
def test_translations_keep_every_placeholder(po_path):
    broken = [
        e.msgid
        for e in polib.pofile(str(po_path))
        if e.msgstr and sorted(PLACEHOLDER.findall(e.msgid)) != sorted(PLACEHOLDER.findall(e.msgstr))
    ]
    assert broken == []


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: p.parts[-3])
def test_every_msgid_in_the_code_is_in_the_catalogue(po_path):
    have = {e.msgid for e in polib.pofile(str(po_path))}
    assert sorted(_code_msgids() - have) == []


def test_the_code_scan_finds_the_wording_it_must_check():
    """The completeness test above means something only if the scan sees the strings."""
    msgids = _code_msgids()
    assert {"Book your visit", "Reply STOP to opt out", "Call us now", "{clinic}: book {link} {phone}"} <= msgids
