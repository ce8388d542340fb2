"""Persistence: SQLAlchemy models, Alembic migrations, the serialized unit of work."""

from queue_core.store.db import Event, Store, UnitOfWork

__all__ = ["Event", "Store", "UnitOfWork"]
