"""The widget's documentation runs as written: the README's digest recipe and snippet, and the
widget guide's document and theming table, against widget.js and the engine."""

from __future__ import annotations

import re
from pathlib import Path

from engine.services.shops import customer_digest
from tests.browser_support import WIDGET_DOCUMENT, WIDGET_SCRIPT

CHOOSE_DOCUMENT = re.search(r"ChooseReward: `(.*?)`", WIDGET_SCRIPT, re.S).group(1)

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SECTION = README[README.index("## Storefront widget") : README.index("## Following reward events")]
GUIDE = (ROOT / "docs" / "widget.md").read_text()


def test_the_readmes_digest_recipe_is_the_servers(shops):
    [code] = re.findall(r"```python\n(.*?)```", SECTION, re.S)
    namespace: dict = {}
    exec(code, namespace)  # as a store's developer would paste it
    shop = type("Shop", (), {"widget_secret": "whs_example"})()
    for customer in ("cust-1", "42", "ünïcode@example.com"):
        assert namespace["customer_digest"]("whs_example", customer) == customer_digest(shop, customer)


def test_the_pasted_element_uses_exactly_the_widgets_attributes():
    for text in (SECTION, GUIDE):
        tag = re.findall(r"<milestones-progress(\s.*?)>", text, re.S)[0]
        pasted = re.findall(r"([a-z-]+)=\"", tag)
        observed = re.search(r"return \[(.*?)\];", WIDGET_SCRIPT).group(1)
        assert pasted == re.findall(r'"([a-z-]+)"', observed) == [
            "endpoint", "key", "customer", "digest", "lang",
        ]
        assert re.search(r'src="https://rewards\.example\.com/widget\.js"', text)


def test_the_guide_lists_the_two_documents_the_widget_sends():
    documents = re.findall(r"```graphql\n(.*?)```", GUIDE, re.S)
    # Beside the view, only the block that reads the widget secret its example needs.
    assert documents == ["{ shop { widgetSecret } }\n", WIDGET_DOCUMENT + "\n"]
    # The choice, shown (not sent: it needs a pending choice) as the widget sends it.
    shown = re.findall(r"```text\n(mutation ChooseReward.*?)```", GUIDE, re.S)
    assert shown == [CHOOSE_DOCUMENT + "\n"]
    assert WIDGET_SCRIPT.count("query:") == 1  # one fetch body, sending one of those documents


def test_the_guide_lists_every_theming_property_and_no_other():
    used = set(re.findall(r"var\((--milestones-[a-z-]+)", WIDGET_SCRIPT))
    listed = re.findall(r"^\| `(--milestones-[a-z-]+)` \|", GUIDE, re.M)
    assert len(listed) == len(set(listed))
    assert set(listed) == used
    parts = set(re.findall(r'part: "([a-z-]+)"', WIDGET_SCRIPT))
    named = re.search(r"`::part\(\)` reaches (.*?)\n\(", GUIDE, re.S).group(1)
    assert set(re.findall(r"`([a-z-]+)`", named)) == parts
