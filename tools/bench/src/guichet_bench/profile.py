"""Top costs from py-spy's collapsed stacks (`--format raw`), as written by `make bench BENCH_ARGS="--profile DIR"`.

`python -m guichet_bench.profile DIR [--top N]` prints, per service, the functions that were on the CPU themselves
(self) and the frames under which most samples fell (inclusive), in % of that service's samples.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*?) \((?P<where>[^()]*?)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    """`send (aiokafka/producer/producer.py:123)` -> `aiokafka/producer/producer.py send` (line dropped)."""
    match = _FRAME.match(frame)
    return f"{match['where']} {match['function']}" if match else frame


def costs(lines: list[str]) -> tuple[int, Counter[str], Counter[str]]:
    total, own, inclusive = 0, Counter[str](), Counter[str]()
    for line in lines:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame_name(frame) for frame in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    return total, own, inclusive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guichet_bench.profile", description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--match", default="", help="inclusive list: only frames containing this text")
    args = parser.parse_args(argv)
    for path in sorted(args.folder.glob("*.txt")):
        total, own, inclusive = costs(path.read_text(encoding="utf-8", errors="replace").splitlines())
        print(f"\n== {path.stem}: {total} samples")
        print("  self:")
        for name, count in own.most_common(args.top):
            print(f"    {count / total:6.1%}  {name}")
        print("  inclusive:")
        chosen = [(n, c) for n, c in inclusive.most_common() if args.match in n][: args.top]
        for name, count in chosen:
            print(f"    {count / total:6.1%}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
