"""Compression: negotiated from Accept-Encoding, much smaller, decodes to the same JSON."""

import gzip
import json
import sys
import time
from typing import Any

import brotli
import pytest
from conftest import MakeUser
from conftest import Seed
from flask import Flask
from flask.testing import FlaskClient
from flask_compress import flask_compress
from fuzzing import FUZZ
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

Document = tuple[FlaskClient, Any]  # a client of /openapi.json, and its uncompressed JSON
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, "zstd": zstd.decompress}


@pytest.fixture
def page(seed: Seed) -> str:
    seed(50, addresses_per_user=3)
    return "/api/users"


@pytest.fixture
def compressions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The coding of every body Flask-Compress compresses from here on, one entry each."""
    calls: list[str] = []
    original = flask_compress._compress_data

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(args[2])
        return original(*args, **kwargs)

    monkeypatch.setattr(flask_compress, "_compress_data", counting)
    return calls


@pytest.mark.parametrize(
    "encoding",
    [
        "br",
        pytest.param("zstd", marks=pytest.mark.slow),
        pytest.param("gzip", marks=pytest.mark.slow),
    ],
)
def test_a_list_page_is_at_least_5x_smaller_and_decodes_to_the_same_json(
    client: FlaskClient, page: str, encoding: str
) -> None:
    plain = client.get(page, headers={"Accept-Encoding": "identity"})
    packed = client.get(page, headers={"Accept-Encoding": encoding})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert len(packed.data) * 5 <= len(plain.data)
    assert json.loads(DECODE[encoding](packed.data)) == plain.json
    assert "Accept-Encoding" in packed.headers["Vary"]


def test_each_coding_is_a_representation_with_its_own_strong_etag(
    client: FlaskClient, page: str
) -> None:
    """RFC 9110 §8.8.3: a gzip and a Brotli body are different representations. Flask-Compress
    suffixes the ETag of the JSON with the coding, and keeps it strong."""
    etags = {}
    for encoding in ("identity", "br", "zstd", "gzip"):
        response = client.get(page, headers={"Accept-Encoding": encoding})
        assert not response.get_etag()[1]
        etags[encoding] = response.headers["ETag"]
    assert len(set(etags.values())) == len(etags)
    for encoding in etags:
        for held, etag in etags.items():
            headers = {"Accept-Encoding": encoding, "If-None-Match": etag}
            response = client.get(page, headers=headers)
            assert response.status_code == (304 if held == encoding else 200)


def test_a_gzip_answers_etag_does_not_change_with_gzips_timestamp(
    client: FlaskClient, page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ETag is the hash of the JSON, taken before compression: gzip writes the time of
    compression into its header, so a hash of the gzip body would change every second."""
    gzipped = {"Accept-Encoding": "gzip"}
    first = client.get(page, headers=gzipped)
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)
    later = client.get(f"{page}?later", headers=gzipped)  # another URL: compressed again
    assert later.data != first.data
    assert later.headers["ETag"] == first.headers["ETag"]


def test_a_client_that_accepts_no_encoding_gets_identity(client: FlaskClient, page: str) -> None:
    assert "Content-Encoding" not in client.get(page).headers


# Accept-Encoding -> the Content-Encoding sent (None: no coding), by RFC 9110 §12.5.3. The
# server's order of preference is br, zstd, gzip, then identity.
NEGOTIATION = [
    ("", None),  # an empty header asks for no coding
    ("identity", None),
    ("gzip, br", "br"),
    ("gzip, deflate, br, zstd", "br"),  # what browsers send
    ("zstd", "zstd"),
    ("gzip;q=1, br;q=0.5", "gzip"),
    ("gzip;q=1.0, br;q=0.5", "gzip"),
    ("zstd;q=0.9, gzip;q=0.1", "zstd"),
    ("gzip;q=0.5, zstd;q=0.5", "zstd"),  # a tie goes to the server's order
    ("identity, gzip", "gzip"),
    ("identity;q=1, gzip;q=0.5", None),
    ("gzip;q=0.1", "gzip"),  # identity, not listed, is only the last resort
    ("gzip, identity;q=0", "gzip"),
    ("compress", None),  # not a coding this service sends: identity
    ("deflate", None),
    # q=0 means "not acceptable"
    ("br;q=0", None),
    ("gzip;q=0", None),
    ("gzip;q=0, br;q=0", None),
    ("br;q=0, zstd;q=0, gzip;q=0", None),
    ("br;q=0, gzip", "gzip"),
    ("br;q=0.0, zstd;q=0.000, gzip", "gzip"),
    ("gzip, gzip;q=0", None),  # listed twice: the exclusion stands
    # `*` covers the codings not listed, at its own q
    ("*", "br"),
    ("*;q=0.1", "br"),
    ("*;q=0, gzip", "gzip"),
    ("*;q=0, identity", None),
    ("br;q=0, *", "zstd"),
    ("*, br;q=0", "zstd"),
    ("br;q=0.5, *", "zstd"),
    ("*;q=0.5, gzip", "gzip"),
    ("identity;q=0, *;q=0.2", "br"),
    # case, spaces and tabs do not matter
    ("GZIP", "gzip"),
    ("Gzip;Q=0.5, BR;Q=0.4", "gzip"),
    (" gzip ; q=0.5 ,br;q=0.6 ", "br"),
    ("\tgzip;q=1,\tbr;q=0", "gzip"),
    ("br; q=0, gzip", "gzip"),
    (",,gzip,,", "gzip"),
    # x-gzip is gzip (RFC 9110 §8.4.1.3)
    ("x-gzip", "gzip"),
    ("x-gzip;q=0.5, zstd;q=0.4", "gzip"),
    ("x-gzip;q=0, gzip", None),
    # a malformed weight: the element is ignored, as if it were not there
    ("br;q=abc", None),
    ("br;q=abc, gzip", "gzip"),
    ("br;q=2, gzip;q=0.5", "gzip"),
    ("br;q=-1, gzip;q=0.1", "gzip"),
    ("br;q=nan, zstd;q=inf, gzip;q=0.1", "gzip"),
    ("br;q=1e0, gzip;q=0.1", "gzip"),
    ("br;q=, gzip;q=0.1", "gzip"),
    ("br;q=0.5;q=1, gzip;q=0.1", "gzip"),
    ("br;level=9, gzip;q=0.1", "gzip"),
    ("br;q=abc, *", "br"),  # ignored, not taken as q=0: `*` still covers br
    ("identity;q=abc", None),  # ignored, not taken as q=0: identity stays acceptable
    (";q=1", None),
]
# Headers that exclude every coding this service sends, identity included.
UNACCEPTABLE = [
    "identity;q=0",
    "*;q=0",
    "IDENTITY;Q=0",
    "br;q=0, *;q=0",
    "compress, identity;q=0",
    "deflate, *;q=0",
    "*;q=0, identity;q=0, gzip;q=0",
    "br;q=0, zstd;q=0, gzip;q=0, identity;q=0",
]
NOT_ACCEPTABLE = {
    "error": "not-acceptable",
    "message": "Accept-Encoding excludes every coding this service sends: br, zstd, gzip, identity.",
}


@pytest.fixture(scope="module")
def document(shared_app: Flask) -> Document:
    """A client of the OpenAPI document: JSON well over COMPRESS_MIN_SIZE, with no database
    work, so a long table of headers runs fast."""
    client = shared_app.test_client()
    plain = client.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    return client, plain.get_json()


@pytest.mark.parametrize(("accept", "expected"), NEGOTIATION, ids=repr)
def test_the_coding_sent_is_the_acceptable_one_with_the_highest_q(
    document: Document, accept: str, expected: str
) -> None:
    client, plain = document
    response = client.get("/openapi.json", headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == expected
    decode = DECODE[expected] if expected else bytes
    assert json.loads(decode(response.data)) == plain
    assert "Accept-Encoding" in response.headers["Vary"]


@pytest.mark.parametrize("accept", UNACCEPTABLE, ids=repr)
def test_a_client_that_excludes_every_coding_gets_a_json_406(
    document: Document, accept: str
) -> None:
    client, _ = document
    response = client.get("/openapi.json", headers={"Accept-Encoding": accept})
    assert response.status_code == 406
    assert response.json == NOT_ACCEPTABLE
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" in response.headers["Vary"]


def test_a_write_refused_with_a_406_does_not_happen(client: FlaskClient) -> None:
    user = {"name": "Ada", "email": "ada@example.com"}
    response = client.post("/api/users", json=user, headers={"Accept-Encoding": "identity;q=0"})
    assert response.status_code == 406
    assert client.get("/api/users").get_json()["items"] == []


# Headers made of codings (known, unknown, empty), weights (valid or not) and stray characters.
ELEMENTS = st.tuples(
    st.sampled_from(["br", "zstd", "gzip", "x-gzip", "identity", "*", "deflate", "Br", ""]),
    st.one_of(
        st.just(""),
        st.from_regex(r" ?; ?[qQ]=[0-9.]{0,5}", fullmatch=True),
        st.text(alphabet=" \t;=qQ.-019aefin", max_size=8),
    ),
).map("".join)
HEADERS = st.lists(ELEMENTS, max_size=5).map(", ".join) | st.text(" \t,;=.*qgzipbr01", max_size=30)


@pytest.mark.slow
@given(accept=HEADERS)
@settings(FUZZ, max_examples=300)
def test_any_accept_encoding_gets_a_200_or_a_json_406_never_an_error(
    document: Document, accept: str
) -> None:
    client, plain = document
    response = client.get("/openapi.json", headers={"Accept-Encoding": accept})
    assert response.status_code in (200, 406)
    if response.status_code == 406:
        assert response.json == NOT_ACCEPTABLE
    else:
        decode = DECODE.get(response.headers.get("Content-Encoding", ""), bytes)
        assert json.loads(decode(response.data)) == plain
    # Spaces and letter case change nothing: only the codings and their weights count.
    shouted = accept.upper().replace(" ", "")
    again = client.get("/openapi.json", headers={"Accept-Encoding": shouted})
    assert again.status_code == response.status_code
    assert again.headers.get("Content-Encoding") == response.headers.get("Content-Encoding")


def test_a_304_drops_a_body_that_was_never_compressed(
    client: FlaskClient, compressions: list[str]
) -> None:
    """A revalidation of a compressed answer is a 304 (with the compressed answer's ETag and
    Vary) before Flask-Compress compresses the body that the 304 drops."""
    full = client.get("/openapi.json", headers={"Accept-Encoding": "br"})
    assert compressions == ["br"]
    etag = full.headers["ETag"]
    assert etag.endswith(':br"')
    headers = {"Accept-Encoding": "br", "If-None-Match": etag}
    revalidated = client.get("/openapi.json", headers=headers)
    assert revalidated.status_code == 304
    assert revalidated.data == b""
    assert revalidated.headers["ETag"] == etag
    assert "Accept-Encoding" in revalidated.headers["Vary"]
    assert compressions == ["br"]  # nothing compressed for the 304
    # Another coding is another representation: its ETag does not match, the 200 is sent.
    other = client.get("/openapi.json", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert other.status_code == 200
    assert compressions == ["br", "gzip"]


def test_a_304_for_an_answer_too_small_to_compress_carries_the_200s_etag(
    client: FlaskClient, make_user: MakeUser
) -> None:
    """`If-None-Match: *` matches any ETag: the 304 must still carry the one the 200 has, the
    plain one, since a body under COMPRESS_MIN_SIZE is sent uncompressed."""
    path = f"/api/users/{make_user()['id']}"
    full = client.get(path, headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in full.headers
    revalidated = client.get(path, headers={"Accept-Encoding": "br", "If-None-Match": "*"})
    assert revalidated.status_code == 304
    assert revalidated.headers["ETag"] == full.headers["ETag"]


def test_small_responses_are_left_alone(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in response.headers
{%- if cookiecutter.use_caching %}


def test_a_cache_hit_does_no_compression_work(
    client: FlaskClient, page: str, compressions: list[str]
) -> None:
    first = client.get(page, headers={"Accept-Encoding": "br"})
    assert compressions == ["br"]
    second = client.get(page, headers={"Accept-Encoding": "br"})
    assert compressions == ["br"]  # served compressed from the cache
    assert second.headers["Content-Encoding"] == "br"
    assert second.data == first.data
    other = client.get(page, headers={"Accept-Encoding": "gzip"})
    assert compressions == ["br", "gzip"]  # each encoding is its own entry
    assert gzip.decompress(other.data) == brotli.decompress(first.data)
{%- endif %}
