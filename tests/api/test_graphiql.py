"""GraphiQL: served without a key, from this server's own vendored assets."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("vendor_graphiql", ROOT / "scripts/vendor_graphiql.py")
vendor = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vendor)


async def test_the_graphiql_page_needs_no_key(http):
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_a_get_query_without_a_key_is_refused(http):
    response = await http.get("/graphql?query={shop{name}}")
    assert response.status_code == 401


async def test_the_graphiql_page_loads_only_from_this_server(http):
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "http" not in policy and "unsafe" not in policy
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert sources and all(s.startswith("/graphiql/") for s in sources), sources
    for source in sources:
        asset = await http.get(source)
        assert asset.status_code == 200, source


def test_the_vendored_graphiql_assets_match_their_pinned_checksums():
    assert vendor.problems() == []
    manifest = json.loads((vendor.DESTINATION / "assets.json").read_text())
    assert {name: p["version"] for name, p in manifest["packages"].items()} == vendor.PACKAGES
    assert all(p["integrity"].startswith("sha512-") for p in manifest["packages"].values())


def test_a_changed_asset_is_reported(tmp_path):
    for path in vendor.DESTINATION.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "react.production.min.js").write_text("/* changed */")
    (tmp_path / "extra.js").write_text("")
    found = vendor.problems(tmp_path)
    assert [line.split(":")[0] for line in found] == ["react.production.min.js", "extra.js"]
