"""The model tier: which model runs, what it can do, and how it is called."""
