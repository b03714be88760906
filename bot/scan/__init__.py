"""Whole-app scans: the terminal's and the worker's drivers of checks.scan."""
