"""This ring runs on the session's database (tests/conftest.py)."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def _connected(database):
    return database
