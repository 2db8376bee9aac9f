"""The fuzzing of test_openapi.py at length (slow): the boundary and negative cases of every
parameter and field (schemathesis' coverage phase), then 50 generated requests per operation.
Its own module, because schemathesis builds the boundary cases when the tests are collected:
`pytest -m "not slow" --ignore tests/test_openapi_thorough.py` skips that work too."""

from typing import Any

import pytest
import schemathesis
from flask import Flask
from fuzzing import CALL_AND_VALIDATE
from fuzzing import DOCUMENT
from fuzzing import FUZZ
from hypothesis import settings

thorough = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.mark.slow
@thorough.parametrize()
@settings(FUZZ, max_examples=50)
def test_every_operation_answers_boundary_and_generated_requests_as_described(
    case: schemathesis.Case[Any], app: Flask
) -> None:
    case.call_and_validate(app=app, **CALL_AND_VALIDATE)
