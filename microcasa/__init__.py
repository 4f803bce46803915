"""microcasa: comparative policy studies on micro-credentials in higher education."""

__version__ = "0.1.0"
