"""Production settings pass Django's deployment checks; models and migrations agree."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    full_env = {**os.environ, **env}
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # the browser tests set the latter
        full_env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY="x7!" + "k" * 60 + "Zq9#-production-like-secret", ALLOWED_HOSTS="fq.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="0", SECRET_KEY="", ALLOWED_HOSTS="fq.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_static_files_collect_for_production(tmp_path):
    """whitenoise's manifest storage must process every vendored file (a broken url() in a
    stylesheet would stop the deployment)."""
    result = run_manage(
        "collectstatic", "--noinput",
        DEBUG="0", SECRET_KEY="x7!" + "k" * 60, ALLOWED_HOSTS="fq.example.org", STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(tmp_path.glob("vendor/bootstrap-5.3.9/css/bootstrap.min.*.css"))
    assert (tmp_path / "staticfiles.json").exists()


def test_sessions_are_read_from_redis_when_there_is_one_and_never_from_process_memory():
    show = ("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SESSION_ENGINE)")
    with_redis = run_manage(*show, REDIS_URL="redis://127.0.0.1:6379/9")
    without = run_manage(*show, REDIS_URL="")
    assert with_redis.stdout.strip() == "django.contrib.sessions.backends.cached_db", with_redis.stderr
    assert without.stdout.strip() == "django.contrib.sessions.backends.db", without.stderr


def test_postgresql_connections_do_not_compile_queries(monkeypatch):
    """JIT off on the app's connections (a big table's query compiled for 100-200 ms to save
    less); DB_JIT=1 leaves it to the server, e.g. behind pgbouncer, which refuses the option."""
    from config.settings import database

    url = "postgres://postgres@127.0.0.1:5432/fengqiao"
    assert database(url)["OPTIONS"]["options"] == "-c jit=off"
    monkeypatch.setenv("DB_JIT", "1")
    assert "options" not in database(url)["OPTIONS"]
    assert "options" not in database("sqlite:///x.sqlite3")["OPTIONS"]


@pytest.mark.django_db
def test_the_test_database_connection_has_jit_off():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
