"""Where every byte is kept: engines and sessions, the tables, encrypted columns, migrations."""
