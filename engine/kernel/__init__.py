"""Modelled kernel objects: frozen values and the pure helpers that change them."""
