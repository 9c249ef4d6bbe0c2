"""Settings come from one table, and the README and `serve --help` say the same
(after datasette's test_settings_are_documented)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from skillport_connector.errors import ConfigError
from skillport_connector.settings import Settings, demo_marketplace
from skillport_connector.settings_table import SETTINGS, markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def serve_help() -> str:
    return subprocess.run(
        [sys.executable, "-m", "skillport_connector.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_the_readme_configuration_table_is_generated_from_the_settings_table():
    assert markdown_table() in README.read_text(encoding="utf-8"), (
        "README.md's configuration table is stale: paste "
        "skillport_connector.settings_table.markdown_table() in its place"
    )


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env or s.flag or "?")
def test_every_setting_is_in_serve_help(setting, serve_help):
    if setting.env:
        assert setting.env in serve_help
    if setting.flag:
        assert setting.flag in serve_help


def test_every_settings_field_read_from_the_environment_is_in_the_table():
    documented = {s.field for s in SETTINGS if s.field}
    internal = {"demo_path", "min_refresh_interval"}  # set by code and tests, not operators
    assert documented | internal == set(Settings.__dataclass_fields__)


def test_every_variable_in_the_readme_table_is_a_setting():
    section = README.read_text(encoding="utf-8").split("## Configuration", 1)[1]
    table = section[section.index("| Variable |") :].split("\n\n", 1)[0]
    names = set(re.findall(r"`(SKILLPORT_[A-Z_]+)`", table))
    assert names == {s.env for s in SETTINGS if s.env}


def test_each_variable_is_read_with_its_cast(tmp_path):
    env = {
        "SKILLPORT_PORT": "9000",
        "SKILLPORT_POLL_INTERVAL": "5",
        "SKILLPORT_MCP_CLASSIC_TOOLS": "true",
        "SKILLPORT_ALLOWED_DOMAINS": "Acme.com, acme.io",
        "SKILLPORT_TRUSTED_PROXIES": "10.0.0.0/8",
        "SKILLPORT_MAX_FILE_BYTES": "1000",
        "SKILLPORT_AUDIT_LOG": "",
        "SKILLPORT_RATE_LIMIT_REGISTER": "7",
    }
    s = Settings.from_env(env, marketplace=demo_marketplace(), data_dir=tmp_path)
    assert (s.port, s.poll_interval, s.mcp_classic_tools) == (9000, 5.0, True)
    assert s.allowed_domains == ("acme.com", "acme.io")
    assert s.trusted_proxies == ("10.0.0.0/8",) and s.limits.max_file_bytes == 1000
    assert s.audit_log == "" and s.rate_limit_register == 7


def test_flags_win_over_the_environment(tmp_path, monkeypatch):
    from skillport_connector.cli import _settings, build_parser

    monkeypatch.setenv("SKILLPORT_PORT", "9000")
    args = build_parser().parse_args(["serve", "--port", "9100", "--data-dir", str(tmp_path)])
    assert _settings(args).port == 9100


def test_a_misspelt_key_in_the_configuration_file_stops_the_start(tmp_path):
    path = tmp_path / "skillport.toml"
    path.write_text('SKILLPORT_PORTT = "8800"\n')
    hint = r"unknown key 'SKILLPORT_PORTT' \(did you mean SKILLPORT_PORT\?\)"
    with pytest.raises(ConfigError, match=hint):
        Settings.from_env({"SKILLPORT_CONFIG": str(path)})
    path.write_text('port = "8800"\n')
    with pytest.raises(ConfigError, match="unknown key 'port'"):
        Settings.from_env({"SKILLPORT_CONFIG": str(path)})


def test_the_log_format_comes_from_the_configuration_file_too(tmp_path):
    path = tmp_path / "skillport.toml"
    path.write_text('SKILLPORT_LOG_FORMAT = "json"\n')
    assert Settings.from_env({"SKILLPORT_CONFIG": str(path)}).log_format == "json"
    with pytest.raises(ConfigError, match="SKILLPORT_LOG_FORMAT must be text or json"):
        Settings.from_env({"SKILLPORT_LOG_FORMAT": "yaml"})
