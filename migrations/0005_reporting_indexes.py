"""Indexes of the admin's reports: the shop-wide issuedRewards connection and its filters, the
sorts of the customers connection, and its prefix search on external id and email.

The prefix search compares in code point order (engine/services/reporting.py): on PostgreSQL its
indexes are on the columns in the "C" collation, whatever the database's own collation; on
SQLite the existing (shop_id, external_id) index serves, and the email one is on lower(email).
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

PREFIX_INDEXES = {
    "postgres": [
        ("customers_shop_external_prefix", 'customers (shop_id, (external_id COLLATE "C"))'),
        ("customers_shop_email_prefix", 'customers (shop_id, (lower(email) COLLATE "C"))'),
    ],
    "sqlite": [("customers_shop_email_prefix", "customers (shop_id, lower(email))")],
}


def _prefix_indexes(schema_editor) -> list[tuple[str, str]]:
    dialect = schema_editor.client.capabilities.dialect
    return PREFIX_INDEXES["sqlite" if dialect == "sqlite" else "postgres"]


async def create_prefix_indexes(apps, schema_editor) -> None:
    for name, target in _prefix_indexes(schema_editor):
        await schema_editor.client.execute_script(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


async def drop_prefix_indexes(apps, schema_editor) -> None:
    for name, _ in _prefix_indexes(schema_editor):
        await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [('models', '0004_store_connections')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['shop_id', 'id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['shop_id', 'last_activity_at', 'id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['shop_id', 'total_spent', 'id']),
        ),
        ops.AddIndex(
            model_name='IssuedReward',
            index=Index(fields=['shop_id', 'id']),
        ),
        ops.AddIndex(
            model_name='IssuedReward',
            index=Index(fields=['shop_id', 'status', 'id']),
        ),
        ops.AddIndex(
            model_name='IssuedReward',
            index=Index(fields=['shop_id', 'kind', 'id']),
        ),
        ops.AddIndex(
            model_name='IssuedReward',
            index=Index(fields=['rule_id', 'id']),
        ),
        ops.AddIndex(
            model_name='IssuedReward',
            index=Index(fields=['shop_id', 'issued_at']),
        ),
        ops.RunPython(create_prefix_indexes, drop_prefix_indexes),
    ]
