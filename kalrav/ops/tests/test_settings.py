"""Bad settings stop Kalrav at start-up with a message that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kalrav.conf import Env, ImproperlyConfiguredVariable


def test_bool_accepts_common_spellings():
    env = Env({"A": "yes", "B": "0", "C": " On "})
    assert env.bool("A", False) is True
    assert env.bool("B", True) is False
    assert env.bool("C", False) is True
    assert env.bool("MISSING", True) is True


@pytest.mark.parametrize(
    ("method", "value", "args"),
    [
        ("bool", "maybe", (False,)),
        ("int", "ten", (1,)),
        ("list", "a,,b", ([],)),
        ("timezone", "Mars/Olympus", ("UTC",)),
    ],
)
def test_bad_values_name_the_variable(method, value, args):
    env = Env({"KALRAV_X": value})
    with pytest.raises(ImproperlyConfiguredVariable) as error:
        getattr(env, method)("KALRAV_X", *args)
    assert "KALRAV_X" in str(error.value)
    assert error.value.name == "KALRAV_X"


def test_int_bounds():
    env = Env({"N": "0"})
    with pytest.raises(ImproperlyConfiguredVariable, match="at least 1"):
        env.int("N", 5, minimum=1)


def test_url_schemes():
    env = Env({"DATABASE_URL": "mysql://db/kalrav", "REDIS_URL": "redis://"})
    with pytest.raises(ImproperlyConfiguredVariable, match="DATABASE_URL"):
        env.url("DATABASE_URL", None, schemes=("sqlite", "postgres"))
    with pytest.raises(ImproperlyConfiguredVariable, match="with a host"):
        env.url("REDIS_URL", None, schemes=("redis",))


def test_path_must_be_absolute_directory(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ImproperlyConfiguredVariable, match="absolute"):
        Env({"D": "relative/dir"}).path("D", Path("/tmp"))
    with pytest.raises(ImproperlyConfiguredVariable, match="directory"):
        Env({"D": str(a_file)}).path("D", Path("/tmp"))


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KALRAV_DEBUG", "perhaps"),
        ("DATABASE_URL", "mysql://localhost/kalrav"),
        ("KALRAV_ALLOWED_HOSTS", "example.com,,"),
        ("KALRAV_SECRET_KEY", "short"),
        ("KALRAV_LANGUAGE", "fr"),
        ("KALRAV_EMAIL_PORT", "99999"),
    ],
)
def test_kalrav_command_refuses_bad_settings(variable, value, tmp_path):
    env = {
        **os.environ,
        "KALRAV_DATA_DIR": str(tmp_path),
        variable: value,
        "KALRAV_EMAIL_HOST": "smtp.example.test",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "kalrav", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"configuration error: {variable}=" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "kalrav.sqlite3").exists(), (
        "nothing is written when the settings are wrong"
    )
