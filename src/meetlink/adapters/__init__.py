"""Concrete implementations of the ports. Only composition roots import these."""
