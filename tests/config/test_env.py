"""The environment readers fail loudly, naming the variable; secrets persist once generated."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from facturier.config import env

NAME = "FACTURIER_TEST_SETTING"
FACTURIER = Path(sys.executable).with_name("facturier")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in (NAME, f"{NAME}_FILE"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def refused(call) -> str:
    with pytest.raises(ImproperlyConfigured) as caught:
        call()
    return str(caught.value)


# --- raw / NAME_FILE -------------------------------------------------------------------------------------


def test_unset_variable_gives_the_default():
    assert env.string(NAME, "fallback") == "fallback"
    assert env.boolean(NAME, True) is True
    assert env.integer(NAME, 7, minimum=1) == 7


def test_value_can_come_from_a_file(clean_env, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("  s3cret\n", encoding="utf-8")
    clean_env.setenv(f"{NAME}_FILE", str(secret))
    assert env.string(NAME, "") == "s3cret"


def test_name_and_name_file_both_set_is_refused(clean_env, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-file", encoding="utf-8")
    clean_env.setenv(NAME, "from-env")
    clean_env.setenv(f"{NAME}_FILE", str(secret))
    message = refused(lambda: env.string(NAME, ""))
    assert NAME in message and f"{NAME}_FILE" in message


def test_name_set_but_empty_with_name_file_is_still_refused(clean_env, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-file", encoding="utf-8")
    clean_env.setenv(NAME, "")
    clean_env.setenv(f"{NAME}_FILE", str(secret))
    assert f"{NAME}_FILE" in refused(lambda: env.string(NAME, ""))


def test_unreadable_name_file_is_refused(clean_env, tmp_path):
    missing = tmp_path / "nowhere" / "secret"
    clean_env.setenv(f"{NAME}_FILE", str(missing))
    message = refused(lambda: env.string(NAME, ""))
    assert f"{NAME}_FILE" in message and str(missing) in message


def test_name_file_pointing_at_a_directory_is_refused(clean_env, tmp_path):
    clean_env.setenv(f"{NAME}_FILE", str(tmp_path))
    assert f"{NAME}_FILE" in refused(lambda: env.string(NAME, ""))


# --- boolean / integer / choice --------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [("1", True), ("true", True), ("Yes", True), (" ON ", True),
                                            ("0", False), ("false", False), ("No", False), ("off", False)])
def test_boolean_accepts_the_usual_spellings(clean_env, text, expected):
    clean_env.setenv(NAME, text)
    assert env.boolean(NAME, not expected) is expected


@pytest.mark.parametrize("text", ["maybe", "2", "tru", "y e s", "-1"])
def test_bad_boolean_is_refused_naming_the_variable(clean_env, text):
    clean_env.setenv(NAME, text)
    message = refused(lambda: env.boolean(NAME, False))
    assert NAME in message and repr(text) in message


@pytest.mark.parametrize("text", ["ten", "1.5", "", "0x10"])
def test_non_integer_is_refused_naming_the_variable(clean_env, text):
    clean_env.setenv(NAME, text)
    message = refused(lambda: env.integer(NAME, 5))
    assert NAME in message


def test_integer_below_minimum_is_refused_naming_the_variable_and_the_minimum(clean_env):
    clean_env.setenv(NAME, "1023")
    message = refused(lambda: env.integer(NAME, 4096, minimum=1024))
    assert NAME in message and "1024" in message
    clean_env.setenv(NAME, "1024")
    assert env.integer(NAME, 4096, minimum=1024) == 1024


def test_bad_choice_is_refused_listing_the_choices(clean_env):
    clean_env.setenv(NAME, "celery")
    message = refused(lambda: env.choice(NAME, "database", ("database", "immediate")))
    assert NAME in message and "database" in message and "immediate" in message
    clean_env.setenv(NAME, "Immediate")
    assert env.choice(NAME, "database", ("database", "immediate")) == "immediate"


def test_bad_default_choice_is_refused_too():
    assert NAME in refused(lambda: env.choice(NAME, "nope", ("a", "b")))


def test_csv_splits_and_drops_blanks(clean_env):
    clean_env.setenv(NAME, " a.example, ,b.example ,")
    assert env.csv(NAME, "") == ["a.example", "b.example"]


# --- secrets ---------------------------------------------------------------------------------------------


def test_persistent_secret_is_generated_once_then_reused(tmp_path):
    path = tmp_path / "data" / "secret_key"
    first = env.persistent_secret(NAME, path, nbytes=48)
    assert path.exists()
    assert len(base64.b64decode(first)) == 48
    assert env.persistent_secret(NAME, path, nbytes=48) == first
    assert path.stat().st_mode & 0o077 == 0, "the generated secret must be readable by its owner only"


def test_persistent_secret_differs_between_installations(tmp_path):
    assert (env.persistent_secret(NAME, tmp_path / "a", nbytes=48)
            != env.persistent_secret(NAME, tmp_path / "b", nbytes=48))


def test_persistent_secret_from_the_environment_wins_and_writes_nothing(clean_env, tmp_path):
    path = tmp_path / "secret_key"
    clean_env.setenv(NAME, "explicit")
    assert env.persistent_secret(NAME, path, nbytes=48) == "explicit"
    assert not path.exists()


def test_master_key_is_generated_as_32_bytes_and_reused(tmp_path):
    path = tmp_path / "master.key"
    key = env.master_key(NAME, path)
    assert isinstance(key, bytes) and len(key) == 32
    assert env.master_key(NAME, path) == key


def test_master_key_that_is_not_base64_is_refused(clean_env, tmp_path):
    clean_env.setenv(NAME, "not base64 at all!")
    message = refused(lambda: env.master_key(NAME, tmp_path / "master.key"))
    assert NAME in message and "base64" in message


@pytest.mark.parametrize("size", [16, 31, 33, 64])
def test_master_key_of_the_wrong_length_is_refused(clean_env, tmp_path, size):
    clean_env.setenv(NAME, base64.b64encode(b"k" * size).decode())
    message = refused(lambda: env.master_key(NAME, tmp_path / "master.key"))
    assert NAME in message and "32" in message and str(size) in message


def test_master_key_from_a_file_is_checked_too(clean_env, tmp_path):
    secret = tmp_path / "mounted"
    secret.write_text(base64.b64encode(b"k" * 16).decode(), encoding="ascii")
    clean_env.setenv(f"{NAME}_FILE", str(secret))
    assert NAME in refused(lambda: env.master_key(NAME, tmp_path / "master.key"))
    secret.write_text(base64.b64encode(b"k" * 32).decode(), encoding="ascii")
    assert env.master_key(NAME, tmp_path / "master.key") == b"k" * 32


def test_corrupt_stored_master_key_is_refused(tmp_path):
    path = tmp_path / "master.key"
    path.write_text("###\n", encoding="ascii")
    assert NAME in refused(lambda: env.master_key(NAME, path))


# --- the `facturier` command -----------------------------------------------------------------------------


def run_check(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("FACTURIER_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    environ.update(FACTURIER_DATA_DIR=str(tmp_path / "data"), **extra)
    return subprocess.run([str(FACTURIER), "check"], check=False, env=environ, capture_output=True, text=True,
                          timeout=120)


def test_facturier_check_passes_on_a_clean_data_dir(tmp_path):
    result = run_check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "secret_key").exists()


def test_facturier_check_fails_loudly_on_a_bad_boolean(tmp_path):
    result = run_check(tmp_path, FACTURIER_DEBUG="maybe")
    assert result.returncode != 0
    assert "FACTURIER_DEBUG" in result.stdout + result.stderr


def test_facturier_command_reports_a_bad_setting_in_one_line_without_a_traceback(tmp_path):
    """An operator's typo deserves the message, not 50 lines of Django internals."""
    result = run_check(tmp_path, FACTURIER_DEBUG="maybe")
    assert result.returncode != 0
    assert "FACTURIER_DEBUG='maybe' is not a boolean" in result.stderr
    assert "Traceback" not in result.stderr
