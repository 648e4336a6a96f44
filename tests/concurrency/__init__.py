"""Concurrency tests through the public MeetLink facade, on real databases."""
