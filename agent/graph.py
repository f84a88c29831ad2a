"""The chat graph: only wiring. Node logic lives in `agent.nodes`."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.context import Context
from agent.nodes import ChatNodes, RecommendNodes
from agent.services import Services, build_services
from agent.state import InputState, OutputState, RecommendInput, RecommendState, State
from memadvisor.settings import get_settings

ChatGraph = CompiledStateGraph[State, Context, InputState, OutputState]
RecommendGraph = CompiledStateGraph[RecommendState, Context, RecommendInput, RecommendState]


def build_graph(services: Services) -> StateGraph[State, Context, InputState, OutputState]:
    """The chat graph's builder, bound to `services`; compile it with or without a checkpointer."""
    nodes = ChatNodes(services)
    builder = StateGraph(
        State, context_schema=Context, input_schema=InputState, output_schema=OutputState
    )
    builder.add_node("retrieve_memory", nodes.retrieve_memory)
    builder.add_node("load_profile", nodes.load_profile)
    builder.add_node("advise", nodes.advise)
    builder.add_node("answer_without_model", nodes.answer_without_model)
    builder.add_node("write_memory", nodes.write_memory)
    builder.add_edge(START, "retrieve_memory")
    builder.add_edge("retrieve_memory", "load_profile")
    builder.add_conditional_edges("load_profile", nodes.route_answer)
    builder.add_edge("advise", "write_memory")
    builder.add_edge("answer_without_model", "write_memory")
    builder.add_edge("write_memory", END)
    return builder


def build_recommend_graph(
    services: Services,
) -> StateGraph[RecommendState, Context, RecommendInput, RecommendState]:
    """The recommend path: `analyse → recommend`."""
    nodes = RecommendNodes(services)
    builder = StateGraph(
        RecommendState,
        context_schema=Context,
        input_schema=RecommendInput,
        output_schema=RecommendState,
    )
    builder.add_node("analyse", nodes.analyse)
    builder.add_node("recommend", nodes.recommend)
    builder.add_edge(START, "analyse")
    builder.add_edge("analyse", "recommend")
    builder.add_edge("recommend", END)
    return builder


def compile_recommend_graph(services: Services) -> RecommendGraph:
    """The compiled recommend graph."""
    return build_recommend_graph(services).compile(name="memadvisor-recommend")


def compile_graph(services: Services) -> ChatGraph:
    """The compiled chat graph, named for traces and the LangGraph Studio."""
    return build_graph(services).compile(name="memadvisor-chat")


async def make_graph(config: RunnableConfig | None = None) -> ChatGraph:
    """Entry point for `langgraph.json`: the graph on the services that settings describe.

    `langgraph dev` calls this inside its event loop for every run, so the (blocking, one-time)
    construction happens in a worker thread and is cached.
    """
    check_run_identity(config)
    return await asyncio.to_thread(_graph_from_settings)


async def make_recommend_graph(config: RunnableConfig | None = None) -> RecommendGraph:
    """Entry point for `langgraph.json`: the recommend graph on the settings' services."""
    check_run_identity(config)
    return await asyncio.to_thread(_recommend_graph_from_settings)


def check_run_identity(config: RunnableConfig | None) -> None:
    """Refuse a `langgraph dev` run whose context names a user other than the signed-in one.

    With `api.langgraph_auth` in `langgraph.json`, the server puts the token's user in
    `langgraph_auth_user_id`, and the auth handler has already written that id into the run's
    context; this is the second lock on the same door, in the process that runs the graph.
    """
    configurable = (config or {}).get("configurable") or {}
    signed_in = configurable.get("langgraph_auth_user_id")
    claimed = configurable.get("user_id")
    if signed_in and claimed is not None and str(claimed) != str(signed_in):
        raise PermissionError("This run names another user; runs act as the signed-in user.")


@lru_cache(maxsize=1)
def services_from_settings() -> Services:
    """The process's services (`langgraph dev`): built once, with the model loaded."""
    services = build_services(get_settings())
    _ = services.llm  # load the model now, not inside a node on the event loop
    _ = services.budget  # and its tokenizer (and the capabilities, which find the model file)
    return services


@lru_cache(maxsize=1)
def _graph_from_settings() -> ChatGraph:
    return compile_graph(services_from_settings())


@lru_cache(maxsize=1)
def _recommend_graph_from_settings() -> RecommendGraph:
    return compile_recommend_graph(services_from_settings())
