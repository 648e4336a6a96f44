"""Use cases and the MeetLink facade, written against the ports only."""
