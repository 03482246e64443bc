"""Alembic migrations for the registry and for store databases.

Migrations are applied by ``tenancy.schema``, which hands Alembic a connection of
its own instead of going through an ``env.py``: the registry, the template and
every store database all use the same few lines, and a store is upgraded inside
one transaction with its own role, so a failure leaves it on its old revision.
New revisions are plain files in ``registry/versions`` or ``store/versions``
(``script.py.mako`` beside them is the template to copy).
"""
