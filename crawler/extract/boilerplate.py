"""Boilerplate stripping driven by the rules in data/boilerplate.toml (first simple version)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

RULES_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "boilerplate.toml"


@lru_cache(maxsize=1)
def _phrases() -> tuple[str, ...]:
    rules = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    return tuple(rule["phrase"].lower() for rule in rules.get("rule", []) if "phrase" in rule)


def strip_boilerplate(text: str, extra_phrases=()) -> str:
    phrases = _phrases() + tuple(p.lower() for p in extra_phrases)
    kept = [para for para in text.split("\n\n") if not any(p in para.lower() for p in phrases)]
    return "\n\n".join(kept)
