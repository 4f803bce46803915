"""Policy matrix: dimensions, country entries with evidence, change history, XLSX round trip."""
