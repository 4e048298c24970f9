"""The documentation stays true to the code: every setting in the one table, links that lead
somewhere, the guides reachable from the README."""

from __future__ import annotations

import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")
SETTING_READ = re.compile(r'(?:environ\.get|_float|_int)\(\s*"([A-Z][A-Z0-9_]+)"')
TABLE_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]+)` \|", re.M)
# Read outside the app's Settings: by prometheus-client (prepared by `milestones serve`), and
# by the server process before the app exists (event loop, garbage collector).
OUTSIDE_SETTINGS = {"PROMETHEUS_MULTIPROC_DIR", "SERVER_LOOP", "SERVER_GC"}


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", markdown, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_setting_read_is_in_the_operations_table_and_nothing_else():
    read = set(SETTING_READ.findall((ROOT / "api" / "settings.py").read_text()))
    documented = TABLE_ROW.findall((ROOT / "docs" / "operations.md").read_text())
    assert len(documented) == len(set(documented))
    assert set(documented) == read | OUTSIDE_SETTINGS


def test_the_readme_links_every_guide():
    readme = (ROOT / "README.md").read_text()
    linked = {target for target in LINK.findall(readme)}
    assert {f"docs/{doc.name}" for doc in DOCS} <= linked
    assert not TABLE_ROW.search(readme)  # one table of settings, in the operations guide


def test_every_relative_link_of_the_docs_leads_to_a_file_and_heading():
    broken = []
    for source in [ROOT / "README.md", *DOCS]:
        for target in LINK.findall(source.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            destination = (source.parent / path).resolve() if path else source
            if not destination.is_file():
                broken.append((source.name, target))
            elif anchor and anchor not in anchors(destination.read_text()):
                broken.append((source.name, target))
    assert broken == []


def test_the_partner_guides_signature_check_accepts_ours_and_refuses_the_rest():
    from delivery import webhooks

    [code] = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "partners.md").read_text(), re.S)
    namespace: dict = {}
    exec(code, namespace)  # the guide's own example, as a partner would paste it
    verify = namespace["verify"]
    body, secret, now = b'{"id":"gid://milestones/RewardEvent/1"}', "whsec_test", int(time.time())
    headers = {"Milestones-Signature": webhooks.signature_header(secret, now, body)}
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body.replace(b"1", b"2"))
    assert not verify("whsec_other", headers, body)
    stale = {"Milestones-Signature": webhooks.signature_header(secret, now - 3600, body)}
    assert not verify(secret, stale, body)
