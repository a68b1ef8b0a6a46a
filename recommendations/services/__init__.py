"""Writes of the recommendations app (runs, stored results, rationale, workflow)."""
