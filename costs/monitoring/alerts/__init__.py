"""Alerts: messages for anomalies, budget thresholds and digests, sent by email or Slack, retried when they fail."""
