"""django-tenants' PostgreSQL backend, made safe behind a transaction-pooling proxy (RDS Proxy, pgbouncer).

django-tenants selects an organization's schema with a session-level `SET search_path` when a
cursor is opened. A transaction pooler hands every transaction to whichever server connection
is free, so that SET and the queries after it can run on different server connections, and a
request of one organization then reads or writes another organization's tables.

This backend never relies on session state. Every statement carries its schema with it: it is
sent as `SET LOCAL search_path = <schemas>; <statement>` in one simple-protocol message. PostgreSQL runs such a message as one transaction (an implicit one in
autocommit mode, or as part of the open transaction), a pooler hands a whole transaction to one
server connection, and the setting ends with the transaction, so nothing is left behind on the
server connection. It costs no extra round trip. See `pinning.py` for the operations that cannot
be sent that way (COPY, executemany, stream, server-side cursors) and what is done for them.

Select it with ENGINE "finops.db_backend" (the default in settings). It works the same on a
direct connection.
"""
