"""The anomaly model: pure functions of daily series (no database, no Django), deterministic."""

from costs.monitoring.detection.detector import Detection, DetectorSettings, Event, detect

__all__ = ["Detection", "DetectorSettings", "Event", "detect"]
