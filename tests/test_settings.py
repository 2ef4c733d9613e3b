"""Production settings: refuse insecure secrets, and `check --deploy` has nothing to report."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NIK_KEYS = {
    "NIK_ENCRYPTION_KEYS": "k1:" + "A" * 43,
    "NIK_HMAC_KEY": "B" * 43,
    "CARD_SIGNING_KEY": "C" * 43,
}
STRONG_KEY = "k3J9xPq2Lm8Vt4Rz7Wn1Bc6Yd5Fh0Gs2Ju8Ia3Oe9Ku7Ly4Mw1Nx6Pv0Qb5Rc2Sd"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "NIK_ENCRYPTION_KEYS", "NIK_HMAC_KEY"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_under_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "DEBUG",
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="umkm.example.go.id",
        **NIK_KEYS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The one silenced check is axes.W006 (settings.py says why: lockouts are per username).
    assert "System check identified no issues (1 silenced)." in result.stdout


@pytest.mark.parametrize("secret", ["", "django-insecure-abc", "changeme"])
def test_production_refuses_to_start_with_a_missing_or_default_secret(secret):
    result = manage("check", DEBUG="0", SECRET_KEY=secret, **NIK_KEYS)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_the_nik_keys():
    result = manage("check", DEBUG="0", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="umkm.example.go.id")
    assert result.returncode != 0
    assert "NIK_ENCRYPTION_KEYS" in result.stderr


def test_production_refuses_to_start_without_the_card_signing_key():
    keys = {name: value for name, value in NIK_KEYS.items() if name != "CARD_SIGNING_KEY"}
    result = manage("check", DEBUG="0", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="umkm.example.go.id", **keys)
    assert result.returncode != 0
    assert "CARD_SIGNING_KEY" in result.stderr


def test_the_image_builds_its_static_files_as_the_dockerfile_does(tmp_path):
    """The Dockerfile's build step: collectstatic with DEBUG off and the manifest storage, which refuses a
    file that references a missing one (a source map)."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    exported = dockerfile.split("RUN export ", 1)[1].split("&&", 1)[0]
    env = dict(pair.split("=", 1) for pair in exported.replace("\\", " ").split())
    assert {"DEBUG", "SECRET_KEY", "NIK_ENCRYPTION_KEYS", "NIK_HMAC_KEY", "CARD_SIGNING_KEY"} <= set(env)
    result = manage("collectstatic", "--no-input", "-v", "0", **env, STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.glob("vendor/chartjs/chart.umd.min.*.js"))
