from pathlib import Path

from resolvers.schema import schema_sdl

SNAPSHOT = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_equals_the_exported_schema():
    assert SNAPSHOT.read_text() == schema_sdl(), (
        "schema.graphql is stale: run `milestones export-schema` and commit it"
    )
