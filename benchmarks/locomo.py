"""Retrieval benchmark on LoCoMo-format conversations.

    python -m benchmarks.locomo --data ../shared/data/locomo-dev [--k 5 10 20] [--embedding ...]

Prints progress on stderr and one JSON object on the last line of stdout, and keeps it with the
run's date, commit and machine in `benchmarks/results/` (`--results-dir`). Leaves nothing else
behind.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

from agent.evaluation.datasets import load_folder
from benchmarks.harness import Run, evaluate
from benchmarks.record import Start, add_results_argument, save


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run, print the JSON line and keep it in the results."""
    start = Start()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of LoCoMo-format *.json")
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10, 20], help="cut-offs")
    parser.add_argument(
        "--embedding",
        choices=["multilingual-e5-small", "all-minilm-l6-v2"],
        default="multilingual-e5-small",
    )
    add_results_argument(parser)
    args = parser.parse_args(argv)
    conversations = load_folder(args.data)
    result = evaluate(conversations, Run(ks=args.k, embedding=args.embedding))
    result = {"data": str(args.data), "conversations": len(conversations), **result}
    print(json.dumps(result, ensure_ascii=False))
    save("locomo", result, args, argv, start)


if __name__ == "__main__":
    main()
