"""The README documents every setting the code reads, so the table cannot drift from shared/settings.py."""
from pathlib import Path

from shared.settings import settings_table

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_environment_variable_the_code_reads_is_in_the_readme_settings_table():
    missing = [var for var, _default, _doc in settings_table() if f"`{var}`" not in README]
    assert missing == []


def test_the_quickstart_is_the_two_make_commands():
    assert "make run" in README and "make test" in README
