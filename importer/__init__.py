"""`milestones import`: files of past activity read line by line and recorded in batches
through the engine's batch path (engine/services/importing.py).

- `lines.py`: what reading a file gives (an activity or a rejection, each with its line
  number), and the errors that refuse a whole file.
- `activity_json.py`: one activity in the GraphQL JSON shape of `ActivityInput` (NDJSON).
- `orders_csv.py`: orders from a CSV file with a header row.
- `shopify_jsonl.py`: orders and their refunds from a Shopify bulk operation's JSONL.
- `run.py`: the import itself: format, batches, progress and the summary.
"""
