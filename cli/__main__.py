"""`python -m cli`: the same as the `memadvisor` command."""

from cli.main import app

app(prog_name="memadvisor")
