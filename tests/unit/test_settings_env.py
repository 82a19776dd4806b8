"""Settings.from_env converts each variable with its field's default's type, so every default must be one it can."""
from __future__ import annotations

from dataclasses import fields

from shared.settings import Settings


def test_every_setting_has_a_str_int_or_float_default_that_from_env_can_convert_text_to():
    # bool("false") is True: a bool default would read every value as true.
    kinds = {f.name: type(f.default) for f in fields(Settings)}
    assert {name: kind for name, kind in kinds.items() if kind not in (str, int, float)} == {}


def test_an_environment_variable_is_read_as_its_settings_type(monkeypatch):
    monkeypatch.setenv("FETCH_MAX_REDIRECTS", "2")
    monkeypatch.setenv("INGEST_PULL_BACKOFF_SECONDS", "0.25")
    settings = Settings.from_env()
    assert (settings.fetch_max_redirects, settings.ingest_pull_backoff_s) == (2, 0.25)
