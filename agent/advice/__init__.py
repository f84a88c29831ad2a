"""What the model writes besides the chat answer: recommendations, profile summaries,
consolidated facts."""
