"""Validate the answers before anything is generated; one clear line per problem."""

import json
import keyword
import re
import sys

ANSWERS = r"""{{ cookiecutter | tojson }}"""

# Names a generated package must not take: the project, its tests or their tools import them.
TAKEN = {
    "alembic", "blinker", "brotli", "click", "dns", "email_validator", "flask", "flask_caching",
    "flask_compress", "flask_cors", "flask_swagger_ui", "gunicorn", "idna", "itsdangerous",
    "jinja2", "markupsafe", "msgspec", "orjson", "psycopg", "pytest", "redis", "sqlalchemy",
    "test", "tests", "werkzeug",
    # what the tests import, and what those libraries import in turn
    "attrs", "backports", "cachelib", "conftest", "fuzzing", "greenlet", "httpx", "hypothesis",
    "jsonschema", "locust", "mako", "packaging", "playwright", "pluggy", "requests",
    "schemathesis", "sql_counter", "typing_extensions", "yaml", "zstandard",
}  # fmt: skip
MAX_SLUG = 50  # keeps every import of the package on one line
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# PEP 440, appendix B (canonical form accepted with the usual leniencies).
PEP440 = re.compile(
    r"v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*"
    r"(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?"
    r"(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?"
    r"(?:[-_.]?dev[-_.]?[0-9]*)?"
    r"(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?",
    re.IGNORECASE,
)


def problems(answers: dict) -> list[str]:
    found = []
    slug = answers["project_slug"]
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", slug):
        found.append(
            f"project_slug {slug!r} is not a valid Python package name: "
            "use lowercase letters, digits and underscores, not starting with a digit"
        )
    elif len(slug) > MAX_SLUG:
        found.append(f"project_slug {slug!r} is longer than {MAX_SLUG} characters")
    elif keyword.iskeyword(slug) or keyword.issoftkeyword(slug):
        found.append(f"project_slug {slug!r} is a Python keyword")
    elif slug in sys.stdlib_module_names:
        found.append(f"project_slug {slug!r} would shadow the standard library module {slug!r}")
    elif slug.startswith("test_"):
        found.append(f"project_slug {slug!r} would be taken by pytest for a test module")
    elif slug in TAKEN:
        found.append(
            f"project_slug {slug!r} would shadow {slug!r}, which the project or its tests import"
        )
    if not EMAIL.fullmatch(answers["email"]):
        found.append(f"email {answers['email']!r} is not an email address")
    if not PEP440.fullmatch(answers["version"]):  # no trailing newline either
        found.append(f"version {answers['version']!r} is not a PEP 440 version (e.g. 0.1.0)")
    return found


def main() -> int:
    found = problems(json.loads(ANSWERS))
    for problem in found:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
