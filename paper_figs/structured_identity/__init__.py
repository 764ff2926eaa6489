"""Structured identity mapping (SIM): Yang et al., ICLR 2025 (arXiv:2410.08309)."""
