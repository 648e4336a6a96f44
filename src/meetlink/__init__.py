"""meetlink."""
