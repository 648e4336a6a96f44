"""In-memory adapters for tests and demos: storage, a fake video provider."""
