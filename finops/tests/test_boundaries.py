"""The boundaries `make lint` enforces hold, and breaking one makes the linters fail.

Each breaking case runs the real linters on a copy of the code with one forbidden import
added, so the check is shown to bite without touching the working tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BIN = Path(sys.executable).parent
PACKAGES = ("finops", "tenants", "costs", "recommendations")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packages and pyproject.toml, copied (no tests, no caches)."""
    root = tmp_path_factory.mktemp("boundaries")
    base = Path(settings.BASE_DIR)
    shutil.copy(base / "pyproject.toml", root / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(base / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return root


def _with_line(copy: Path, module: str, line: str) -> tuple[Path, str]:
    path = copy / module
    original = path.read_text()
    path.write_text(original + f"\n{line}\n")
    return path, original


def test_the_import_contracts_hold() -> None:
    result = lint_imports(Path(settings.BASE_DIR))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("tenants/views.py", "import costs.selectors  # noqa", "tenants knows nothing of costs or recommendations"),
        ("costs/explorer/views.py", "import costs.monitoring.views  # noqa", "do not import each other"),
        (
            "costs/monitoring/views.py",
            "from costs.models import CostSource  # noqa",
            "read the bill through costs.selectors, not costs.models",
        ),
        ("costs/models.py", "import costs.services.sources  # noqa", "models do not import views, services or tasks"),
        ("finops/aws/s3.py", "import costs.models  # noqa", "finops.aws imports no app"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(copy: Path, module: str, line: str, contract: str) -> None:
    path, original = _with_line(copy, module, line)
    try:
        result = lint_imports(copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    broken = [block for block in result.stdout.split("\n\n") if "BROKEN" in block]
    assert any(contract in " ".join(block.split()) for block in broken), result.stdout[-3000:]


def test_boto3_outside_finops_aws_is_a_lint_error(copy: Path) -> None:
    outside, original = _with_line(copy, "costs/services/uploads.py", "import boto3  # noqa: F401")
    inside = copy / "finops" / "aws" / "extra.py"
    inside.write_text("import boto3  # noqa: F401\nimport botocore.exceptions  # noqa: F401\n")
    try:
        result = subprocess.run(
            [str(BIN / "ruff"), "check", "--no-cache", "--select", "TID251", "costs", "finops"],
            cwd=copy,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        outside.write_text(original)
        inside.unlink()
    assert result.returncode != 0
    flagged = [line for line in result.stdout.splitlines() if "TID251" in line]
    assert len(flagged) == 1 and "`boto3` is banned" in flagged[0], result.stdout
    assert "costs/services/uploads.py" in result.stdout and "finops/aws/extra.py" not in result.stdout
