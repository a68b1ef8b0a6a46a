"""All detectors, and the one entry point that runs them over a window of the bill."""

from __future__ import annotations

from collections.abc import Callable

from recommendations.detectors import commitments, compute, database, logs, network, storage
from recommendations.detectors.base import Candidate, DetectorInput
from recommendations.pricing import PriceBook

Detector = Callable[[DetectorInput, PriceBook], list[Candidate]]
DETECTORS: tuple[Detector, ...] = (
    *compute.DETECTORS,
    *storage.DETECTORS,
    *network.DETECTORS,
    *database.DETECTORS,
    *commitments.DETECTORS,
    *logs.DETECTORS,
)
# When both fire on one resource, the first makes the second moot (an idle instance needs no
# new instance type), and counting both would add the same money twice.
SUPERSEDES = {
    "ec2_idle": ("ec2_modernize",),
    "ebs_unattached": ("ebs_gp2_to_gp3",),
    "rds_idle": ("rds_previous_generation", "rds_gp2"),
}


def detect_all(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """Every detector's candidates, without superseded duplicates, largest savings first."""
    found = [candidate for detector in DETECTORS for candidate in detector(inputs, prices)]
    moot = {
        (superseded, candidate.account_id, candidate.resource_id)
        for candidate in found
        for superseded in SUPERSEDES.get(candidate.detector, ())
    }
    kept = [c for c in found if (c.detector, c.account_id, c.resource_id) not in moot]
    return sorted(kept, key=lambda c: (-c.monthly_savings, c.key))
