"""One user's search index in memory (dense vectors, BM25), and the cache that keeps them."""
