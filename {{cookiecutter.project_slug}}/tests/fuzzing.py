"""What the fuzzing tests share: this app's description, and how schemathesis runs."""

from typing import Any

from hypothesis import HealthCheck
from hypothesis import settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from {{ cookiecutter.project_slug }} import create_app
from {{ cookiecutter.project_slug }} import openapi

DOCUMENT = openapi.build(create_app({"TESTING": True}))
# How each generated request is sent and checked. Not checked: that every schema-valid request
# succeeds. A cursor is a string to the schema, but only the ones this API signed are accepted,
# and an email can be taken by an earlier request.
CALL_AND_VALIDATE: dict[str, Any] = {
    "excluded_checks": [positive_data_acceptance],
{%- if cookiecutter.use_compression %}
    "headers": {"Accept-Encoding": "identity"},  # schemathesis reads bodies as sent
{%- endif %}
}
# The same requests on every run (derandomize): a failure is reproducible, never a flake; no
# example database is kept (hypothesis still caches the code's constants in .hypothesis/, which
# .gitignore lists).
FUZZ = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
