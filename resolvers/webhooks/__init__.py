"""Webhook endpoints: registration, deletion, and each endpoint's delivery log."""
