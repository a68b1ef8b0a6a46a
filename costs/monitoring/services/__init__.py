"""Writes of the monitoring app: one function per action, in a transaction."""
