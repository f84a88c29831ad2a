"""What the model writes besides the chat answer: recommendations, profiles, consolidated facts."""
