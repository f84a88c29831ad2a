"""Background jobs: in process or on Celery workers, and the scheduled upkeep."""
