"""Coarse labels: neural collapse and the fine structure that survives (Yang, Steinhardt & Hu, ICML 2023)."""
