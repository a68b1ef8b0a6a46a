"""DeliveryFile from local paths (CLI, demo data, tests)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from costs.ingest.delivery import DeliveryFile
from costs.ingest.errors import IngestError


def local_file(path: Path | str, *, name: str | None = None) -> DeliveryFile:
    path = Path(path)
    if not path.is_file():
        raise IngestError("does not exist or is not a file", file=str(path))
    return DeliveryFile(name=name or path.name, open=lambda: path.open("rb"), size=path.stat().st_size)


def local_files(paths: Sequence[Path | str]) -> list[DeliveryFile]:
    return [local_file(p) for p in paths]
