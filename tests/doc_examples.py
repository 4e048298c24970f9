"""The GraphQL examples of a documentation page, and a reader who sends them as written.

A page is read from top to bottom; each ```graphql block is one request. Right under it, a
```json block holds its variables, and a ```json block whose object has "data" or "errors" is
the answer the page promises. Nothing in a block is changed before it is sent, except:

- placeholders. `<NAME>` stands for a value that the prose before the block defines, in one of
  two sentences (the convention the cookbook explains at its top):
      `<RULE_ID>` is `createMilestoneRule.rule.id` from the answer above
      `<DIGEST>` is the hex HMAC-SHA256 of `cust-1001` keyed with `<WIDGET_SECRET>`
  A value is taken where its sentence stands (the answer above is the latest one) and holds for
  the rest of the page. `<ADMIN_KEY>` is the key the demo server printed.
- the key: `<ADMIN_KEY>`, or `<PARTNER_KEY>` / `<STOREFRONT_KEY>` when the block's first line
  is `# as PARTNER` / `# as STOREFRONT`.

A ```graphql block without an operation (a schema excerpt) is not sent; GraphQL that a page
shows but does not mean to be sent belongs in a ```text block. Without a promised
answer, a block must answer without errors and without userErrors, or, when a line says
`# expect CODE`, with userErrors of that code only. A promised answer must equal the real one,
except for the values that differ from one run to the next: a time stands for any time, a
reward code for any code, a global id for any id of its type, and `…` inside a string for any
text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from websockets.sync.client import connect

FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
NAME = r"<([A-Z][A-Z0-9_]*)>"
PATH = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*"
VALUE_SENTENCE = re.compile(rf"`{NAME}` is `({PATH})` (?:from|in|of) the answer above")
DIGEST_SENTENCE = re.compile(rf"`{NAME}` is the hex HMAC-SHA256 of `([^`]+)` keyed with `{NAME}`")
PLACEHOLDER = re.compile(NAME)
ROLE = re.compile(r"^# as (ADMIN|PARTNER|STOREFRONT)[ \t]*$", re.M)
EXPECT = re.compile(r"^# expect ([A-Z_]+)[ \t]*$", re.M)
GLOBAL_ID = re.compile(r"gid://milestones/(\w+)/\d+")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
REWARD_CODE = re.compile(r"MS(-[A-Z0-9]{4}){4}")


@dataclass
class Block:
    """One ```graphql block, what the page says right under it, and the prose before it."""

    page: str
    line: int
    query: str
    prose: str
    variables: str | None = None
    answer: Any = None
    notes: list[str] = field(default_factory=list)  # what is wrong with the page around it

    @property
    def where(self) -> str:
        first = next((s for s in self.query.splitlines() if s and not s.startswith("#")), "")
        return f"{self.page}:{self.line} ({first.strip()[:60]})"

    @property
    def role(self) -> str:
        found = ROLE.search(self.query)
        return found[1] if found else "ADMIN"

    @property
    def is_subscription(self) -> bool:
        return _operations(self.query)[:1] == [OperationType.SUBSCRIPTION]


def _operations(query: str) -> list[OperationType]:
    """The kinds of the operations a block defines (none for a schema excerpt)."""
    try:
        definitions = parse(query).definitions
    except GraphQLError:
        return [OperationType.QUERY]  # sent all the same: the server says what is wrong
    return [d.operation for d in definitions if isinstance(d, OperationDefinitionNode)]


def blocks_of(path: Path, root: Path) -> list[Block]:
    text = path.read_text()
    page = str(path.relative_to(root))
    blocks: list[Block] = []
    prose_from = 0
    fences = list(FENCE.finditer(text))
    index = 0
    while index < len(fences):
        fence = fences[index]
        index += 1
        if fence[1].split()[:1] != ["graphql"] or not _operations(fence[2]):
            continue  # not GraphQL, or a schema excerpt: nothing to send
        line = text.count("\n", 0, fence.start()) + 1
        block = Block(page, line, fence[2], prose=text[prose_from : fence.start()])
        end = fence.end()
        while index < len(fences) and fences[index][1].split()[:1] == ["json"]:
            follower = fences[index]
            if text[end : follower.start()].strip():
                break  # prose between: not this block's
            try:
                content = json.loads(follower[2])
            except json.JSONDecodeError as error:
                line = text.count("\n", 0, follower.start()) + 1
                block.notes.append(f"the json block at line {line} under it is not JSON: {error}")
                content = None
            if isinstance(content, dict) and ("data" in content or "errors" in content):
                block.answer = content
            elif content is not None:
                block.variables = follower[2]
            end = follower.end()
            index += 1
        blocks.append(block)
        prose_from = end
    return blocks


def differences(promised: Any, real: Any, where: str = "") -> list[str]:
    """Where the real answer is not what the page promised, as `at <path>: ...` lines."""
    if isinstance(promised, dict) and isinstance(real, dict):
        found = []
        for key in [*promised, *(k for k in real if k not in promised)]:
            if key not in real:
                found.append(f"at {where}{key}: promised, but not in the answer")
            elif key not in promised:
                shown = json.dumps(real[key])[:80]
                found.append(f"at {where}{key}: in the answer ({shown}), not promised")
            else:
                found += differences(promised[key], real[key], f"{where}{key}.")
        return found
    if isinstance(promised, list) and isinstance(real, list):
        if len(promised) != len(real):
            return [f"at {where.rstrip('.')}: promised {len(promised)} items, got {len(real)}"]
        pairs = enumerate(zip(promised, real, strict=False))
        return [found for n, (p, r) in pairs for found in differences(p, r, f"{where}{n}.")]
    if _alike(promised, real):
        return []
    return [f"at {where.rstrip('.')}: promised {json.dumps(promised)}, got {json.dumps(real)}"]


def _alike(promised: Any, real: Any) -> bool:
    if type(promised) is not type(real):
        return False
    if not isinstance(promised, str) or promised == real:
        return promised == real
    for kind in (TIME, REWARD_CODE):
        if kind.fullmatch(promised) and kind.fullmatch(real):
            return True
    promised_id, real_id = GLOBAL_ID.fullmatch(promised), GLOBAL_ID.fullmatch(real)
    if promised_id and real_id:  # numbered by the database, which may leave gaps
        return promised_id[1] == real_id[1]
    if "…" in promised:
        return re.fullmatch(".*".join(map(re.escape, promised.split("…"))), real, re.S) is not None
    return False


def _at(answer: Any, path: str) -> Any:
    value = answer
    for step in re.findall(r"[A-Za-z_]\w*|\[\d+\]", path):
        if step.startswith("["):
            index = int(step[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


@dataclass
class Reader:
    """Sends a page's blocks in order to one server, as the page tells a reader to."""

    url: str
    admin_key: str
    values: dict[str, str] = field(default_factory=dict)
    last_answer: Any = None

    def __post_init__(self) -> None:
        self.values["ADMIN_KEY"] = self.admin_key
        self.http = httpx.Client(base_url=self.url, timeout=30)

    def close(self) -> None:
        self.http.close()

    def read_prose(self, prose: str) -> list[str]:
        """Takes the values the prose defines; its problems, if any. Before the page's first
        answer there is no "answer above": the page's introduction may quote the convention."""
        if self.last_answer is None:
            return []
        text = " ".join(prose.split())
        sentences = [*VALUE_SENTENCE.finditer(text), *DIGEST_SENTENCE.finditer(text)]
        problems = []
        for sentence in sorted(sentences, key=lambda m: m.start()):
            name = sentence[1]
            if sentence.re is VALUE_SENTENCE:
                value = _at(self.last_answer.get("data"), sentence[2])
                if value is None:
                    problems.append(f"`<{name}>`: the answer above has no `{sentence[2]}`")
                self.values[name] = f"<{name}>" if value is None else str(value)
            elif sentence[3] not in self.values:
                problems.append(f"`<{name}>` is keyed with `<{sentence[3]}>`, not defined above")
            else:
                secret, text_signed = self.values[sentence[3]].encode(), sentence[2].encode()
                self.values[name] = hmac.new(secret, text_signed, hashlib.sha256).hexdigest()
        return problems

    def fill(self, text: str) -> tuple[str, list[str]]:
        """`text` with the placeholders' values (as JSON and GraphQL strings hold them), and
        the placeholders no sentence defined."""
        missing = sorted({name for name in PLACEHOLDER.findall(text) if name not in self.values})
        filled = PLACEHOLDER.sub(lambda m: json.dumps(self.values.get(m[1], m[0]))[1:-1], text)
        return filled, [f"`<{name}>` is used, but no sentence above defines it" for name in missing]

    def send(self, block: Block) -> tuple[Any, Any, list[str]]:
        """The real answer to the block, the answer the page promises (its placeholders filled
        in too), and what kept the block from being sent."""
        problems = [*block.notes, *self.read_prose(block.prose)]
        query, missing = self.fill(block.query)
        variables, missing_in_variables = self.fill(block.variables or "null")
        promised, missing_in_answer = self.fill(json.dumps(block.answer))
        problems += missing + missing_in_variables + missing_in_answer
        key = self.values.get(f"{block.role}_KEY")
        if key is None:
            problems.append(f"`# as {block.role}` needs `<{block.role}_KEY>`, undefined above")
        if problems:
            return None, None, list(dict.fromkeys(problems))
        payload = {"query": query}
        if block.variables:
            payload["variables"] = json.loads(variables)
        if block.is_subscription:
            answer = self._subscribe(payload, key, wait_for_one=block.answer is not None)
        else:
            headers = {"Authorization": f"Bearer {key}"}
            response = self.http.post("/graphql", json=payload, headers=headers)
            if response.status_code != 200:
                return None, None, [f"HTTP {response.status_code}: {response.text[:300]}"]
            answer = response.json()
        self.last_answer = answer
        return answer, json.loads(promised), []

    def _subscribe(self, payload: dict, key: str, wait_for_one: bool) -> dict:
        """The first event of the subscription (waited for when the page shows one), or, when
        nothing comes within a second, an answer without data."""
        url = self.url.replace("http", "ws", 1) + "/graphql"
        with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}
            ws.send(json.dumps(init))
            ack = json.loads(ws.recv(timeout=10))
            if ack["type"] != "connection_ack":
                return {"errors": [ack]}
            ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            deadline = time.monotonic() + (10 if wait_for_one else 1)
            while (left := deadline - time.monotonic()) > 0:
                try:
                    message = json.loads(ws.recv(timeout=left))
                except TimeoutError:
                    break
                if message["type"] == "next":
                    return message["payload"]
                if message["type"] == "error":
                    return {"errors": message["payload"]}
            return {"data": None}


def check(block: Block, answer: Any, promised: Any) -> list[str]:
    """What is wrong with the real answer to the block, as the page describes it."""
    if promised is not None:
        found = differences(promised, answer)
        if found:
            return [*found, "the real answer was: " + json.dumps(answer, indent=2)]
        return []
    if answer.get("errors"):
        return [f"errors: {json.dumps(answer['errors'])}"]
    expected = EXPECT.search(block.query)
    codes = [
        error["code"]
        for payload in (answer.get("data") or {}).values()
        if isinstance(payload, dict)
        for error in payload.get("userErrors") or []
    ]
    if expected:
        refused_as_expected = codes and set(codes) == {expected[1]}
        return [] if refused_as_expected else [f"expected {expected[1]}, got {codes}"]
    return [f"userErrors: {json.dumps(answer['data'])}"] if codes else []
