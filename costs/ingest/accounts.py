"""Per-delivery bookkeeping across batches: accounts seen, and one currency per account and period."""

from __future__ import annotations

import datetime

import pyarrow as pa
import pyarrow.compute as pc

from costs.ingest.convert import BatchContext
from costs.models import CostSource, LinkedAccount


class CurrencyGuard:
    """A billing account bills in one currency per period; two in one delivery is bad input.

    Different accounts (or providers) in different currencies are fine and stay apart.
    """

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str, datetime.date], tuple[str, str, int]] = {}

    def check(self, table: pa.Table, periods: pa.Array, ctx: BatchContext) -> None:
        keys = pa.table(
            {
                "provider": table.column("provider_name"),
                "account": table.column("billing_account_id"),
                "period": periods,
                "currency": table.column("billing_currency"),
            }
        )
        for row in keys.group_by(["provider", "account", "period", "currency"]).aggregate([]).to_pylist():
            key = (row["provider"], row["account"], row["period"])
            first = self.seen.get(key)
            if first is None:
                index = _first_index(keys, row)
                self.seen[key] = (row["currency"], ctx.file, ctx.first_row + index)
            elif first[0] != row["currency"]:
                index = _first_index(keys, row)
                raise ctx.error(
                    f"has currency {row['currency']} for billing account {row['account']} in "
                    f"{row['period']:%Y-%m}, but {first[1]} row {first[2]} has {first[0]}: "
                    "one billing account bills in one currency per period",
                    index=index,
                    column="billing_currency",
                )


def _first_index(keys: pa.Table, row: dict) -> int:
    mask = pc.and_(
        pc.and_(pc.equal(keys.column("account"), row["account"]), pc.equal(keys.column("currency"), row["currency"])),
        pc.equal(keys.column("period"), pa.scalar(row["period"], pa.date32())),
    )
    return int(pc.index(mask, True).as_py())


class AccountTracker:
    """Every billing and sub account in the data, with the days it was seen."""

    def __init__(self, *, source_id: int) -> None:
        self.source_id = source_id
        self.accounts: dict[tuple[str, str], tuple[str, datetime.date, datetime.date]] = {}

    def observe(self, table: pa.Table) -> None:
        days = pc.cast(table.column("charge_period_start"), pa.date32())
        for id_col, name_col in (
            ("billing_account_id", "billing_account_name"),
            ("sub_account_id", "sub_account_name"),
        ):
            keys = pa.table(
                {
                    "provider": table.column("provider_name"),
                    "account": table.column(id_col),
                    "name": pc.fill_null(table.column(name_col), ""),
                    "day": days,
                }
            )
            grouped = keys.group_by(["provider", "account"]).aggregate(
                [("name", "max"), ("day", "min"), ("day", "max")]
            )
            for row in grouped.to_pylist():
                if row["account"] is None:
                    continue
                key = (row["provider"], row["account"])
                name, first, last = row["name_max"] or "", row["day_min"], row["day_max"]
                if key in self.accounts:
                    old_name, old_first, old_last = self.accounts[key]
                    name, first, last = old_name or name, min(first, old_first), max(last, old_last)
                self.accounts[key] = (name, first, last)

    def save(self, *, source: CostSource) -> list[str]:
        """Create accounts not known yet and widen first/last seen; returns the new ones."""
        existing = {
            (a.provider, a.account_id): a
            for a in LinkedAccount.objects.filter(account_id__in=[k[1] for k in self.accounts])
        }
        created = []
        for (provider, account_id), (name, first, last) in sorted(self.accounts.items()):
            account = existing.get((provider, account_id))
            if account is None:
                LinkedAccount.objects.create(
                    provider=provider, account_id=account_id, name=name, source=source, first_seen=first, last_seen=last
                )
                created.append(f"{provider}:{account_id}")
                continue
            changed: list[str] = []
            if not account.name and name:
                account.name, changed = name, [*changed, "name"]
            if account.first_seen is None or first < account.first_seen:
                account.first_seen, changed = first, [*changed, "first_seen"]
            if account.last_seen is None or last > account.last_seen:
                account.last_seen, changed = last, [*changed, "last_seen"]
            if changed:
                account.save(update_fields=changed)
        return created
