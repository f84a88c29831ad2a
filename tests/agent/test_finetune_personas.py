"""The teacher trains on exactly the prompts the advice benchmark asks, on other personas."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

from agent.model.messages import chat_dicts
from agent.services import Services
from benchmarks.advice import evaluate_persona
from benchmarks.personas import SETS, draw
from finetune.personas import PERSONAS_DIR, Persona, load_personas
from finetune.teacher import teach_one
from tests.fakes.models import scripted


def test_the_teacher_learns_the_prompt_the_benchmark_asks_and_its_answer_scores(
    make_services: Callable[..., Services], tmp_path: Path
) -> None:
    persona = load_personas(PERSONAS_DIR / "train.json")[0]
    teacher = make_services(None, data_dir=tmp_path / "teacher")
    example = teach_one(teacher, persona)
    assert example is not None
    *prompt, answer = example.example["messages"]

    model = scripted([answer["content"]])  # a model that learnt the teacher's answer exactly
    bench = make_services(
        model, data_dir=tmp_path / "bench", recommender="model", recommend_grammar=False
    )
    scored = evaluate_persona(bench, persona)

    assert chat_dicts(model.calls[-1]) == prompt  # trained on what it is evaluated on
    assert scored["valid"] and scored["foreign"] == 0 and scored["unknown_labels"] == 0
    assert scored["problems"] > 0 and scored["addressed"] == scored["problems"]


def test_held_out_personas_are_not_training_personas() -> None:
    train = load_personas(PERSONAS_DIR / "train.json")
    heldout = load_personas(PERSONAS_DIR / "heldout.json")
    assert len(train) >= 300 and len(heldout) >= 10
    assert not {p.id for p in train} & {p.id for p in heldout}

    def shown(p: Persona) -> str:  # what the prompt is made of
        return json.dumps([p.language, p.consents, p.records], sort_keys=True)

    assert not {shown(p) for p in train} & {shown(p) for p in heldout}


def test_the_committed_personas_are_the_generators() -> None:
    earlier: set[str] = set()
    for name, (seed, count) in SETS.items():  # training first: held-out draws avoid its personas
        drawn = draw(random.Random(seed), name, count, earlier)
        assert drawn == json.loads((PERSONAS_DIR / f"{name}.json").read_text())["personas"]
