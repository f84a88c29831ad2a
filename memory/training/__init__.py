"""What fine-tuning learns from (examples, data sets, adapters), and the retrieval canary's runs."""
