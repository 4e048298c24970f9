"""The Starlette application: settings, database, auth, context, lifespan and routes."""
