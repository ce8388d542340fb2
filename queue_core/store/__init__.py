"""Persistence: SQLAlchemy models, Alembic migrations, the serialized write transaction."""

from queue_core.store.db import Event, Store, Transaction

__all__ = ["Event", "Store", "Transaction"]
