"""The graphs and what they run on: the chat graph, the model tier, advice, analysis and jobs.

The chat graph is wired in `graph` from the nodes in `nodes`, with its state in `state`, per-run
settings in `context` and its events in `streaming`; `services` builds the long-lived objects.
Below them: `advice` (recommendations, profile summaries, fact consolidation), `jobs`,
`analysis` (rule-based analysers and charts), `evaluation` (the retrieval canary) and `model`
(the model tier). `[tool.importlinter]` in pyproject.toml holds the order.
"""
