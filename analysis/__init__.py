"""Comparative analysis: response frames, tables, statistics, the report model (no web code)."""
