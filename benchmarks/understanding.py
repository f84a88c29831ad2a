"""Does the understanding engine find what users tell it? Labelled conversations in, rates out.

`python -m benchmarks.understanding [--part dev|heldout|all] [--model none|bundled]` runs every
message of `benchmarks/data/understanding/` through `agent.understanding.understand` (the rules;
with `--model bundled` also the model tier on the bundled SmolLM2, where it writes the language)
and prints one JSON line, also written to `benchmarks/results/understanding-<date>-<commit>.json`:
- per tier and language: precision and recall per statement kind; `records.value_accuracy` (the
  matched measurements whose every labelled field and day is right); `dates.accuracy` (goals and
  events with a labelled day); `acts` (questions and small talk, per message); `replacements`
  (a later statement replacing an earlier slot of the conversation); `records_from_traps`
  (records where none was labelled: hypotheticals, other people's numbers, negations, quotes);
  `goals_met` (precision >= 0.9 and recall >= 0.8 per kind, value accuracy >= 0.95);
- `speed`: the rules' per-message p50/p95 (warm), and the import time and RSS a fresh process
  adds to import the engine and read its first Chinese and English messages (jieba included).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from agent.constraints import lexicon
from agent.understanding import STATEMENT_KINDS, Statement, Understanding, understand
from benchmarks.harness import percentile
from benchmarks.results import write_results
from prompts.language import Language

DATA = Path(__file__).resolve().parent / "data" / "understanding"
PARTS = ("dev", "heldout")
ACTS = ("question", "small_talk")
GOALS = {"precision": 0.9, "recall": 0.8, "value_accuracy": 0.95}


@dataclass(frozen=True)
class Message:
    """One labelled user message."""

    conversation: str
    index: int
    language: str
    text: str
    expect: list[dict[str, Any]]
    acts: list[str]


def load(parts: Iterable[str]) -> tuple[datetime, list[Message]]:
    """The labelled messages of the named parts, in conversation order."""
    messages: list[Message] = []
    now: datetime | None = None
    for part in parts:
        raw = json.loads((DATA / f"{part}.json").read_text(encoding="utf-8"))
        now = datetime.fromisoformat(raw["now"])
        for conversation in raw["conversations"]:
            for index, item in enumerate(conversation["messages"]):
                messages.append(
                    Message(
                        conversation["id"],
                        index,
                        conversation["language"],
                        item["text"],
                        item.get("expect", []),
                        item.get("acts", []),
                    )
                )
    assert now is not None, "no part loaded"
    return now, messages


def _norm(text: str | None) -> str:
    return "".join((text or "").lower().split())


def _same_text(a: str | None, b: str | None) -> bool:
    x, y = _norm(a), _norm(b)
    return bool(x and y) and (x in y or y in x)


def _close(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) <= max(0.051, abs(b) * 0.001)
    return _norm(str(a)) == _norm(str(b))


def compatible(expected: dict[str, Any], got: Statement) -> bool:
    """Whether a produced statement is the labelled one (the kind and what the label names)."""
    if got.kind != expected["kind"] or got.subject != expected.get("subject", "self"):
        return False
    if "attribute" in expected and got.attribute != expected["attribute"]:
        return False
    if "value" in expected and not _same_text(expected["value"], got.value):
        return False
    if "polarity" in expected and got.polarity != expected["polarity"]:
        return False
    if "constraint" in expected:
        want = expected["constraint"]
        if got.constraint is None or got.constraint.kind != want["kind"]:
            return False
        if not set(want.get("concepts", [])) <= lexicon().expand(got.constraint.concepts):
            return False
        if "amount" in want and not _close(got.constraint.amount, want["amount"]):
            return False
    if "record" in expected:
        want = expected["record"]
        if got.record is None or got.record.data_type != want["type"]:
            return False
        if not set(want["data"]) & set(got.record.data):
            return False
    return not ("forget" in expected and not _same_text(expected["forget"], got.forget))


def record_right(expected: dict[str, Any], got: Statement, now: datetime) -> bool:
    """Every labelled field of the record, and its day, as labelled."""
    assert got.record is not None
    want = expected["record"]
    data = got.record.data
    fields = all(k in data and _close(data[k], v) for k, v in want["data"].items())
    day = (got.record.recorded_at or now).date().isoformat()
    return fields and day == want.get("recorded_on", now.date().isoformat())


def _pairs(
    expect: list[dict[str, Any]], got: list[Statement]
) -> list[tuple[dict[str, Any], Statement]]:
    free = list(got)
    pairs = []
    for expected in expect:
        match = next((s for s in free if compatible(expected, s)), None)
        if match is not None:
            free.remove(match)
            pairs.append((expected, match))
    return pairs


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def score(now: datetime, messages: list[Message], results: list[Understanding]) -> dict[str, Any]:
    """The figures of one tier, per language and overall."""
    counts: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    slots: dict[str, tuple[dict[Any, str], dict[Any, str]]] = {}
    misses: list[dict[str, Any]] = []
    for message, found in zip(messages, results, strict=True):
        for group in (message.language, "all"):
            c = counts[group]
            pairs = _pairs(message.expect, list(found.statements))
            for kind in STATEMENT_KINDS:
                c[f"{kind}.expected"] += sum(e["kind"] == kind for e in message.expect)
                c[f"{kind}.produced"] += sum(s.kind == kind for s in found.statements)
                c[f"{kind}.matched"] += sum(e["kind"] == kind for e, _ in pairs)
            for expected, got in pairs:
                if got.record is not None:
                    c["records.matched"] += 1
                    c["records.right"] += record_right(expected, got, now)
                if "when" in expected:
                    c["dates.labelled"] += 1
                    c["dates.right"] += got.when == date.fromisoformat(expected["when"])
            if not any(e["kind"] == "measurement" for e in message.expect):
                c["records_from_traps"] += len(found.records)
            produced_acts = {s.act for s in found.sentences}
            for act in ACTS:
                c[f"acts.{act}.expected"] += act in message.acts
                c[f"acts.{act}.produced"] += act in produced_acts
                c[f"acts.{act}.matched"] += act in message.acts and act in produced_acts
            if group == "all" and len(pairs) < max(len(message.expect), len(found.statements)):
                misses.append(_miss(message, found, pairs))
        _replacements(message, found, slots, counts)
    out: dict[str, Any] = {group: _figures(c) for group, c in counts.items()}
    out["misses"] = misses
    return out


def _replacements(
    message: Message,
    found: Understanding,
    slots: dict[str, tuple[dict[Any, str], dict[Any, str]]],
    counts: dict[str, dict[str, Any]],
) -> None:
    expected_slots, produced_slots = slots.setdefault(message.conversation, ({}, {}))
    expected = set()
    for e in message.expect:
        if "attribute" in e and "value" in e:
            key = (e.get("subject", "self"), e["attribute"])
            if key in expected_slots and not _same_text(expected_slots[key], e["value"]):
                expected.add(key)
            expected_slots[key] = e["value"]
    produced = set()
    for s in found.statements:
        if s.slot is not None and s.value:
            if s.slot in produced_slots and not _same_text(produced_slots[s.slot], s.value):
                produced.add(s.slot)
            produced_slots[s.slot] = s.value
    for group in (message.language, "all"):
        counts[group]["replacements.expected"] += len(expected)
        counts[group]["replacements.produced"] += len(produced)
        counts[group]["replacements.matched"] += len(expected & produced)


def _miss(message: Message, found: Understanding, pairs: list[Any]) -> dict[str, Any]:
    matched = [id(s) for _, s in pairs]
    return {
        "id": f"{message.conversation}#{message.index}",
        "text": message.text,
        "missed": [e for e in message.expect if all(e is not x for x, _ in pairs)],
        "extra": [_shown(s) for s in found.statements if id(s) not in matched],
    }


def _shown(s: Statement) -> dict[str, Any]:
    shown: dict[str, Any] = {"kind": s.kind, "subject": s.subject, "tier": s.tier}
    for name in ("attribute", "value", "polarity", "when", "forget"):
        if getattr(s, name) is not None:
            shown[name] = str(getattr(s, name))
    if s.constraint is not None:
        shown["constraint"] = [s.constraint.kind, *s.constraint.concepts]
    if s.record is not None:
        shown["record"] = [s.record.data_type, s.record.data, str(s.record.recorded_at)]
    return shown


def _figures(c: dict[str, Any]) -> dict[str, Any]:
    kinds = {}
    for kind in STATEMENT_KINDS:
        e, p, m = c[f"{kind}.expected"], c[f"{kind}.produced"], c[f"{kind}.matched"]
        kinds[kind] = {
            "precision": _rate(m, p),
            "recall": _rate(m, e),
            "expected": e,
            "produced": p,
        }
    acts = {
        act: {
            "precision": _rate(c[f"acts.{act}.matched"], c[f"acts.{act}.produced"]),
            "recall": _rate(c[f"acts.{act}.matched"], c[f"acts.{act}.expected"]),
        }
        for act in ACTS
    }
    accuracy = _rate(c["records.right"], c["records.matched"])
    met = all(
        (k["precision"] is None or k["precision"] >= GOALS["precision"])
        and (k["recall"] is None or k["recall"] >= GOALS["recall"])
        for k in kinds.values()
    ) and (accuracy is None or accuracy >= GOALS["value_accuracy"])
    return {
        "kinds": kinds,
        "records": {"value_accuracy": accuracy, "matched": c["records.matched"]},
        "dates": {
            "accuracy": _rate(c["dates.right"], c["dates.labelled"]),
            "labelled": c["dates.labelled"],
        },
        "acts": acts,
        "replacements": {
            "precision": _rate(c["replacements.matched"], c["replacements.produced"]),
            "recall": _rate(c["replacements.matched"], c["replacements.expected"]),
            "expected": c["replacements.expected"],
        },
        "records_from_traps": c["records_from_traps"],
        "goals_met": met,
    }


def run_tier(
    now: datetime, messages: list[Message], reader: Callable[[Message], Understanding]
) -> tuple[dict[str, Any], list[float]]:
    """Read every message; the scores and the per-message times in ms."""
    results, times = [], []
    for message in messages:
        start = time.perf_counter()
        results.append(reader(message))
        times.append((time.perf_counter() - start) * 1000)
    return score(now, messages, results), times


COLD = """
import os, time
def rss(): return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
before, start = rss(), time.perf_counter()
from datetime import UTC, datetime
from agent.understanding import understand
imported = time.perf_counter() - start
understand("我每天晚上十二点才睡觉，血压140/95", now=datetime.now(UTC))
understand("I'm allergic to peanuts and slept 6 hours", now=datetime.now(UTC))
print(imported, time.perf_counter() - start, (rss() - before) / 2**20)
"""


def cold_start() -> dict[str, float]:
    """A fresh process: seconds to import, seconds to the first two messages, MB of RSS added."""
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", COLD], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    return {
        "import_s": round(float(out[0]), 2),
        "first_messages_s": round(float(out[1]), 2),
        "rss_added_mb": round(float(out[2]), 1),
    }


def bundled_reader() -> Callable[[Message], Understanding]:
    """The model tier on the bundled model (temperature 0), where it writes the language."""
    from agent.model.capabilities import capabilities
    from agent.model.llm import make_chat_model
    from agent.understanding.model import uses_model
    from memadvisor.settings import Settings

    settings = Settings(_env_file=None, llm_temperature=0.0)
    caps = capabilities(settings)
    llm = make_chat_model(settings)

    def read(message: Message) -> Understanding:
        language: Language = "zh" if message.language == "zh" else "en"
        model = llm if uses_model(caps, language, weak_ok=True) else None
        return understand(
            message.text,
            now=NOW[0],
            language=language,
            model=model,
            structured_output=caps.structured_output,
        )

    return read


NOW: list[datetime] = []


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print its JSON (the last line)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=[*PARTS, "all"], default="all")
    parser.add_argument("--model", choices=["none", "bundled"], default="none")
    parser.add_argument(
        "--limit", type=int, default=None, help="only the first N messages of each part"
    )
    parser.add_argument(
        "--misses", action="store_true", help="print the dev part's misses to stderr"
    )
    parser.add_argument("--no-write", action="store_true", help="do not write a results file")
    args = parser.parse_args(argv)
    parts = PARTS if args.part == "all" else (args.part,)
    figures: dict[str, Any] = {"parts": {}}
    for part in parts:
        now, messages = load([part])
        messages = messages[: args.limit] if args.limit else messages
        NOW[:] = [now]
        tiers: dict[str, Any] = {}

        def rules(message: Message, now: datetime = now) -> Understanding:
            return understand(
                message.text, now=now, language="zh" if message.language == "zh" else "en"
            )

        rules(messages[0])  # warm: jieba's dictionary and dateparser load once per process
        tiers["rules"], times = run_tier(now, messages, rules)
        if args.model == "bundled":
            tiers["model"], model_times = run_tier(now, messages, bundled_reader())
            tiers["model"]["per_message_p50_ms"] = round(percentile(model_times, 50), 1)
        if args.misses and part == "dev":
            for miss in tiers["rules"]["misses"]:
                print(json.dumps(miss, ensure_ascii=False), file=sys.stderr)
        for tier in tiers.values():
            tier.pop("misses")
        figures["parts"][part] = {
            "messages": len(messages),
            "tiers": tiers,
            "rules_p50_ms": round(percentile(times, 50), 2),
            "rules_p95_ms": round(percentile(times, 95), 2),
        }
    figures["speed"] = cold_start()
    figures["model"] = args.model
    if not args.no_write:
        figures["results_file"] = str(write_results("understanding", figures))
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
