"""What fine-tuning learns from (examples, data sets, adapters) and how well retrieval does
(the canary's results)."""
