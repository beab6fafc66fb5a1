"""shared/config.py: where the apps find the backend, with the environment set or unset."""

from __future__ import annotations

import subprocess
import sys

import pytest

from backend.local_supabase.config import Settings, load_secrets
from shared.config import LOCAL_API_URL, app_port, load_backend_config, local_stack_values


def _no_local_stack(env):
    raise AssertionError("the local stack must not be consulted")


def test_environment_wins():
    cfg = load_backend_config({"SUPABASE_URL": "https://abc.supabase.co/", "SUPABASE_ANON_KEY": "k"},
                              local_stack=_no_local_stack)
    assert (cfg.url, cfg.anon_key, cfg.source) == ("https://abc.supabase.co", "k", "environment")


def test_url_without_key_does_not_borrow_the_local_key():
    # The local stack's key would be wrong for another server.
    cfg = load_backend_config({"SUPABASE_URL": "https://abc.supabase.co"}, local_stack=_no_local_stack)
    assert (cfg.url, cfg.anon_key) == ("https://abc.supabase.co", "")


def test_unset_falls_back_to_the_local_stack():
    cfg = load_backend_config({}, local_stack=lambda env: ("http://127.0.0.1:6000", "local-key"))
    assert (cfg.url, cfg.anon_key, cfg.source) == ("http://127.0.0.1:6000", "local-key", "local stack")


def test_unset_url_keeps_a_key_from_the_environment():
    cfg = load_backend_config({"SUPABASE_ANON_KEY": "env-key"}, local_stack=lambda env: ("http://127.0.0.1:6000", "x"))
    assert (cfg.url, cfg.anon_key) == ("http://127.0.0.1:6000", "env-key")


def test_blank_values_count_as_unset():
    cfg = load_backend_config({"SUPABASE_URL": "  ", "SUPABASE_ANON_KEY": ""},
                              local_stack=lambda env: ("http://127.0.0.1:6000", "local-key"))
    assert (cfg.url, cfg.anon_key) == ("http://127.0.0.1:6000", "local-key")


def test_without_the_backend_package_the_default_local_url_is_used():
    cfg = load_backend_config({}, local_stack=lambda env: None)
    assert (cfg.url, cfg.anon_key) == (LOCAL_API_URL, "")


def test_local_stack_values_before_the_stack_ever_ran(tmp_path):
    env = {"CITYLOOP_HOME": str(tmp_path / "home"), "CITYLOOP_API_PORT": "6123"}
    assert local_stack_values(env) == ("http://127.0.0.1:6123", "")
    assert not (tmp_path / "home").exists(), "reading the config must not create the stack's secrets"


def test_local_stack_values_read_the_stack_secrets(tmp_path):
    env = {"CITYLOOP_HOME": str(tmp_path), "CITYLOOP_API_PORT": "6124"}
    secrets = load_secrets(Settings.from_environ(env))
    assert local_stack_values(env) == ("http://127.0.0.1:6124", secrets.anon_key)
    assert load_backend_config(env).anon_key == secrets.anon_key


@pytest.mark.parametrize(("app", "env", "port"), [
    ("citizen_app", {}, 8550),
    ("grid_app", {}, 8551),
    ("citizen_app", {"CITYLOOP_CITIZEN_PORT": "9000"}, 9000),
    ("grid_app", {"CITYLOOP_GRID_PORT": " 9001 "}, 9001),
])
def test_app_port(app, env, port):
    assert app_port(app, env) == port


@pytest.mark.parametrize("value", ["abc", "0", "70000"])
def test_app_port_rejects_bad_values_with_the_variable_name(value):
    with pytest.raises(ValueError, match="CITYLOOP_GRID_PORT"):
        app_port("grid_app", {"CITYLOOP_GRID_PORT": value})


def test_shared_does_not_import_flet():
    code = "import sys, shared.config, shared.health, shared.fonts; assert 'flet' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_command_flush_seconds_has_a_default_and_refuses_nonsense():
    from shared.config import COMMAND_FLUSH_DEFAULT_S, command_flush_seconds

    assert command_flush_seconds({}) == COMMAND_FLUSH_DEFAULT_S == 10
    assert command_flush_seconds({"CITYLOOP_COMMAND_FLUSH_SECONDS": " 30 "}) == 30
    for value in ("soon", "0", "86400"):
        with pytest.raises(ValueError, match="CITYLOOP_COMMAND_FLUSH_SECONDS"):
            command_flush_seconds({"CITYLOOP_COMMAND_FLUSH_SECONDS": value})
