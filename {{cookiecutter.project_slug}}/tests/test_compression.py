"""Compression: negotiated from Accept-Encoding, much smaller, decodes to the same JSON."""

import gzip
import json

import brotli
import pytest
{%- if cookiecutter.use_caching %}
from flask_compress import flask_compress
{%- endif %}

try:
    from compression import zstd
except ImportError:  # Python < 3.14
    from backports import zstd

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, "zstd": zstd.decompress}


@pytest.fixture
def page(seed):
    seed(50, addresses_per_user=3)
    return "/api/users"


@pytest.mark.parametrize(
    "encoding",
    [
        "br",
        pytest.param("zstd", marks=pytest.mark.slow),
        pytest.param("gzip", marks=pytest.mark.slow),
    ],
)
def test_a_list_page_is_at_least_5x_smaller_and_decodes_to_the_same_json(client, page, encoding):
    plain = client.get(page, headers={"Accept-Encoding": "identity"})
    packed = client.get(page, headers={"Accept-Encoding": encoding})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert len(packed.data) * 5 <= len(plain.data)
    assert json.loads(DECODE[encoding](packed.data)) == plain.json
    assert "Accept-Encoding" in packed.headers["Vary"]


def test_a_client_that_accepts_no_encoding_gets_identity(client, page):
    assert "Content-Encoding" not in client.get(page).headers


@pytest.mark.slow
@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", None),
        ("identity", None),
        ("gzip, br", "br"),
        ("gzip;q=1.0, br;q=0.5", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("zstd;q=0.9, gzip;q=0.1", "zstd"),
        ("compress", None),
        ("*", "br"),
    ],
)
def test_the_encoding_follows_accept_encoding_and_its_q_values(client, page, accept, expected):
    response = client.get(page, headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == expected


def test_small_responses_are_left_alone(client):
    response = client.get("/healthz", headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in response.headers
{%- if cookiecutter.use_caching %}


def test_a_cache_hit_does_no_compression_work(client, page, monkeypatch):
    calls = []
    original = flask_compress._compress_data

    def counting(*args, **kwargs):
        calls.append(args[2])
        return original(*args, **kwargs)

    monkeypatch.setattr(flask_compress, "_compress_data", counting)
    first = client.get(page, headers={"Accept-Encoding": "br"})
    assert calls == ["br"]
    second = client.get(page, headers={"Accept-Encoding": "br"})
    assert calls == ["br"]  # served compressed from the cache
    assert second.headers["Content-Encoding"] == "br"
    assert second.data == first.data
    other = client.get(page, headers={"Accept-Encoding": "gzip"})
    assert calls == ["br", "gzip"]  # each encoding is its own entry
    assert gzip.decompress(other.data) == brotli.decompress(first.data)
{%- endif %}
