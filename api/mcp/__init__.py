"""The MCP door: the user's memory as tools for other assistants (stdio, and `/mcp` over HTTP).

`tools` defines the tools once; `http` serves them at `/mcp` behind personal access tokens;
`stdio` serves them to a desktop or editor client that starts `memadvisor mcp`.
"""
