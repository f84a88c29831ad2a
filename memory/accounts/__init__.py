"""Accounts: users and profiles, sign-in sessions, usernames, the audit log."""
