"""Kernel paths as step programs, one module per path; step labels are kernel names."""
