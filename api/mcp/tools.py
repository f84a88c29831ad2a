"""The MCP tools, defined once for both transports, in the words Graphiti, mem0 and Open WebUI use.

Each tool asks its transport who is calling (`Identify`): the user and what they allow come from
the personal access token, never from an argument. Tools call the same functions as the REST
routes and chat (`agent.remembering`, the profile and recommendation views), and write the same
audit entries.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from agent.graph import RecommendGraph
from agent.model.errors import LLMUnavailableError
from agent.model.queue import ModelBusyError
from agent.model.structured import StructuredOutputError
from agent.remembering import add_records, forget_memory, remember_said, usable_memories
from agent.services import Services
from api.routes.profile import read_profile
from api.routes.recommendations import UNAVAILABLE, recommend
from api.schemas import (
    MemoryOut,
    Message,
    ProfileOut,
    RecommendationsOut,
    UserDataIn,
    UserDataOut,
    new_record,
)
from memory.accounts.audit import Action, Resource
from memory.accounts.tokens import TokenGrant, TokenScope
from memory.records.userdata import ConsentRequiredError
from memory.retrieval.store import Memory
from memory.retrieval.vectors import VectorStoreUnavailableError
from prompts.language import Language

INSTRUCTIONS = (
    "MemAdvisor is the user's private long-term memory. Search it (search_memories) before "
    "answering questions about the user, and save what they tell you about themselves "
    "(add_memory) in their own words. get_profile and get_recommendations give their profile "
    "and advice; add_record stores a measurement (health, finance, education, behaviour)."
)

READ_ONLY = (
    "This access token may only read (scope `read`). To add or delete memories or records, "
    "create a token with scope `read_write` in MemAdvisor (Privacy → Access tokens)."
)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling a tool: the token's grant, and how the call came (for the audit log)."""

    grant: TokenGrant
    client: str
    """`mcp:<address>` over HTTP, `mcp:stdio` for a local client."""


Identify = Callable[[], Awaitable[Caller]]
"""The transport's answer to "who is calling": raises ToolError when the token no longer works."""


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """What a tool needs of the token, and the hints clients show."""

    title: str
    needs: TokenScope
    annotations: ToolAnnotations


def _hints(
    *, read_only: bool, destructive: bool = False, idempotent: bool = False
) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


TOOLS: dict[str, ToolSpec] = {
    "add_memory": ToolSpec("Remember", "read_write", _hints(read_only=False)),
    "search_memories": ToolSpec("Search memories", "read", _hints(read_only=True)),
    "list_memories": ToolSpec("List memories", "read", _hints(read_only=True)),
    "delete_memory": ToolSpec(
        "Forget a memory", "read_write", _hints(read_only=False, destructive=True, idempotent=True)
    ),
    "get_profile": ToolSpec("Profile", "read", _hints(read_only=True)),
    "get_recommendations": ToolSpec("Recommendations", "read", _hints(read_only=True)),
    "add_record": ToolSpec("Add a record", "read_write", _hints(read_only=False)),
}
"""Every tool by name; a tool needing `read_write` is refused to a `read` token."""


def needed_scope(tool: str) -> TokenScope | None:
    """The scope a tool needs (None for an unknown name: the server answers that itself)."""
    spec = TOOLS.get(tool)
    return spec.needs if spec else None


class MemoriesOut(BaseModel):
    """Memories, and where the next page starts (None: this was the last)."""

    memories: list[MemoryOut]
    next_offset: int | None = None


class DeletedOut(BaseModel):
    """The memory that was forgotten."""

    id: str
    deleted: bool = True


LanguageArg = Annotated[
    Language | None,
    Field(description="`zh` or `en`; default: the language the user last wrote in."),
]


class MemoryTools:
    """The tools, bound to one process's services and a transport's way of naming the caller."""

    def __init__(self, services: Services, recommend_graph: RecommendGraph, identify: Identify):
        self._services = services
        self._graph = recommend_graph
        self._identify = identify

    async def add_memory(
        self,
        text: Annotated[
            Message,
            Field(
                description="What the user said, in their own words and language, e.g. "
                "'I am allergic to peanuts' or '我下个月搬到杭州'."
            ),
        ],
    ) -> MemoryOut:
        """Remember something the user told you about themselves, in their own words.

        It takes the path a chat message takes: searchable at once, and understood in the
        background like anything said in MemAdvisor's own chat. Returns the stored memory.
        """
        who = await self._caller("add_memory")
        await self._audit(who, "write", "memories")
        services, user_id = self._services, who.grant.user_id
        memory_id = await asyncio.to_thread(
            remember_said, services, user_id, text, metadata={"via": "mcp"}
        )
        memory = await asyncio.to_thread(services.memory.get, user_id, memory_id)
        assert memory is not None  # just written for this user
        return MemoryOut.model_validate(memory)

    async def search_memories(
        self,
        query: Annotated[
            str,
            Field(min_length=1, max_length=1000, description="What to look for, in any words."),
        ],
        limit: Annotated[int, Field(ge=1, le=50, description="Most memories to return.")] = 10,
    ) -> MemoriesOut:
        """Search the user's memories by meaning and keywords, the closest first.

        Memories are what the user said to any assistant, their records and insights; each hit
        has a score from 0 to 1. Search before answering a question about the user.
        """
        who = await self._caller("search_memories")
        await self._audit(who, "read", "memories")
        user_id = who.grant.user_id
        found = await asyncio.to_thread(self._services.memory.search, user_id, query, limit)
        return MemoriesOut(memories=await self._usable(user_id, found))

    async def list_memories(
        self,
        limit: Annotated[int, Field(ge=1, le=200, description="Memories per page.")] = 20,
        offset: Annotated[
            int, Field(ge=0, le=10_000_000, description="Memories to skip (`next_offset`).")
        ] = 0,
    ) -> MemoriesOut:
        """List the user's memories, newest first, a page at a time."""
        who = await self._caller("list_memories")
        await self._audit(who, "read", "memories")
        user_id = who.grant.user_id
        page = await asyncio.to_thread(
            self._services.memory.list, user_id, limit=limit, offset=offset
        )
        return MemoriesOut(
            memories=await self._usable(user_id, page),
            next_offset=offset + limit if len(page) == limit else None,
        )

    async def delete_memory(
        self,
        memory_id: Annotated[
            str,
            Field(
                min_length=1,
                max_length=64,
                description="The `id` of a memory from search_memories or list_memories.",
            ),
        ],
    ) -> DeletedOut:
        """Forget one of the user's memories for good, everywhere it is stored."""
        who = await self._caller("delete_memory")
        await self._audit(who, "delete", "memories", memory_id)
        forgotten = await asyncio.to_thread(
            forget_memory, self._services, who.grant.user_id, memory_id
        )
        if not forgotten:
            raise ToolError(f"The user has no memory with id {memory_id!r}.")
        return DeletedOut(id=memory_id)

    async def get_profile(self, language: LanguageArg = None) -> ProfileOut:
        """The user's profile: a summary, their preferences and the insights drawn from their data.

        Preferences hold goals, likes, dislikes and constraints (allergies, diets, budgets):
        respect the constraints in what you suggest.
        """
        who = await self._caller("get_profile")
        await self._audit(who, "read", "profile")
        user_id = who.grant.user_id
        chosen = await self._language(user_id, language)
        return await asyncio.to_thread(read_profile, self._services, user_id, chosen)

    async def get_recommendations(
        self,
        language: LanguageArg = None,
        refresh: Annotated[
            bool, Field(description="Compute anew even if nothing changed (slow).")
        ] = False,
    ) -> RecommendationsOut:
        """Personal advice on health, finance and education, each with its reason and sources.

        Behaviour advice comes when there is behaviour data. Served from a cache until the
        user's data, memories or profile change.
        """
        who = await self._caller("get_recommendations")
        await self._audit(who, "read", "recommendations")
        user_id = who.grant.user_id
        chosen = await self._language(user_id, language)
        try:
            return await recommend(self._graph, self._services, user_id, chosen, refresh=refresh)
        except StructuredOutputError as exc:
            raise ToolError(UNAVAILABLE) from exc

    async def add_record(
        self,
        record: Annotated[
            UserDataIn,
            Field(description="`data_type` picks the schema its `data` must follow."),
        ],
    ) -> UserDataOut:
        """Store one structured record: a health measurement, money, study, behaviour or a metric.

        The data type needs the user's consent (they turn it on in MemAdvisor under My data);
        without it nothing is stored and the error says so. The record becomes searchable and
        feeds the insights and recommendations.
        """
        who = await self._caller("add_record")
        await self._audit(who, "write", "user_data")
        try:
            [row] = await asyncio.to_thread(
                add_records, self._services, who.grant.user_id, [new_record(record)]
            )
        except ConsentRequiredError as exc:
            raise ToolError(str(exc)) from exc
        return UserDataOut.model_validate(row)

    async def _caller(self, tool: str) -> Caller:
        who = await self._identify()
        if not who.grant.allows(TOOLS[tool].needs):
            raise ToolError(READ_ONLY)
        return who

    async def _language(self, user_id: int, language: Language | None) -> Language:
        if language is not None:
            return language
        return await asyncio.to_thread(self._services.analyst.language, user_id)

    async def _usable(self, user_id: int, memories: list[Memory]) -> list[MemoryOut]:
        """Memories another assistant may be given (as chat: consent withdrawn, not shown)."""
        allowed = await asyncio.to_thread(self._services.user_data.consents.granted, user_id)
        return [MemoryOut.model_validate(m) for m in usable_memories(memories, allowed)]

    async def _audit(
        self, who: Caller, action: Action, resource: Resource, resource_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self._services.audit.record,
            who.grant.user_id,
            action,
            resource,
            resource_id,
            client=who.client,
        )


UNAVAILABLE_SEARCH = "Memory search is unavailable for a moment; please try again."


def _anticipating(tool: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """The tool, with the failures the REST API answers with 503 told to the model in words."""

    @functools.wraps(tool)
    async def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return await tool(*args, **kwargs)
        except (ModelBusyError, LLMUnavailableError) as exc:
            raise ToolError(str(exc)) from exc
        except VectorStoreUnavailableError as exc:
            raise ToolError(UNAVAILABLE_SEARCH) from exc

    return call


def build_server(
    services: Services, recommend_graph: RecommendGraph, identify: Identify
) -> MCPServer:
    """The MCP server with every tool, for one transport's way of naming the caller."""
    server: MCPServer = MCPServer(
        name="memadvisor",
        title="MemAdvisor",
        description="Private long-term memory and explainable advice.",
        instructions=INSTRUCTIONS,
        version="0.1.0",
    )
    tools = MemoryTools(services, recommend_graph, identify)
    for name, spec in TOOLS.items():
        tool = _anticipating(getattr(tools, name))
        server.add_tool(tool, name=name, title=spec.title, annotations=spec.annotations)
    return server
