"""The monitoring app: anomalies, and (to come) forecasts, budgets and alerts.

It reads the bill through `costs.selectors` only (an import contract says so).
"""
