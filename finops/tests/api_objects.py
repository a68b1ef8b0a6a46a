"""One object of every API resource in the current schema, for the authorization matrix and the fuzzer."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Model

from costs.explorer.models import ExportFormat, ExportStatus, FocusExport, SavedView
from costs.models import CostSource, DailyCostRollup, IngestionJob, SourceKind
from costs.monitoring.models import AlertSubscription, Anomaly, Budget, Monitor, MonitorDimension
from recommendations.models import Recommendation
from recommendations.tests.crafted import stored
from tenants.models import Membership


def _beyond(model: type[Model], floor: int, make: Callable[[], Model]) -> Model:
    """An object whose id is above `floor`: in the other schema, an id the first organization does not have."""
    made = make()
    while made.pk <= floor:
        made = make()
    return made


def api_objects(world: Any, floors: dict[type[Model], int] | None = None) -> dict[str, Model]:
    floors = floors or {}
    counter = iter(range(10_000))

    def ensure(name: str, model: type[Model], make: Callable[[], Model]) -> Model:
        return _beyond(model, floors.get(model, 0), make)

    upload = ensure("upload_source", CostSource, lambda: CostSource.objects.create(name="up", kind=SourceKind.UPLOAD))
    aws = ensure(
        "aws_source",
        CostSource,
        lambda: CostSource.objects.create(
            name="aws", kind=SourceKind.AWS_S3, bucket="bills", role_arn="arn:aws:iam::123456789012:role/r"
        ),
    )
    job = ensure(
        "job", IngestionJob, lambda: IngestionJob.objects.create(source=cast(CostSource, upload), trigger="upload")
    )
    monitor = ensure(
        "monitor", Monitor, lambda: Monitor.objects.create(name=f"m{next(counter)}", dimension=MonitorDimension.TOTAL)
    )
    day = datetime.date(2025, 3, 1)
    anomaly = ensure(
        "anomaly",
        Anomaly,
        lambda: Anomaly.objects.create(
            monitor=cast(Monitor, monitor),
            dimension_value=f"v{next(counter)}",
            currency="USD",
            kind="spike",
            start_day=day,
            end_day=day,
            detected_day=day,
            expected_amount=Decimal("10"),
            actual_amount=Decimal("50"),
            impact_amount=Decimal("40"),
            impact_percent=Decimal("400.0"),
            severity="high",
            root_cause_done=True,
        ),
    )
    budget = ensure("budget", Budget, lambda: Budget.objects.create(name="b", amount=Decimal("100")))
    subscription = ensure(
        "subscription",
        AlertSubscription,
        lambda: AlertSubscription.objects.create(user_id=world.viewer.pk, channel="email"),
    )

    def recommendation() -> Model:
        stored(1, prefix=f"vol-matrix-{next(counter)}-")
        return Recommendation.objects.order_by("-pk").first()  # type: ignore[return-value]

    rec = ensure("recommendation", Recommendation, recommendation)
    saved_view = ensure(
        "saved_view",
        SavedView,
        lambda: SavedView.objects.create(
            name=f"View {next(counter)}", query="range=last_30_days&group_by=service_name", created_by_id=world.owner.pk
        ),
    )
    # A billed period (exports can be requested for it) and a finished export with its file in storage.
    DailyCostRollup.objects.create(
        day=day,
        source=cast(CostSource, upload),
        billing_period=day,
        billing_account_id="111111111111",
        service_name="AmazonEC2",
        charge_category="Usage",
        currency="USD",
        billed_cost=Decimal("12.50"),
        row_count=1,
    )

    def finished_export() -> Model:
        export = FocusExport.objects.create(billing_period=day, format=ExportFormat.CSV, status=ExportStatus.SUCCEEDED)
        name = f"focus-1.2_{export.pk}.csv"
        key = default_storage.save(f"exports/focus/{export.pk}/{name}", ContentFile(b"BilledCost\r\n12.5\r\n"))
        FocusExport.objects.filter(pk=export.pk).update(file_key=key, file_name=name, file_size=18)
        export.refresh_from_db()
        return export

    export = ensure("export", FocusExport, finished_export)
    return {
        "upload_source": upload,
        "aws_source": aws,
        "job": job,
        "monitor": monitor,
        "anomaly": anomaly,
        "budget": budget,
        "subscription": subscription,
        "recommendation": rec,
        "saved_view": saved_view,
        "export": export,
        # Memberships live in the shared schema: their ids are global, the organization scopes them.
        "membership": Membership.objects.get(organization=world.organization, user=world.viewer),
        "owner_membership": Membership.objects.get(organization=world.organization, user=world.owner),
    }
