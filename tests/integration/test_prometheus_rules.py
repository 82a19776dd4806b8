"""The Prometheus config and alert rules pass promtool's checks, and every alert's unit tests pass (deploy/prometheus/)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PROM = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None, reason="needs promtool (Debian's prometheus package)")


def _promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", *args], cwd=PROM, capture_output=True, text=True, timeout=60)


def test_the_compose_prometheus_config_is_valid_and_finds_the_rule_file():
    result = _promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout


def test_the_alert_rules_are_valid():
    result = _promtool("check", "rules", "rules/credbridge.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 10 rules found" in result.stdout


def test_each_alert_fires_on_its_story_and_stays_quiet_otherwise():
    result = _promtool("test", "rules", "tests/alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test_and_a_one_line_runbook():
    rules = (PROM / "rules" / "credbridge.yml").read_text()
    tests = (PROM / "tests" / "alerts_test.yml").read_text()
    alerts = [line.split(":", 1)[1].strip() for line in rules.splitlines() if line.strip().startswith("- alert:")]
    assert len(alerts) == 9
    assert [a for a in alerts if f"alertname: {a}" not in tests] == []
    assert rules.count("runbook: ") == len(alerts)


def test_a_broken_alert_rule_is_caught_by_the_unit_tests(tmp_path):
    """The alert tests can fail: a threshold raised tenfold makes the 5xx story stop paging."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "rules" / "credbridge.yml").write_text((PROM / "rules" / "credbridge.yml").read_text().replace("> 0.05", "> 0.5"))
    (tmp_path / "tests" / "alerts_test.yml").write_text((PROM / "tests" / "alerts_test.yml").read_text())
    result = subprocess.run(["promtool", "test", "rules", "tests/alerts_test.yml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "CredbridgeWebhook5xxRatioHigh" in result.stdout + result.stderr
