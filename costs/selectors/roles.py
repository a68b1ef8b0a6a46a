"""The customer roles other apps may act through (read-only, never stored credentials)."""

from __future__ import annotations

from dataclasses import dataclass

from costs.models import CostSource, SourceKind


@dataclass(frozen=True)
class AwsRole:
    source_id: int
    role_arn: str

    @property
    def account_id(self) -> str:
        """The account the role lives in: what it can see beyond the bill (metrics, volumes)."""
        parts = self.role_arn.split(":")
        return parts[4] if len(parts) > 4 else ""


def aws_roles() -> list[AwsRole]:
    """Active AWS sources' cross-account roles, one per role."""
    sources = CostSource.objects.filter(is_active=True, kind=SourceKind.AWS_S3).exclude(role_arn="")
    seen: dict[str, AwsRole] = {}
    for source in sources.order_by("pk"):
        seen.setdefault(source.role_arn, AwsRole(source_id=source.pk, role_arn=source.role_arn))
    return list(seen.values())
