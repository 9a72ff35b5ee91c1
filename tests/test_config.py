"""The front-matter config: every bad file is one `file:line: message`, unknown keys are warned."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from report.config import Config, ConfigError, key_line, load_config

GOOD = '[front]\nnames = ["Ada Lovelace"]\ngroup = "G1"\n'


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "c.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str | bytes) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "\n" not in message
    return message.removeprefix(f"{path}:")


def test_non_utf8_file_names_the_line_and_the_fix(tmp_path):
    message = error_of(tmp_path, b'[front]\ngroup = "G1"\nnames = ["Jos\xe9"]\n')
    assert message == "3: not UTF-8 text (byte 0xe9); save the file as UTF-8"


def test_string_where_the_data_table_belongs(tmp_path):
    message = error_of(tmp_path, '# top level\ndata = "x"\n' + GOOD)
    assert message == "2: 'data' must be a table ([data] with keys mnist_dir), not a string"


def test_string_where_the_front_table_belongs(tmp_path):
    assert error_of(tmp_path, 'front = "me"\n').startswith("1: 'front' must be a table")


@pytest.mark.parametrize("names, why", [
    ("[]", "[front] names is empty; give at least one name"),
    ('["Ada", "  "]', "[front] names: entry 2 is empty"),
    ('"Ada"', "[front] names must be a list of strings"),
])
def test_empty_or_malformed_names_are_rejected(tmp_path, names, why):
    message = error_of(tmp_path, f'[front]\ngroup = "G1"\nnames = {names}\n')
    assert message.startswith(f"3: {why}")


def test_a_hundred_word_name_is_rejected_with_the_limit(tmp_path):
    name = " ".join(["word"] * 100)
    message = error_of(tmp_path, f'[front]\nnames = ["{name}"]\ngroup = "G1"\n')
    assert message == "2: [front] names: a name of 499 characters (at most 120 fit the title page)"


def test_student_numbers_must_pair_with_names(tmp_path):
    message = error_of(tmp_path, GOOD + 'student_numbers = ["s1", "s2"]\n')
    assert message.startswith("4: [front] student_numbers has 2 entries for 1 names")


def test_worked_alone_and_collaborators_exclude_each_other(tmp_path):
    message = error_of(tmp_path, GOOD + 'collaborators = ["Bob"]\nworked_alone = true\n')
    assert message.startswith("5: [front] worked_alone = true, but collaborators are listed")


def test_nested_tables_report_the_line_of_the_key_in_its_own_table(tmp_path):
    text = ('[data]\nmnist_dir = 3\n\n[front]\n# who\ngroup = "G1"\nnames = ["A"]\n')
    assert error_of(tmp_path, text).startswith("2: [data] mnist_dir must be a string")
    text = ('[data]\nnames = "decoy"\n[front]\ngroup = "G1"\nnames = 5\n')
    assert error_of(tmp_path, text).startswith("5: [front] names must be a list of strings")


def test_key_line_follows_headers_dotted_keys_and_multiline_strings():
    text = ('[front]\ncertification = """\nnames = not a key\n"""\nnames = ["A"]\n'
            '[front.extra]\nnames = 1\n[data]\nfront.names = 2\n')
    assert key_line(text, ("front", "names")) == 5
    assert key_line(text, ("front", "extra", "names")) == 7
    assert key_line(text, ("data", "front", "names")) == 9
    assert key_line(text, ("front", "group")) is None


def test_unknown_key_is_warned_with_the_valid_keys_and_a_suggestion(tmp_path, caplog):
    path = write(tmp_path, '[front]\nnmaes = ["A"]\nnames = ["A"]\ngroup = "G1"\n[extra]\n')
    with caplog.at_level(logging.WARNING, logger="build"):
        load_config(path)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == (f"{path}:2: warning: unknown key 'nmaes' in [front] (ignored); valid: "
                        "names, student_numbers, group, collaborators, worked_alone, "
                        "certification; did you mean 'names'?")
    assert lines[1].startswith(f"{path}:5: warning: unknown table or key 'extra' (ignored)")
    assert len(lines) == 2


def test_full_front_matter_is_read(tmp_path):
    path = write(tmp_path, '[front]\nnames = ["A  B", "C"]\nstudent_numbers = ["1", "2"]\n'
                           'group = "G1"\ncollaborators = ["D"]\n'
                           'certification = """\nFirst\nparagraph.\n\nSecond."""\n')
    config = load_config(path)
    assert config.authors == [("A B", "1"), ("C", "2")]
    assert config.collaborators == ("D",) and not config.worked_alone
    assert config.paragraphs == ["First paragraph.", "Second."]
    assert config.placeholders() == []


def test_the_shipped_report_toml_is_all_placeholders():
    config = load_config(Path(__file__).resolve().parent.parent / "report.toml")
    assert config.placeholders() == ["names", "student_numbers", "group"]
    assert config.worked_alone


def test_config_built_in_code_needs_only_names_group_and_data():
    config = Config(("A",), "G", None)
    assert config.authors == [("A", "")]
    assert config.texts == ["A", "G", ""]
