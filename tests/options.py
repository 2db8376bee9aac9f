"""The answers the template tests bake, as data tables (ids read `option:value-option:value`)."""

import hashlib
import importlib.util
import itertools
import json
import os
import re
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent


def load_hook(name: str):
    spec = importlib.util.spec_from_file_location(name, TEMPLATE / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MANIFEST = load_hook("post_gen_project")
DEFAULTS = {
    key: value[0] if isinstance(value, list) else value
    for key, value in json.loads((TEMPLATE / "cookiecutter.json").read_text()).items()
    if not key.startswith("_")
}

# Options that change the generated code; every combination is baked and tested.
CODE_OPTIONS: dict[str, list[object]] = {
    "database": ["sqlite", "postgresql"],
    "use_connection_pooling": [True, False],
    "use_eager_loading": [True, False],
    "use_pagination": [True, False],
    "pagination_style": ["cursor", "offset"],
    "use_caching": [True, False],
    "cache_backend": ["simple", "redis"],
    "use_fast_json": [True, False],
    "use_compression": [True, False],
    "use_async_logging": [True, False],
}
# The techniques: each a toggle, on or off (a sub-choice refines some of them).
TOGGLES = [name for name in CODE_OPTIONS if name.startswith("use_")]

# Options that change only names and documents; each variation is baked once.
COSMETIC_VARIATIONS: list[dict[str, str]] = [
    {"open_source_license": "BSD-3-Clause"},
    {"open_source_license": "Apache-2.0"},
    {"open_source_license": "Not open source"},
    {
        "project_name": 'Ünïcode & Co. — "quoted" service \\',  # a backslash at the end
        "project_slug": "unicode_service",
        "description": "Says \"hi\" in 'quotes' with a backslash \\ and {braces}.",
        "author_name": "Zoë O'Brien",
        "email": "zoe.o-brien+dev@example.co.uk",
        "version": "2.0.0rc1",
    },
    {"project_name": "A long project name making a fifty character slug"},
]

# Answers that generation must refuse, and the words its message must contain.
REJECTED: list[tuple[dict[str, str], str]] = [
    (
        {"project_slug": "my-service"},
        "project_slug 'my-service' is not a valid Python package name",
    ),
    ({"project_slug": "1service"}, "project_slug '1service' is not a valid Python package name"),
    ({"project_slug": "Service"}, "project_slug 'Service' is not a valid Python package name"),
    ({"project_slug": "x" * 51}, f"project_slug '{'x' * 51}' is longer than 50 characters"),
    ({"project_slug": "class"}, "project_slug 'class' is a Python keyword"),
    ({"project_slug": "json"}, "would shadow the standard library module 'json'"),
    ({"project_slug": "flask"}, "project_slug 'flask' would shadow 'flask'"),
    ({"project_slug": "sqlalchemy"}, "would shadow 'sqlalchemy'"),
    ({"project_slug": "test"}, "would shadow 'test'"),
    ({"project_slug": "fuzzing"}, "would shadow 'fuzzing'"),
    ({"project_slug": "schemathesis"}, "would shadow 'schemathesis'"),
    ({"project_slug": "cachelib"}, "would shadow 'cachelib'"),
    ({"project_slug": "test_users"}, "would be taken by pytest for a test module"),
    ({"email": "not-an-email"}, "email 'not-an-email' is not an email address"),
    ({"email": "a b@example.com"}, "is not an email address"),
    ({"version": "one"}, "version 'one' is not a PEP 440 version"),
    ({"version": "1.0-beta-final"}, "is not a PEP 440 version"),
    ({"version": "0.1.0\n"}, "is not a PEP 440 version"),
    ({"email": "a@example.com\n"}, "is not an email address"),
]


def combinations() -> list[dict[str, object]]:
    """Every distinct project the code options can produce. A sub-choice only counts while the
    toggle it refines is on; otherwise it is left out (and keeps its default)."""
    names = list(CODE_OPTIONS)
    found: list[dict[str, object]] = []
    for values in itertools.product(*CODE_OPTIONS.values()):
        answers = dict(zip(names, values, strict=True))
        for option, toggle in MANIFEST.SUBCHOICES.items():
            if not answers[toggle]:
                del answers[option]
        if answers not in found:
            found.append(answers)
    return found


def matrix() -> list[dict[str, object]]:
    """The combinations this run tests: all of them, or, while developing, those matching every
    `option:value` word of MATRIX_ONLY (e.g. MATRIX_ONLY="database:sqlite use_caching:True");
    then, when MATRIX_SHARD is `i/n` (as in CI, e.g. MATRIX_SHARD=3/8), only those of shard i."""
    wanted = os.environ.get("MATRIX_ONLY", "").split()
    chosen = [answers for answers in combinations() if all(w in combo_id(answers) for w in wanted)]
    shard = matrix_shard()
    if shard is None:
        return chosen
    index, count = shard
    return [answers for answers in chosen if shard_of(combo_id(answers), count) == index]


def shard_of(key: str, count: int) -> int:
    """The shard (1 to `count`) of the combination with id `key`: a stable function of the id
    alone (SHA-256, never Python's hash(), which changes from one process to the next), so every
    shard job of a CI run, and every run, agrees on where a combination goes."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % count + 1


SHARD_FORMAT = "MATRIX_SHARD must be i/n with 1 <= i <= n (e.g. MATRIX_SHARD=3/8)"


def matrix_shard(value: str | None = None) -> tuple[int, int] | None:
    """MATRIX_SHARD (or `value`) as (index, count), None when unset or empty; a ValueError
    naming the expected form for anything else."""
    value = os.environ.get("MATRIX_SHARD", "") if value is None else value
    if not value.strip():
        return None
    found = re.fullmatch(r"\s*([0-9]+)/([0-9]+)\s*", value)
    if not found or not 1 <= int(found[1]) <= int(found[2]):
        raise ValueError(f"{SHARD_FORMAT}; got {value!r}")
    return int(found[1]), int(found[2])


def combo_id(answers: dict[str, object]) -> str:
    return "-".join(f"{key}:{value}" for key, value in answers.items())


def covering_subset() -> list[dict[str, object]]:
    """Combinations that run their suites in full (slow tests included): with each database,
    everything on with the first sub-choices, everything on with the second ones, and
    everything off. Together they give every value of every option with each database."""
    toggles = dict.fromkeys(TOGGLES, True)
    first = {option: CODE_OPTIONS[option][0] for option in MANIFEST.SUBCHOICES}
    second = {option: CODE_OPTIONS[option][1] for option in MANIFEST.SUBCHOICES}
    off = dict.fromkeys(toggles, False)
    subset = []
    for database in CODE_OPTIONS["database"]:
        for answers in ({**toggles, **first}, {**toggles, **second}, off):
            answers = {"database": database, **answers}
            subset.append({name: answers[name] for name in CODE_OPTIONS if name in answers})
    assert all(answers in combinations() for answers in subset)
    return subset


def factors(answers: dict[str, object]) -> dict[str, object]:
    """A combination as the pairwise array sees it: one factor per code option, a toggle that a
    sub-choice refines being one factor whose values are off (False) or the sub-choice's value
    (pagination: off, cursor, offset; caching: off, simple, redis)."""
    refined_by = {toggle: option for option, toggle in MANIFEST.SUBCHOICES.items()}
    seen: dict[str, object] = {}
    for name in CODE_OPTIONS:
        if name in MANIFEST.SUBCHOICES:
            continue
        if name in refined_by:
            seen[name] = answers[refined_by[name]] if answers[name] else False
        else:
            seen[name] = answers[name]
    return seen


def value_pairs(answers: dict[str, object]) -> set[tuple[tuple[str, object], ...]]:
    """Every pair of (factor, value) that the combination holds."""
    return set(itertools.combinations(factors(answers).items(), 2))


def pairwise_covering(start: list[dict[str, object]]) -> list[dict[str, object]]:
    """`start`, then combinations added until every pair of values of two factors appears in at
    least one: greedily, each time the first combination (in `combinations()` order) that
    covers the most pairs still missing. Deterministic: the same list on every run."""
    candidates = [(answers, value_pairs(answers)) for answers in combinations()]
    missing = set().union(*(pairs for _, pairs in candidates))
    chosen = list(start)
    for answers in chosen:
        missing -= value_pairs(answers)
    while missing:
        answers, pairs = max(candidates, key=lambda candidate: len(candidate[1] & missing))
        chosen.append(answers)
        missing -= pairs
    return chosen


def typecheck_subset() -> list[dict[str, object]]:
    """The combinations whose code and tests the template type-checks: the covering subset,
    plus what it takes to make every pair of option values appear in a checked project."""
    return pairwise_covering(covering_subset())
