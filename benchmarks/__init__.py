"""Reproducible performance measurements (not part of the test run)."""
