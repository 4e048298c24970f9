"""Every code a domain error can carry is a value of the API's UserErrorCode: a code the
engine raised that the enum lacked would reach the client as an internal error."""

import ast
from pathlib import Path

from resolvers.errors import UserErrorCode

ROOT = Path(__file__).resolve().parents[2]
# Where domain errors are raised: the engine and the store platforms' mappings.
SOURCES = ["engine", "platforms"]


def _codes_raised() -> dict[str, str]:
    """Each string constant given as a code to DomainError.one, Problems.add or Problem."""
    found: dict[str, str] = {}
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                first = node.args[0]
                if name in ("one", "add", "Problem") and isinstance(first, ast.Constant) and isinstance(first.value, str):
                    if first.value.isupper():
                        found[first.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_code_the_engine_raises_is_in_the_api_enum():
    raised = _codes_raised()
    assert {"INVALID", "NOT_FOUND", "REFUND_EXCEEDS_ORDER", "IDEMPOTENCY_CONFLICT"} <= set(raised)
    missing = {code: where for code, where in raised.items() if code not in UserErrorCode.__members__}
    assert missing == {}
