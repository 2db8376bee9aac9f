"""Interactive generation in a terminal: every question shows its text from `__prompts__` on one
line of an 80-column terminal, the choices show their labels, and the answers typed are the
project generated."""

import json
import os
import sys
from pathlib import Path

import pexpect
import pytest

from tests.harness import cookiecutter_config
from tests.options import MANIFEST, TEMPLATE

COOKIECUTTER_JSON = json.loads((TEMPLATE / "cookiecutter.json").read_text())
PROMPTS = COOKIECUTTER_JSON["__prompts__"]
OPTIONS = {key: value for key, value in COOKIECUTTER_JSON.items() if not key.startswith("_")}

# What the user types, by option: a value (a choice is typed as its number), or None to accept
# the default shown with Enter.
TYPED: dict[str, object] = {
    "project_name": "Orders Service",
    "project_slug": None,
    "description": None,
    "author_name": "Ada Lovelace",
    "email": "ada@example.com",
    "version": None,
    "open_source_license": "Not open source",
    "database": "postgresql",
    "use_connection_pooling": None,
    "use_eager_loading": False,
    "use_pagination": None,
    "pagination_style": "offset",
    "use_caching": False,
    "cache_backend": None,
    "use_fast_json": None,
    "use_compression": False,
    "use_async_logging": None,
}
SLUG = "orders_service"  # the default cookiecutter derives from the project name typed


def question(key: str) -> str:
    """The text cookiecutter shows: the raw name when there is none (the tests then fail)."""
    prompt = PROMPTS.get(key, key)
    return prompt if isinstance(prompt, str) else prompt.get("__prompt__", key)


def label(key: str, value: str) -> str:
    labels = PROMPTS.get(key)
    return labels.get(value, value) if isinstance(labels, dict) else value


def screen(number: int, key: str) -> tuple[str, str]:
    """What the terminal shows for the question, exactly, and what to type."""
    default = OPTIONS[key]
    prefix = f"  [{number}/{len(OPTIONS)}] {question(key)}"
    answer = TYPED[key]
    if isinstance(default, list):
        lines = [prefix] + [
            f"    {index} - {label(key, value)}" for index, value in enumerate(default, 1)
        ]
        numbers = "/".join(str(index) for index in range(1, len(default) + 1))
        lines.append(f"    Choose from [{numbers}] (1): ")
        typed = "" if answer is None else str(default.index(answer) + 1)
        return "\r\n".join(lines), typed
    if isinstance(default, bool):
        typed = "" if answer is None else "yn"[not answer]
        return f"{prefix} [y/n] ({'yn'[not default]}): ", typed
    shown = SLUG if key == "project_slug" else default
    return f"{prefix} ({shown}): ", "" if answer is None else str(answer)


def expected_answers() -> dict[str, object]:
    answers = {
        key: value[0] if isinstance(value, list) else value for key, value in OPTIONS.items()
    }
    answers.update({key: value for key, value in TYPED.items() if value is not None})
    answers["project_slug"] = SLUG
    return answers


def test_every_option_has_a_prompt_text_and_every_choice_a_label():
    assert list(TYPED) == list(OPTIONS)
    assert set(PROMPTS) == set(OPTIONS)
    for key, default in OPTIONS.items():
        assert question(key).strip(), key
        if isinstance(default, list):
            assert set(PROMPTS[key]) == {"__prompt__", *default}, key


def answer_every_question(child: pexpect.spawn) -> tuple[str, str]:
    """Type the answers, each once its question is shown exactly; return the transcript and the
    last answer typed."""
    transcript: list[str] = []

    def shown() -> str:
        return "".join(transcript) + (child.before if isinstance(child.before, str) else "")

    previous = ""
    for number, key in enumerate(OPTIONS, 1):
        expected, typed = screen(number, key)
        # The first question waits for the interpreter to start.
        found = child.expect_exact(
            [expected, pexpect.TIMEOUT, pexpect.EOF], 30 if number == 1 else 10
        )
        if found:
            wanted = f"question {key} not shown as (each line within 80 columns)"
            pytest.fail(f"{wanted}\n{expected}\n--- shown:\n{shown()}")
        # Between two questions, only the echo of the answer: no error, no re-prompt.
        assert child.before.strip() == previous, shown()
        transcript += [child.before, child.after]
        child.sendline(typed)
        previous = typed
    child.expect(pexpect.EOF, timeout=120)
    transcript.append(child.before)
    return "".join(transcript), previous


def assert_generated_as_answered(replay_dir: Path, project: Path) -> None:
    (replay,) = replay_dir.glob("*.json")
    recorded = json.loads(replay.read_text())["cookiecutter"]
    answers = expected_answers()
    assert {key: recorded[key] for key in answers} == answers
    assert (project / "src" / SLUG / "__init__.py").is_file()
    kept = MANIFEST.kept_paths(answers)
    for path in sorted(MANIFEST.owned_paths(SLUG)):
        assert (project / path).exists() == (path in kept), path
    assert not (project / "LICENSE").exists()
    assert not (project / "src" / SLUG / "caching.py").exists()
    pyproject = (project / "pyproject.toml").read_text()
    assert '"psycopg[binary]' in pyproject
    assert '"orjson' in pyproject
    assert "flask-caching" not in pyproject
    assert 'authors = [{ name = "Ada Lovelace", email = "ada@example.com" }]' in pyproject
    assert "# Orders Service" in (project / "README.md").read_text()


def test_interactive_generation_shows_the_prompts_and_generates_the_answers(tmp_path):
    home, output = tmp_path / "home", tmp_path / "output"
    home.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "TMPDIR": os.environ.get("TMPDIR", str(tmp_path)),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        # A dumb terminal: no colours or cursor movements, and rich wraps at 80 columns.
        "TERM": "dumb",
        "NO_COLOR": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    command = ["-m", "cookiecutter", "--config-file", str(cookiecutter_config(tmp_path))]
    child = pexpect.spawn(
        sys.executable,
        [*command, "-o", str(output), str(TEMPLATE)],
        env=env,
        cwd=str(tmp_path),
        encoding="utf-8",
        dimensions=(25, 80),
    )
    try:
        text, previous = answer_every_question(child)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, text
    assert child.before.strip() == previous, text  # nothing printed after the last answer
    for key in OPTIONS:
        if "_" in key:  # the others are plain words that a text may use
            assert key not in text, f"raw option name {key!r} shown:\n{text}"
    assert_generated_as_answered(tmp_path / "replay", output / SLUG)
    assert not Path(home).joinpath(".cookiecutter_replay").exists()
