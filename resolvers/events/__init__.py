"""Reward events: the polling connection, the subscription, and their one public rendering."""
