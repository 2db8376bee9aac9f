"""MATRIX_SHARD=i/n splits the matrix between CI jobs: the shards partition it exactly, each
combination's shard depends on its id alone (the same in every process and every run), and the
shards are about the same size."""

import os
import subprocess
import sys

import pytest

from tests.options import TEMPLATE, combinations, combo_id, matrix, matrix_shard, shard_of

IDS = [combo_id(answers) for answers in combinations()]

# Where some combinations go with 2, 8, 12 and 48 shards: a change of shard_of() shows here.
EXPECTED: dict[str, list[int]] = {
    "database:sqlite-use_connection_pooling:True-use_eager_loading:True-use_pagination:True-"
    "pagination_style:cursor-use_caching:True-cache_backend:simple-use_fast_json:True-"
    "use_compression:True-use_async_logging:True": [1, 3, 7, 43],
    "database:sqlite-use_connection_pooling:True-use_eager_loading:False-use_pagination:True-"
    "pagination_style:offset-use_caching:True-cache_backend:simple-use_fast_json:False-"
    "use_compression:True-use_async_logging:True": [2, 2, 2, 26],
    "database:postgresql-use_connection_pooling:False-use_eager_loading:False-"
    "use_pagination:False-use_caching:False-use_fast_json:False-use_compression:False-"
    "use_async_logging:False": [1, 7, 7, 7],
}


@pytest.mark.parametrize("count", range(1, 13))
def test_the_shards_partition_the_matrix_exactly(monkeypatch, count):
    monkeypatch.delenv("MATRIX_ONLY", raising=False)
    seen: list[str] = []
    for index in range(1, count + 1):
        monkeypatch.setenv("MATRIX_SHARD", f"{index}/{count}")
        shard = [combo_id(answers) for answers in matrix()]
        assert all(shard_of(key, count) == index for key in shard)
        seen += shard
    assert sorted(seen) == sorted(IDS)
    assert len(seen) == len(set(seen))


def test_a_combination_goes_to_the_same_shard_every_time():
    assert set(EXPECTED) <= set(IDS)
    for key, shards in EXPECTED.items():
        assert [shard_of(key, count) for count in (2, 8, 12, 48)] == shards


def test_another_process_with_another_hash_seed_puts_every_combination_in_the_same_shard():
    script = (
        "from tests.options import combinations, combo_id, shard_of\n"
        "print(' '.join(str(shard_of(combo_id(a), 8)) for a in combinations()))"
    )
    shards = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=TEMPLATE,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        shards.append(done.stdout.split())
    assert shards[0] == shards[1] == [str(shard_of(key, 8)) for key in IDS]


def test_eight_shards_are_balanced():
    sizes = [sum(shard_of(key, 8) == index for key in IDS) for index in range(1, 9)]
    mean = len(IDS) / 8
    assert min(sizes) > mean / 2
    assert max(sizes) < mean * 2


def test_a_shard_narrows_the_combinations_matrix_only_chose(monkeypatch):
    monkeypatch.setenv("MATRIX_ONLY", "database:sqlite use_caching:True")
    monkeypatch.delenv("MATRIX_SHARD", raising=False)
    chosen = [combo_id(answers) for answers in matrix()]
    monkeypatch.setenv("MATRIX_SHARD", "2/3")
    assert [combo_id(answers) for answers in matrix()] == [
        key for key in chosen if shard_of(key, 3) == 2
    ]


@pytest.mark.parametrize("value", ["", "  "])
def test_an_unset_or_empty_matrix_shard_means_the_whole_matrix(monkeypatch, value):
    monkeypatch.delenv("MATRIX_ONLY", raising=False)
    monkeypatch.setenv("MATRIX_SHARD", value)
    assert matrix_shard() is None
    assert len(matrix()) == len(IDS)


@pytest.mark.parametrize(("value", "shard"), [("3/8", (3, 8)), (" 1/1 ", (1, 1)), ("8/8", (8, 8))])
def test_matrix_shard_reads_index_slash_count(value, shard):
    assert matrix_shard(value) == shard


@pytest.mark.parametrize("value", ["0/8", "9/8", "3", "3/", "/8", "a/b", "3/8/1", "-1/8", "+3/8"])
def test_a_malformed_matrix_shard_is_refused_naming_the_expected_form(monkeypatch, value):
    message = "MATRIX_SHARD must be i/n with 1 <= i <= n"
    with pytest.raises(ValueError, match=message):
        matrix_shard(value)
    monkeypatch.setenv("MATRIX_SHARD", value)
    with pytest.raises(ValueError, match=message):
        matrix()


def test_a_malformed_matrix_shard_stops_pytest_before_collecting():
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/test_manifest.py"],
        cwd=TEMPLATE,
        env={**os.environ, "MATRIX_SHARD": "0/8"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "MATRIX_SHARD must be i/n with 1 <= i <= n" in done.stderr
