"""The model tier: factory, capabilities, queue, structured output, tokens, guards, metrics."""
