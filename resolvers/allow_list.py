"""The storefront allow-list: with it on, a STOREFRONT key may run only the operations
registered in one file of GraphQL documents, so a leaked public key does no more than the
widget does.

An operation matches when it is the same document once printed: layout, comments and the
order of its fragments do not matter, a single field or argument more does. Only the
operation that runs is compared (with the fragments it uses), so a client may send it in a
document of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    print_ast,
    validate,
)
from graphql.language import Visitor, visit

NOT_REGISTERED = "OPERATION_NOT_REGISTERED"


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_args) -> None:
        self.names.add(node.name.value)


def _fragments_used(
    node, fragments: dict[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    """The fragments `node` spreads, and theirs, sorted by name."""
    found: dict[str, FragmentDefinitionNode] = {}
    pending = [node]
    while pending:
        spreads = _Spreads()
        visit(pending.pop(), spreads)
        for name in spreads.names - set(found):
            if name in fragments:
                found[name] = fragments[name]
                pending.append(fragments[name])
    return [found[name] for name in sorted(found)]


def _operations(document: DocumentNode) -> Iterator[tuple[str | None, DocumentNode]]:
    """Each operation of the document with the fragments it uses, as a document of its own."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else None
            used = _fragments_used(definition, fragments)
            yield name, DocumentNode(definitions=(definition, *used))


def canonical(document: DocumentNode, operation_name: str | None) -> str | None:
    """The printed form of the operation that runs (as `operationName` picks it)."""
    operations = list(_operations(document))
    if operation_name is None and len(operations) == 1:
        return print_ast(operations[0][1])
    for name, single in operations:
        if name is not None and name == operation_name:
            return print_ast(single)
    return None


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class StorefrontOperations:
    """The registered operations, by their printed form."""

    documents: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path, schema: GraphQLSchema) -> StorefrontOperations:
        """Every operation of the file; one that the schema refuses stops the start, rather
        than being refused to the widget later."""
        document = parse(path.read_text())
        found = set()
        for name, single in _operations(document):
            if name is None:
                raise ValueError(f"{path}: every registered operation needs a name")
            if errors := validate(schema, single):
                raise ValueError(f"{path}: operation {name}: {errors[0].message}")
            found.add(print_ast(single))
        return cls(frozenset(found))

    def hashes(self) -> dict[str, str]:
        """Each registered document by the sha256 of its printed form (an Apollo client's
        persisted-query hash of the same document)."""
        return {sha256(text): text for text in self.documents}

    def allows(self, document: DocumentNode, operation_name: str | None) -> bool:
        return canonical(document, operation_name) in self.documents


@lru_cache(maxsize=512)
def _allowed(operations: StorefrontOperations, query: str, operation_name: str | None) -> bool:
    try:
        return operations.allows(parse(query), operation_name)
    except GraphQLError:  # not even GraphQL
        return False


def refusal(
    operations: StorefrontOperations, query: str | None, operation_name: str | None
) -> GraphQLError | None:
    """The error for a STOREFRONT key's operation that is not registered, or None. Checked
    before the operation is parsed for execution, let alone validated: its errors would
    teach a caller the schema."""
    if query is not None and _allowed(operations, query, operation_name):
        return None
    return GraphQLError(
        "Storefront keys may run only the registered storefront operations.",
        extensions={"code": NOT_REGISTERED},
    )
