"""Monitoring models (tenant schema): anomalies, forecasts, budgets and alerts will live here."""
