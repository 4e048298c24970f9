"""Apollo's automatic persisted queries: a client sends the sha256 of its document in
`extensions.persistedQuery`, and the document itself only when the server does not know it.

1. A request with only the hash: a known hash runs its document; an unknown one answers
   `PersistedQueryNotFound` (`PERSISTED_QUERY_NOT_FOUND`), HTTP 200, and nothing runs.
2. The client sends the hash and the document: the hash must be the document's, then it runs
   and, once it has run, the server keeps it (the last `capacity` documents, per process).
The registered storefront operations are known from the start.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
_HASH = re.compile(r"[0-9a-f]{64}")


class PersistedQueryError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Lookup:
    query: str
    hash: str | None  # set when the document came with a hash: keep it once it has run


class PersistedQueries:
    def __init__(self, known: Mapping[str, str] | None = None, capacity: int = 1000) -> None:
        self.capacity = capacity
        self._known = dict(known or {})  # registered: never evicted
        self._learned: OrderedDict[str, str] = OrderedDict()

    def lookup(self, query: str | None, extensions: Mapping[str, Any] | None) -> Lookup | None:
        """The document to run, or None when the request does not use persisted queries.
        Raises PersistedQueryError for a miss or a malformed request."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return None
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise PersistedQueryError(
                400, "PERSISTED_QUERY_NOT_SUPPORTED", "Only persisted query version 1 is supported."
            )
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            raise PersistedQueryError(
                400, "BAD_REQUEST", "`sha256Hash` must be 64 lower-case hexadecimal digits."
            )
        if query is None:
            found = self._known.get(digest) or self._learned.get(digest)
            if found is None:
                raise PersistedQueryError(200, NOT_FOUND, "PersistedQueryNotFound")
            self._touch(digest)
            return Lookup(found, None)
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            raise PersistedQueryError(400, "BAD_REQUEST", "The sha256Hash is not the query's.")
        return Lookup(query, digest)

    def keep(self, digest: str, query: str) -> None:
        if digest in self._known:
            return
        self._learned[digest] = query
        self._learned.move_to_end(digest)
        while len(self._learned) > self.capacity:
            self._learned.popitem(last=False)

    def _touch(self, digest: str) -> None:
        if digest in self._learned:
            self._learned.move_to_end(digest)
