import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from engine.store.sql import execute, fetch, is_sqlite, to_datetime


async def fill_from_history(apps, schema_editor) -> None:
    """Amounts and subjects of recorded activity from their payloads, counting periods of
    existing rules from their history, and first grant keys named as revisions."""
    conn = schema_editor.client
    if is_sqlite(conn):
        text = "json_extract(payload, '$.{}')"
        number = "json_extract(payload, '$.{}')"
    else:
        text = "(payload->>'{}')"
        number = "(payload->>'{}')::bigint"
    for kind, amount, subject in (
        ("ORDER_PLACED", "total", None),
        ("ORDER_REFUNDED", "amount", "orderId"),
        ("SUBSCRIPTION_BILLED", None, "contractId"),
        ("SUBSCRIPTION_CANCELLED", None, "contractId"),
    ):
        sets = []
        if amount:
            sets.append(f"amount = {number.format(amount)}")
        if subject:
            sets.append(f"subject_id = {text.format(subject)}")
        await execute(conn, f"UPDATE activities SET {', '.join(sets)} WHERE kind = $1", kind)
    rules = await fetch(
        conn, "SELECT id, status, count_past_activity, activated_at FROM milestone_rules"
        " WHERE status IN ('ACTIVE', 'PAUSED')"
    )
    for rule in rules:
        start = None if rule["count_past_activity"] else rule["activated_at"]
        end = None
        if rule["status"] == "PAUSED":
            paused = await fetch(
                conn, "SELECT max(changed_at) AS at FROM rule_changes WHERE rule_id = $1 AND action = 'PAUSED'",
                rule["id"],
            )
            end = paused[0]["at"] if paused else None
        periods = [[_iso(start), _iso(end)]]
        await execute(
            conn, "UPDATE milestone_rules SET counting_periods = $1 WHERE id = $2",
            dumps(periods), rule["id"],
        )
    await execute(
        conn,
        "UPDATE issued_rewards SET grant_key = 'g0' WHERE grant_key = 'once' AND NOT EXISTS ("
        " SELECT 1 FROM issued_rewards o WHERE o.rule_id = issued_rewards.rule_id"
        " AND o.milestone_id = issued_rewards.milestone_id AND o.customer_id = issued_rewards.customer_id"
        " AND o.grant_key = 'g0')",
    )


def _iso(value):
    moment = to_datetime(value)
    return moment.isoformat() if moment else None


class Migration(migrations.Migration):
    dependencies = [('models', '0002_webhook_endpoint_lease')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='Activity',
            options={'table': 'activities', 'app': 'models', 'unique_together': (('shop_id', 'kind', 'external_id'),), 'indexes': [Index(fields=['customer_id', 'occurred_at']), Index(fields=['shop_id', 'kind', 'occurred_at']), Index(fields=['shop_id', 'kind', 'subject_id']), Index(fields=['customer_id', 'kind'])], 'pk_attr': 'id', 'table_description': 'Something the store reported: the log every figure is a fold of.'},
        ),
        ops.AddField(
            model_name='Activity',
            name='amount',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Activity',
            name='subject_id',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddIndex(
            model_name='Activity',
            index=Index(fields=['shop_id', 'kind', 'subject_id']),
        ),
        ops.AddIndex(
            model_name='Activity',
            index=Index(fields=['customer_id', 'kind']),
        ),
        ops.AddField(
            model_name='MilestoneRule',
            name='counting_periods',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='MilestoneRule',
            name='version',
            field=fields.IntField(default=0),
        ),
        ops.AlterField(
            model_name='RewardEvent',
            name='seq',
            field=fields.BigIntField(null=True),
        ),
        ops.AlterModelOptions(
            name='RuleProgress',
            options={'table': 'rule_progress', 'app': 'models', 'unique_together': (('rule_id', 'customer_id'),), 'indexes': [Index(fields=['customer_id'])], 'pk_attr': 'id', 'table_description': "A customer's progress on one rule, moved by each activity it counts."},
        ),
        ops.AddField(
            model_name='RuleProgress',
            name='as_of',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(fill_from_history),
        ops.DeleteModel(name='ContractProgress'),
        ops.DeleteModel(name='Order'),
        ops.DeleteModel(name='SubscriptionContract'),
    ]
