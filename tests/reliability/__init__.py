"""Fault tests: the real server killed, its database cut off, read-only or full."""
