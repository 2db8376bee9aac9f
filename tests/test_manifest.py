"""The post-generation manifest is the single source of truth for what each option owns."""

from tests.options import CODE_OPTIONS, DEFAULTS, TEMPLATE

PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"


def test_every_manifest_path_exists_in_the_template(manifest):
    for option, values in manifest.MANIFEST.items():
        for value, paths in values.items():
            for path in paths:
                template_path = PROJECT / path.format(package="{{cookiecutter.project_slug}}")
                assert template_path.exists(), f"{option}={value} owns missing {path}"


def test_manifest_names_only_real_options_and_values(manifest):
    choices = {
        "open_source_license": ["MIT", "BSD-3-Clause", "Apache-2.0", "Not open source"],
        **CODE_OPTIONS,
    }
    for option, values in manifest.MANIFEST.items():
        assert option in DEFAULTS
        assert set(values) <= set(choices[option])


def test_removed_paths_follow_the_answers(manifest):
    answers = {**DEFAULTS, "project_slug": "svc"}
    unchosen = {
        "src/svc/pagination_offset.py",
        "tests/test_pagination_offset.py",
        "src/svc/caching_redis.py",
        "tests/test_caching_redis.py",
        "src/svc/postgresql.py",
        "tests/test_postgresql.py",
    }
    assert manifest.removed_paths(answers) == unchosen
    no_license = {**answers, "open_source_license": "Not open source"}
    assert manifest.removed_paths(no_license) == unchosen | {"LICENSE"}


def test_a_sub_choice_keeps_nothing_while_its_toggle_is_off(manifest):
    answers = {**DEFAULTS, "project_slug": "svc", "use_pagination": False}
    removed = manifest.removed_paths(answers)
    assert {"src/svc/pagination_cursor.py", "src/svc/pagination_offset.py"} <= removed
    assert "src/svc/pagination.py" in removed


def test_a_path_shared_by_two_options_stays_while_either_is_chosen(manifest):
    answers = {**DEFAULTS, "project_slug": "svc", "use_pagination": False}
    assert "tests/sql_counter.py" not in manifest.removed_paths(answers)
    answers["use_eager_loading"] = False
    assert "tests/sql_counter.py" not in manifest.removed_paths(answers)  # caching uses it too
    answers["use_caching"] = False
    assert "tests/sql_counter.py" in manifest.removed_paths(answers)
