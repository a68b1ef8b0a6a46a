"""Writes and external calls of the costs app (one module per area)."""
