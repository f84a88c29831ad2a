"""Conversations: the chat history and users' feedback on answers."""
