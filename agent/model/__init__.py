"""The model tier: the chat-model factory, what the model can do, the queue in front of it,
structured output, token counts, repetition guards and model metrics."""
