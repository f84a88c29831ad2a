"""What the product counts about its use, naming no one: analytics, engagement."""
