"""Exports: white-paper workbook, country summaries, data files and codebook (no web code)."""
