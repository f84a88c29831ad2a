"""Deterministic analysis of a user's records: the rule-based half of the analysis module."""
