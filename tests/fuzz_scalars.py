"""Strategies for the API's custom scalars, hostile values included, registered with
schemathesis on import: by the pytest fuzz (tests/api/test_fuzz_api.py) and, as a hooks module
(SCHEMATHESIS_HOOKS=tests.fuzz_scalars), by the schemathesis command line."""

from __future__ import annotations

from datetime import datetime

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

numbers = st.one_of(
    # Past Decimal's exponent range, not numbers, too precise, too long, malformed.
    st.sampled_from(["1e999999999", "-1e999999999", "NaN", "-Infinity", "1e-999999999"]),
    st.sampled_from(["-0", "0.001", "9" * 40, "12..5", ""]),
    st.decimals(min_value=-1000, max_value=1000, places=2).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)

# Offsets at both ends of what ISO 8601 allows, on times at both ends of the calendar: a UTC
# equivalent may fall outside years 1 to 9999 (0001-01-01T00:00:00+14:00).
offsets = st.one_of(
    st.sampled_from(["Z", "+00:00", "+14:00", "-12:00", "+23:59", "-23:59", "+05:30", "-00:01"]),
    st.builds(
        lambda sign, hours, minutes: f"{sign}{hours:02d}:{minutes:02d}",
        st.sampled_from("+-"), st.integers(0, 23), st.integers(0, 59),
    ),
)
edges = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(1, 1, 2)),
    st.datetimes(min_value=datetime(9999, 12, 30), max_value=datetime(9999, 12, 31, 23, 59, 59)),
)
moments = st.one_of(
    st.builds(lambda at, offset: at.isoformat() + offset, st.datetimes(), offsets),
    st.builds(lambda at, offset: at.isoformat() + offset, edges, offsets),
    st.sampled_from([
        "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "9999-12-31T24:00:00Z",
        "2026-01-01T00:00:00",  # no offset
        "2026-01-15",  # a date alone
        "2026-13-45T25:61:00+00:00", "yesterday", "", "2026-01-15T10:30:00+25:00",
    ]),
)

schemathesis.graphql.scalar("Decimal", numbers.map(nodes.String))
schemathesis.graphql.scalar("DateTime", st.one_of(moments, st.text()).map(nodes.String))
schemathesis.graphql.scalar("JSON", st.text().map(nodes.String))
