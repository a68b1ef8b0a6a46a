"""The database wrapper: django-tenants' schema selection without any session-level SET."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.utils import quote_schema_name
from psycopg.pq import Format

from finops.db_backend.pinning import PinnedCursor, PinnedServerSideCursor, attach


class DatabaseWrapper(TenantDatabaseWrapper):  # type: ignore[misc]
    """Selects tenants like django-tenants does; each statement, not the session, carries the schema.

    settings_dict["TRANSACTION_POOLED"] says the connection goes through a transaction pooler:
    then prepared statements and server-side cursors (which live on one server connection)
    are refused, and so are statements that cannot be pinned.
    """

    _pins: tuple[str, str] | None = None

    @property
    def pooled(self) -> bool:
        return bool(self.settings_dict.get("TRANSACTION_POOLED"))

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None:
        super().set_tenant(tenant, include_public)
        self._pins = None

    def search_path_pin(self, *, local: bool = True) -> str:
        """`SET LOCAL search_path = ...` for the current tenant (a session-level SET if not `local`).

        SET LOCAL rather than set_config(..., true): same effect, but a utility command is cheaper
        for the server than a SELECT (measured ~15 µs less per statement).
        """
        if self._pins is None:
            if not self.schema_name:
                raise ImproperlyConfigured("Database schema not set. Did you forget to call set_tenant()?")
            # _get_cursor_search_paths validates every name (no quotes, backslashes, semicolons) and
            # quote_schema_name quotes it, so a name cannot end the statement.
            value = ", ".join(quote_schema_name(name) for name in self._get_cursor_search_paths())
            self._pins = (f"SET LOCAL search_path = {value};", f"SET search_path = {value};")
        return self._pins[0] if local else self._pins[1]

    def _handle_search_path(self, cursor: Any = None) -> None:
        # django-tenants issues a session-level SET here; our cursors pin each statement instead.
        return None

    def get_connection_params(self) -> dict[str, Any]:
        options = self.settings_dict["OPTIONS"]
        if options.get("server_side_binding") is True:
            raise ImproperlyConfigured(
                "finops.db_backend sends each statement together with its schema in one message, which "
                "server-side parameter binding cannot do: remove OPTIONS['server_side_binding']"
            )
        params: dict[str, Any] = super().get_connection_params()
        if self.pooled:
            if params.get("prepare_threshold") is not None:
                raise ImproperlyConfigured(
                    "behind a transaction pooler a prepared statement exists on one server connection only: "
                    "OPTIONS['prepare_threshold'] must be None"
                )
            if not self.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
                raise ImproperlyConfigured(
                    "behind a transaction pooler a server-side cursor outlives its transaction's server "
                    "connection: set DISABLE_SERVER_SIDE_CURSORS"
                )
        params["cursor_factory"] = PinnedCursor
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        attach(connection, self)
        return connection

    def create_cursor(self, name: str | None = None) -> Any:
        if not name:
            return super().create_cursor()
        # As Django's create_cursor, with the pinned class for named (server-side) cursors.
        cursor = PinnedServerSideCursor(
            self.connection, name=name, scrollable=False, withhold=self.connection.autocommit
        )
        tzloader = self.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if self.timezone != tzloader.timezone:
            register_tzloader(self.timezone, cursor)
        return cursor
