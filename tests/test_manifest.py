"""The post-generation manifest is the single source of truth for what each option owns."""

from options import CODE_OPTIONS, DEFAULTS, TEMPLATE

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
    assert manifest.removed_paths(answers) == set()
    assert manifest.removed_paths({**answers, "open_source_license": "Not open source"}) == {
        "LICENSE"
    }
