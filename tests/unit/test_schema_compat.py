"""The CI check that refuses unexplained breaking schema changes."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("check_schema_compat", ROOT / "scripts/check_schema_compat.py")
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)

OLD = "type Query { shop: String!  rules(first: Int): [String!]!  count: Int! }"
REMOVED = "type Query { rules(first: Int): [String!]!  count: Int! }"


def test_a_removed_field_is_refused_without_a_note():
    missing, _ = check.unexplained_breaks(OLD, REMOVED, "")
    assert missing == ["Field Query.shop was removed."]


def test_a_note_quoting_the_change_lets_it_pass():
    notes = "## 2.0\n- Field `Query.shop` was removed. Read `viewer { shop }` instead.\n"
    assert check.unexplained_breaks(OLD, REMOVED, notes) == ([], [])


def test_an_added_field_is_not_breaking():
    added = OLD.replace("count: Int!", "count: Int!  customers: [String!]!")
    assert check.unexplained_breaks(OLD, added, "") == ([], [])


def test_a_new_optional_argument_is_reported_as_dangerous_and_passes():
    new = OLD.replace("rules(first: Int)", "rules(first: Int, after: String)")
    assert check.unexplained_breaks(OLD, new, "") == (
        [], ["An optional argument Query.rules(after:) was added."]
    )


def _repo(tmp_path: Path, *schemas: str) -> Path:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "ci@example.com")
    git("config", "user.name", "CI")
    for number, sdl in enumerate(schemas):
        (tmp_path / "schema.graphql").write_text(sdl)
        git("add", "schema.graphql")
        git("commit", "-qm", f"schema {number}")
    return tmp_path


def test_the_parent_commit_is_the_base_without_tags(tmp_path, capsys):
    root = _repo(tmp_path, OLD, REMOVED)
    assert check.main(["--root", str(root)]) == 1
    assert "Field Query.shop was removed." in capsys.readouterr().out
    (root / "BREAKING.md").write_text("- Field Query.shop was removed. Use `viewer`.\n")
    assert check.main(["--root", str(root)]) == 0


def test_the_last_tag_is_the_base_when_there_is_one(tmp_path):
    root = _repo(tmp_path, OLD)
    subprocess.run(["git", "tag", "v1.0.0"], cwd=root, check=True)
    (root / "schema.graphql").write_text(REMOVED)
    subprocess.run(["git", "commit", "-qam", "drop shop"], cwd=root, check=True, capture_output=True)
    (root / "schema.graphql").write_text(REMOVED.replace("rules(first: Int)", "rules"))
    subprocess.run(["git", "commit", "-qam", "drop first"], cwd=root, check=True, capture_output=True)
    assert check.base_ref(root, None) == "v1.0.0"
    missing, _ = check.unexplained_breaks(OLD, (root / "schema.graphql").read_text(), "")
    assert missing == ["Field Query.shop was removed.", "Argument Query.rules(first:) was removed."]
    assert check.main(["--root", str(root)]) == 1


def test_a_single_commit_clone_has_nothing_to_compare_and_passes(tmp_path, capsys):
    root = _repo(tmp_path, OLD)
    assert check.main(["--root", str(root)]) == 0
    assert "nothing to compare" in capsys.readouterr().out
