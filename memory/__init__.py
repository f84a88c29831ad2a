"""Everything that stores or finds a byte about a user; it knows nothing of HTTP, graphs or prompts.

Sub-packages, from the ground up (`[tool.importlinter]` in pyproject.toml holds them to it):
- `storage`: engines and sessions, the tables, encrypted columns, migrations;
- `accounts`, `conversations`, `retrieval`, `training`: users and sign-ins; chat history and
  feedback; `MemoryStore` and its search; fine-tuning data and the canary's results (side by side,
  none imports another);
- `records`: typed user data, consent, insights, importers (records are mirrored as memories);
- `usage`: what the product counts about its use;
- `privacy` (export and erasure) and `rekey` (key rotation), which reach across all of them.
"""
