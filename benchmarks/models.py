"""Two llama.cpp models side by side, in one run: the bundled SmolLM2 and the Qwen option.

    python -m benchmarks.models [--models smollm2-135m,qwen2.5-coder-0.5b] [--personas 12]
                                [--users 8] [--seconds 60] [--sections chat,advice,load]

Each section measures every model, alternating between them where it can (this machine's speed
varies by the hour), each model as the product declares it:
- `chat`: Chinese and English questions through the real app (`POST /api/chat/stream`), half of
  them about something only the user's memory holds. Per model and language: answers written by
  the model (not the fallback), answers in the asked language, grounded answers that use the
  memory (name the remembered fact), answers that repeat a line, first token and answer time.
- `advice`: held-out personas (`benchmarks/data/personas/heldout.json`) through the product's
  recommendation prompt, constrained by the grammar as the product asks (`benchmarks.advice`
  with `grammar=True`): valid JSON at the first answer, answers cut at their room, problems
  addressed with a citation, foreign citations, advice in the persona's language.
- `load`: `benchmarks.load --model bundled` with the model selected: simultaneous users chatting,
  first token and turn time, 503s, hangs, errors, lost turns.

A new section (the constraint guard's traps, say) is one function in `SECTIONS` taking the models
and the options and returning figures per model. Prints one JSON object on the last line and
writes it to `benchmarks/results/models-<UTC date>-<commit>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from agent.model.repetition import repeats
from agent.services import Services, build_services
from api.main import create_app
from benchmarks import advice, load
from benchmarks.results import write_results
from finetune.personas import PERSONAS_DIR, load_personas
from memadvisor.settings import Settings

MODELS = ("smollm2-135m", "qwen2.5-coder-0.5b")
PASSWORD = "benchmark password 42"


@dataclass(frozen=True, slots=True)
class Question:
    """A message, what the user's memory holds, and words that show an answer used it."""

    language: str
    message: str
    memory: str | None = None
    uses: tuple[str, ...] = ()


QUESTIONS = (
    Question("zh", "我的狗叫什么名字？", "我的狗叫豆豆，我住在杭州。", ("豆豆",)),
    Question(
        "zh", "我每个月房租多少钱？", "我每个月的房租是三千五百元。", ("3500", "3,500", "三千五")
    ),
    Question("zh", "我下个月要参加什么考试？", "我下个月要考雅思，目标是7分。", ("雅思", "IELTS")),
    Question("zh", "怎样才能睡得更好？"),
    Question("zh", "给我一些省钱的建议。"),
    Question("zh", "每天应该走多少步？"),
    Question(
        "en", "What is my dog's name?", "My dog is called Bao and I live in Hangzhou.", ("Bao",)
    ),
    Question(
        "en", "How much is my rent each month?", "My rent is 3,500 yuan a month.", ("3,500", "3500")
    ),
    Question(
        "en", "Which exam am I taking next month?", "I take the IELTS exam next month.", ("IELTS",)
    ),
    Question("en", "How can I sleep better?"),
    Question("en", "Give me some tips to save money."),
    Question("en", "How many steps should I walk each day?"),
)


def chinese_share(text: str) -> float:
    """Share of the letters that are Chinese characters."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum(1 for ch in letters if "\u4e00" <= ch <= "\u9fff") / max(1, len(letters))


def in_language(text: str, language: str) -> bool:
    """Whether `text` is written in `language` (by its share of Chinese characters)."""
    share = chinese_share(text)
    return share > 0.5 if language == "zh" else share < 0.1


def model_settings(name: str, data_dir: Path, models_dir: Path, **overrides: Any) -> Settings:
    """The product's settings for `name`, on `data_dir`, sampling greedily."""
    return Settings(
        _env_file=None,
        env="development",
        data_dir=data_dir,
        models_dir=models_dir,
        llamacpp_model=name,
        llm_temperature=0.0,
        llm_seed=0,
        chat_turns_per_user="100000 per minute",
        registrations_per_address="100000 per hour",
        **overrides,
    )


def ask(client: TestClient, services: Services, n: int, question: Question) -> dict[str, Any]:
    """One question from a new user whose memory holds `question.memory`."""
    account = {"username": f"user{n}", "password": PASSWORD}
    client.post("/api/auth/register", json=account).raise_for_status()
    token = client.post("/api/auth/login", json=account).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    user = services.accounts.by_username(account["username"])
    assert user is not None
    if question.memory:
        services.memory.add(user.id, question.memory)
    start = time.perf_counter()
    first: float | None = None
    final: dict[str, Any] = {}
    body = {"message": question.message}
    with client.stream("POST", "/api/chat/stream", json=body, headers=headers) as response:
        event = ""
        for line in response.iter_lines():  # server-sent events: `event:` then `data:` lines
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event == "token" and first is None:
                first = time.perf_counter() - start
            elif line.startswith("data:") and event == "final":
                final = json.loads(line.removeprefix("data:"))
    seconds = time.perf_counter() - start
    answer = str(final.get("answer", ""))
    by_model = final.get("answered_by") == "model"
    return {
        "language": question.language,
        "message": question.message,
        "answer": answer,
        "by_model": by_model,
        "in_language": in_language(answer, question.language),
        "grounded": question.memory is not None,
        "uses_memory": any(word in answer for word in question.uses),
        "repeats": repeats(answer),
        "first_token_s": first if first is not None else seconds,
        "seconds": seconds,
    }


def chat_section(models: list[str], options: argparse.Namespace) -> dict[str, Any]:
    """Every question to every model, alternating model by model."""
    answers: dict[str, list[dict[str, Any]]] = {name: [] for name in models}
    with tempfile.TemporaryDirectory(prefix="memadvisor-models-") as folder, ExitStack() as stack:
        clients: dict[str, tuple[TestClient, Services]] = {}
        for name in models:
            # Jobs run inline here, so a turn's fact extraction would count in its time.
            settings = model_settings(
                name, Path(folder) / name, options.models_dir, consolidate_facts=False
            )
            if options.max_tokens:
                settings = settings.model_copy(update={"llm_max_tokens": options.max_tokens})
            services = build_services(settings, inline_jobs=True)
            stack.callback(services.close)
            client = stack.enter_context(TestClient(create_app(services=services)))
            clients[name] = (client, services)
        for n, question in enumerate(QUESTIONS):
            for name in models:
                client, services = clients[name]
                answers[name].append(ask(client, services, n, question))
                row = answers[name][-1]
                print(f"chat {name} {n}: {row['seconds']:.1f} s", file=sys.stderr, flush=True)
    return {name: _chat_figures(rows) for name, rows in answers.items()} | {
        "answers": {
            name: [(r["message"], r["answer"]) for r in rows] for name, rows in answers.items()
        }
    }


def _chat_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for language in ("zh", "en"):
        mine = [r for r in rows if r["language"] == language]
        grounded = [r for r in mine if r["grounded"]]
        by_model = [r for r in mine if r["by_model"]]
        figures[language] = {
            "questions": len(mine),
            "answered_by_model": _share(by_model, mine),
            "in_language": _share([r for r in mine if r["in_language"]], mine),
            "model_answers_in_language": _share(
                [r for r in by_model if r["in_language"]], by_model
            ),
            "grounded_uses_memory": _share([r for r in grounded if r["uses_memory"]], grounded),
            "repeating_answers": sum(r["repeats"] for r in mine),
            "first_token_p50_s": _p50([r["first_token_s"] for r in by_model]),
            "answer_p50_s": _p50([r["seconds"] for r in by_model]),
        }
    return figures


def advice_section(models: list[str], options: argparse.Namespace) -> dict[str, Any]:
    """The held-out personas through each model, constrained as the product asks."""
    personas = load_personas(PERSONAS_DIR / "heldout.json")[: options.personas]
    return {
        name: advice.run(
            None, None, personas, grammar=True, llamacpp_model=name, models_dir=options.models_dir
        )
        for name in models
    }


def load_section(models: list[str], options: argparse.Namespace) -> dict[str, Any]:
    """`benchmarks.load --model bundled` with each model selected."""
    figures = {}
    for name in models:
        saved = {
            key: os.environ.get(key)
            for key in ("MEMADVISOR_LLAMACPP_MODEL", "MEMADVISOR_MODELS_DIR")
        }
        os.environ["MEMADVISOR_LLAMACPP_MODEL"] = name
        os.environ["MEMADVISOR_MODELS_DIR"] = str(options.models_dir)
        try:
            report = load.main(
                [
                    "--users",
                    str(options.users),
                    "--seconds",
                    str(options.seconds),
                    "--model",
                    "bundled",
                ]
            )
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        keep = (
            "turns",
            "turns_per_s",
            "first_token_p50_ms",
            "first_token_p95_ms",
            "turn_p50_ms",
            "turn_p95_ms",
            "queue_wait_p95_ms",
            "refused_503",
            "busy_errors",
            "hangs",
            "errors",
            "error_kinds",
            "lost_turns",
            "memories_missing_in_sql",
            "memories_not_indexed",
            "job_failures",
            "machine_load_before",
            "machine_load_after",
        )
        figures[name] = {key: report[key] for key in keep}
    return figures


SECTIONS: dict[str, Callable[[list[str], argparse.Namespace], dict[str, Any]]] = {
    "chat": chat_section,
    "advice": advice_section,
    "load": load_section,
}
"""Each section: the models and the options in, figures per model out."""


def _share(part: list[Any], whole: list[Any]) -> float | None:
    return round(len(part) / len(whole), 3) if whole else None


def _p50(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the sections, print one JSON line and write the results file."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--personas", type=int, default=12, help="the first N held-out personas")
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=None,
        help="cap on a chat answer (default: the product's); language and memory show early",
    )
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--models-dir",
        type=Path,
        default=Settings(_env_file=None).model_cache_dir.resolve(),
        help="where the Qwen GGUF is assembled once (default: the data folder's models/)",
    )
    options = parser.parse_args(argv)
    models = options.models.split(",")
    started = time.monotonic()
    figures: dict[str, Any] = {"models": models}
    for section in options.sections.split(","):
        figures[section] = SECTIONS[section](models, options)
    figures["seconds"] = round(time.monotonic() - started, 1)
    path = write_results("models", figures)
    print(f"written to {path}", file=sys.stderr)
    print(json.dumps(figures, ensure_ascii=False), flush=True)
    return figures


if __name__ == "__main__":
    main()
