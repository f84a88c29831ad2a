"""The `memadvisor` command line: the top floor, beside `api/`."""
