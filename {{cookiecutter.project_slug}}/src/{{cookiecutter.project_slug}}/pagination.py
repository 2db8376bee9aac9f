"""Pagination: every list answer is a bounded page; `per_page` is validated, never trusted."""

import re
from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask import request
from werkzeug.exceptions import BadRequest

_DIGITS = re.compile(r"[0-9]{1,18}")


def int_arg(name: str, default: int, maximum: int) -> int:
    """The query parameter `name` as a whole number from 1 to `maximum`; 400 otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise BadRequest(f"{name} must be a whole number from 1 to {maximum}, got {raw[:40]!r}.")
    return int(raw)


def per_page_arg() -> int:
    config = current_app.config
    return int_arg("per_page", config["PER_PAGE_DEFAULT"], config["PER_PAGE_MAX"])


def per_page_parameter(config: Mapping[str, Any]) -> dict[str, Any]:
    """`per_page` as /openapi.json describes it, with the configured default and maximum."""
    limits = {"maximum": config["PER_PAGE_MAX"], "default": config["PER_PAGE_DEFAULT"]}
    return {
        "name": "per_page",
        "in": "query",
        "required": False,
        "description": "How many items a page holds at most",
        "schema": {"type": "integer", "minimum": 1, **limits},
    }
