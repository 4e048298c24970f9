"""The documentation stays true to the code: every GraphQL example of every page runs as
written against a fresh demo server and answers what the page says; every setting in the one
table, links that lead somewhere, the guides reachable from the README."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from graphql import OperationType, parse

from resolvers.schema import schema
from tests.databases import own_database_sync
from tests.doc_examples import Block, Reader, blocks_of, check
from tests.server_process import serving

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")
SETTING_READ = re.compile(r'(?:environ\.get|_float|_int)\(\s*"([A-Z][A-Z0-9_]+)"')
TABLE_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]+)` \|", re.M)
# Read outside the app's Settings: by prometheus-client (prepared by `milestones serve`), and
# by the server process before the app exists (event loop, garbage collector).
OUTSIDE_SETTINGS = {"PROMETHEUS_MULTIPROC_DIR", "SERVER_LOOP", "SERVER_GC"}
PAGES = [p for p in [ROOT / "README.md", *DOCS] if blocks_of(p, ROOT)]

@dataclass
class Walk:
    """A page's blocks, sent in order to a demo server of their own, and what went wrong."""

    blocks: list[Block] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def walk(page: Path, workdir: Path) -> Walk:
    result = Walk(blocks_of(page, ROOT))
    with own_database_sync(workdir, "docs") as url, serving(url, workdir, demo=True) as server:
        server.wait_until_ready()
        reader = Reader(server.url, server.demo_key())
        try:
            for block in result.blocks:
                try:
                    answer, promised, problems = reader.send(block)
                    problems = problems or check(block, answer, promised)
                except Exception as error:  # noqa: BLE001 - reported with its block; go on
                    problems = [f"could not be sent: {error!r}"]
                if problems:
                    result.failures.append("\n".join([f"{block.where}:", *problems]).replace("\n", "\n  "))
        finally:
            reader.close()
        if server.process.poll() is not None:
            tail = server.log_path.read_text().splitlines()[-20:]
            result.failures.append("\n  ".join(["the demo server stopped; its log ends:", *tail]))
    return result


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    done: dict[Path, Walk] = {}

    def walked_page(page: Path) -> Walk:
        if page not in done:
            done[page] = walk(page, tmp_path_factory.mktemp(page.stem))
        return done[page]

    return walked_page


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_graphql_example_of_the_page_runs_as_written_and_answers_as_shown(walked, page):
    failures = walked(page).failures
    heading = f"{page.name}: {len(failures)} blocks went wrong"
    assert not failures, "\n\n".join([heading, *failures])


def test_every_operation_of_the_schema_has_an_example_in_the_cookbook():
    covered = set()
    for block in blocks_of(ROOT / "docs" / "cookbook.md", ROOT):
        for definition in parse(block.query).definitions:
            kind = definition.operation.value
            covered |= {(kind, s.name.value) for s in definition.selection_set.selections}
    declared = set()
    for kind in OperationType:
        root = schema._schema.get_root_type(kind)
        declared |= {(kind.value, name) for name in root.fields} if root else set()
    assert declared - covered == set()


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
