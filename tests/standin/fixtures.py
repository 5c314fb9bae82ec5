"""Pytest fixtures for the stand-ins (registered globally by tests/conftest.py)."""
