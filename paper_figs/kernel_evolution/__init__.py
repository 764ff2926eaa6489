"""Kernel evolution (issue #15): lazy-to-rich diagnostics, exact kernel trajectories and the cone effect."""
