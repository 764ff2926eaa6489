"""Locally elastic dynamics: the LE-SDE and label corruption (Zhang, Wang & Su, NeurIPS 2021)."""
