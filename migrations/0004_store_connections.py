import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0003_pure_core')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StoreConnection',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop_id', fields.BigIntField()),
                ('platform', fields.CharField(max_length=16)),
                ('domain', fields.CharField(max_length=255)),
                ('secret', fields.TextField(unique=False)),
                ('count_orders_on', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_delivery_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'store_connections', 'app': 'models', 'unique_together': (('platform', 'domain'),), 'indexes': [Index(fields=['shop_id'])], 'pk_attr': 'id', 'table_description': 'A Shopify or WooCommerce store whose webhooks count for one shop.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoreDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('connection_id', fields.BigIntField()),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('topic', fields.CharField(max_length=100)),
                ('webhook_id', fields.CharField(max_length=255)),
                ('dedup_key', fields.CharField(max_length=255)),
                ('outcome', fields.CharField(max_length=16)),
                ('activity_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('message', fields.TextField(unique=False)),
            ],
            options={'table': 'store_deliveries', 'app': 'models', 'indexes': [Index(fields=['connection_id', 'id']), Index(fields=['connection_id', 'dedup_key'])], 'pk_attr': 'id', 'table_description': 'One webhook a connected store sent, and what became of it.'},
            bases=['Model'],
        ),
    ]
