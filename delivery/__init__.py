"""Committed reward events on their way out of the log: followed live by this process's
subscribers (`hub`), and posted to webhook endpoints (`webhooks`, `webhook_worker`)."""
