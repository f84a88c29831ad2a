"""`MemoryStore` and everything that writes, indexes and finds a user's memories."""
