"""deploy/ stays coherent: the compose file names real services, volumes, commands and settings.

Where a Compose CLI is installed (`docker compose`, or Debian's `docker-compose`, which
`scripts/ensure-services.sh` installs), `config` validates the file against the Compose spec.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.main import app as cli
from memadvisor.settings import Settings

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


def test_the_env_example_fills_every_required_variable(compose: dict[str, Any]) -> None:
    text = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    example = set(re.findall(r"^([A-Z_]+)=", (DEPLOY / ".env.example").read_text(), re.M))
    assert required and required <= example


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_config_validates_the_file(tmp_path: Path) -> None:
    command = _compose_cli()
    if command is None:
        pytest.skip("no Compose CLI here (scripts/ensure-services.sh installs Debian's)")
    env = (DEPLOY / ".env.example").read_text()
    env = re.sub(r"^([A-Z_]*PASSWORD)=$", r"\1=example", env, flags=re.M)
    project = tmp_path / "deploy"
    shutil.copytree(DEPLOY, project)
    (project / ".env").write_text(env)
    checked = subprocess.run(
        [*command, "-f", str(project / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr
