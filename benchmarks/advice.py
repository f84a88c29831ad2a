"""Does the model advise well by itself? Held-out synthetic personas through the advice path.

`python -m benchmarks.advice [--model GGUF] [--lora ADAPTER.gguf]` seeds each persona of
`benchmarks/data/personas/heldout.json` (never used in training) into throwaway stores, builds the
prompt the product builds (`Advisor.notes`, `Advisor.messages`) and asks the llama.cpp model with
the grammar off (`constrained(..., grammar=False)`), at temperature 0. It prints one JSON line:
- `valid_json`: share of first answers that are valid JSON of the schema as written;
- `valid_after_repair`: the same after the product's repair of broken JSON (no retry);
- `addressed`: per persona, the share of its known problems (findings of warning or alert) that
  an item of the right dimension addresses while citing that finding or a record it rests on;
  averaged over personas with problems (`addressed_all`: over all problems);
- `foreign_sources`: cited rows that are not the persona's own, after validation (must be 0);
  `unknown_labels`: labels written that no note has (the validation drops such answers);
- `by_language`: the first figures for each language's personas alone.

The line is also kept with the run's date, commit and machine in `benchmarks/results/`
(`--results-dir`).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from rich.progress import Progress
from sqlalchemy import select

from agent.advice.recommend import Note, draft_model, pressing
from agent.model.gguf import bundled_gguf_path
from agent.model.schema_fit import fit_schema
from agent.model.structured import constrained, grammar_schema, parse
from agent.services import Services
from benchmarks.record import Start, add_results_argument, save
from finetune.personas import (
    PERSONAS_DIR,
    Persona,
    advice_prompt,
    known_problems,
    load_personas,
    seed_persona,
)
from finetune.teacher import persona_services
from memory.storage.models import MemoryRow, UserData, UserInsight

OWNED: dict[str, type[UserData] | type[UserInsight] | type[MemoryRow]] = {
    "user_data": UserData,
    "user_insights": UserInsight,
    "memories": MemoryRow,
}


def evaluate_persona(
    services: Services, persona: Persona, max_tokens: int | None = None, grammar: bool = False
) -> dict[str, Any]:
    """Seed one persona, ask the model once, score the answer.

    The answer may be as long as the product allows a recommendation set (the prompt budget's
    JSON room) unless `max_tokens` caps it: a cut answer is broken JSON. `grammar=True` asks as
    the product does for a model without an adapter: constrained to the schema, sized to the room.
    """
    user_id = seed_persona(services, persona)
    prompt = advice_prompt(services, user_id, persona.language)
    dimensions, messages, notes = prompt.dimensions, prompt.messages, prompt.notes
    schema = draft_model(
        dimensions,
        [note.label for note in notes],
        services.settings.recommendation_items,
        pressing(notes),
    )
    cap = max_tokens or services.budget.json_tokens
    wanted = schema.model_json_schema()
    if grammar:
        sample = " ".join(message.text for message in messages)
        wanted = fit_schema(grammar_schema(wanted), cap, services.budget.counter, sample)
    runnable = constrained(services.llm, wanted, max_tokens=cap, grammar=grammar)
    started = time.monotonic()
    reply = runnable.invoke(messages)
    text = reply.text
    result: dict[str, Any] = {
        "persona": persona.id,
        "language": persona.language,
        "answer": text,
        "seconds": round(time.monotonic() - started, 2),
        "cut": reply.response_metadata.get("finish_reason") == "length",
        "valid": True,
        "repaired": True,
    }
    try:
        draft = schema.model_validate_json(text)
    except ValueError:
        result["valid"] = False
        try:
            draft = parse(text, schema)
        except ValueError:
            result["repaired"] = False
            draft = None
    result["unknown_labels"] = _unknown_labels(text, {note.label for note in notes})
    problems = known_problems(services, user_id)
    by_label = {note.label: note for note in notes}
    cited: dict[str, list[set[str]]] = {
        d: [set(item.sources) for item in getattr(draft, d)] if draft is not None else []
        for d in dimensions
    }
    addressed = 0
    for problem in problems:
        right = _labels_for(problem, notes)
        if any(sources & right for sources in cited.get(problem.category, [])):
            addressed += 1
    result.update(problems=len(problems), addressed=addressed)
    result["items"] = sum(len(sources) for sources in cited.values())
    result["in_language"] = draft is not None and _in_language(draft, dimensions, persona.language)
    result["foreign"] = _foreign(
        services,
        user_id,
        [by_label[s] for d in cited.values() for s in set().union(*d)] if draft else [],
    )
    return result


def _in_language(draft: Any, dimensions: list[str], language: str) -> bool:
    """Whether the advice is written in the persona's language (by its share of Chinese)."""
    text = " ".join(item.advice for d in dimensions for item in getattr(draft, d))
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    chinese = sum(1 for ch in letters if "\u4e00" <= ch <= "\u9fff") / len(letters)
    return chinese > 0.5 if language == "zh" else chinese < 0.1


def _labels_for(problem: UserInsight, notes: list[Note]) -> set[str]:
    """The labels that cite a finding: its own, and those of the records it rests on."""
    sources = cast(list[dict[str, Any]], problem.sources)  # `{"kind", "id"}` each
    records = {str(s["id"]) for s in sources if s.get("kind") == "user_data"}
    return {
        note.label
        for note in notes
        if (note.kind == "user_insights" and note.id == problem.id)
        or (note.kind == "user_data" and str(note.id) in records)
    }


def _unknown_labels(text: str, labels: set[str]) -> int:
    """Labels cited in the answer (read leniently) that no note has."""
    from json_repair import repair_json

    value = repair_json(text, return_objects=True)
    found = 0
    if isinstance(value, dict):
        for items in value.values():
            for item in items if isinstance(items, list) else []:
                sources = item.get("sources", []) if isinstance(item, dict) else []
                found += sum(1 for s in sources if isinstance(s, str) and s not in labels)
    return found


def _foreign(services: Services, user_id: int, notes: list[Note]) -> int:
    """Cited rows that do not belong to the user (read back from SQL)."""
    foreign = 0
    with services.sessions() as session:
        for note in notes:
            model = OWNED[note.kind]
            owner = session.scalar(select(model.user_id).where(model.id == note.id))
            foreign += owner != user_id
    return foreign


def run(
    model: Path | None,
    lora: Path | None,
    personas: list[Persona],
    max_tokens: int | None = None,
    answers: Path | None = None,
    *,
    grammar: bool = False,
    **settings: Any,
) -> dict[str, Any]:
    """Every persona through the model; the figures as one dict (each answer to `answers`).

    `model`: a GGUF file; None: the one `settings` select (`llamacpp_model`).
    """
    started = time.monotonic()
    scores = []
    with tempfile.TemporaryDirectory(prefix="memadvisor-advice-") as folder:
        services = persona_services(
            Path(folder),
            llamacpp_model_path=model,
            llamacpp_lora_path=lora,
            llm_temperature=0.0,
            llm_seed=0,
            recommender="model",
            recommend_grammar=grammar,
            **settings,
        )
        try:
            with Progress(transient=True) as progress:
                task = progress.add_task("Held-out personas", total=len(personas))
                for persona in personas:
                    scores.append(evaluate_persona(services, persona, max_tokens, grammar))
                    progress.advance(task)
            adapter, json_tokens = services.adapter_id, services.budget.json_tokens
            name = services.model_name
        finally:
            services.close()
    if answers is not None:
        lines = (json.dumps(score, ensure_ascii=False) + "\n" for score in scores)
        answers.write_text("".join(lines), encoding="utf-8")
    languages = sorted({persona.language for persona in personas})
    return {
        "benchmark": "advice",
        "model": name,
        "grammar": grammar,
        "lora": str(lora) if lora else None,
        "adapter_id": adapter,
        "max_tokens": max_tokens or json_tokens,
        **_figures(scores),
        "foreign_sources": sum(s["foreign"] for s in scores),
        "unknown_labels": sum(s["unknown_labels"] for s in scores),
        "by_language": {
            language: _figures([s for s in scores if s["language"] == language])
            for language in languages
        },
        "seconds": round(time.monotonic() - started, 1),
    }


def _figures(scores: list[dict[str, Any]]) -> dict[str, Any]:
    """Valid answers and problems addressed over some personas' scores."""
    with_problems = [s for s in scores if s["problems"]]
    n = max(1, len(scores))
    return {
        "personas": len(scores),
        "valid_json": round(sum(s["valid"] for s in scores) / n, 3),
        "valid_after_repair": round(sum(s["repaired"] for s in scores) / n, 3),
        "cut": round(sum(s["cut"] for s in scores) / n, 3),
        "in_language": round(sum(s["in_language"] for s in scores) / n, 3),
        "items_per_persona": round(sum(s["items"] for s in scores) / n, 2),
        "seconds_per_answer": round(sum(s["seconds"] for s in scores) / n, 1),
        "problems": sum(s["problems"] for s in scores),
        "addressed": round(
            sum(s["addressed"] / s["problems"] for s in with_problems) / max(1, len(with_problems)),
            3,
        ),
        "addressed_all": round(
            sum(s["addressed"] for s in scores) / max(1, sum(s["problems"] for s in scores)), 3
        ),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options, run, print one JSON line and keep it in the results."""
    start = Start()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=None, help="GGUF (default: bundled SmolLM2)")
    parser.add_argument("--lora", type=Path, default=None, help="a GGUF LoRA adapter")
    parser.add_argument("--personas", type=Path, default=PERSONAS_DIR / "heldout.json")
    parser.add_argument("--limit", type=int, default=None, help="only the first N personas")
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=None,
        help="cap on one answer (default: the product's, the prompt budget's JSON room)",
    )
    parser.add_argument(
        "--answers", type=Path, default=None, help="write each answer and its scores (JSON lines)"
    )
    add_results_argument(parser)
    args = parser.parse_args(argv)
    personas = load_personas(args.personas)[: args.limit]
    model = args.model or bundled_gguf_path()
    figures = run(model, args.lora, personas, args.max_tokens, args.answers)
    print(json.dumps(figures, ensure_ascii=False))
    save("advice", figures, args, argv, start)


if __name__ == "__main__":
    main()
