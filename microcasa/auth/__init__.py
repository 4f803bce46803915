"""Accounts, roles, sessions, API tokens and the guards every area uses."""
