"""A model assembled from packages is loaded only with its pinned hash, assembled once, atomically.

The mechanism runs on small packages made here (real files on `sys.path`, found as the installed
parts are); the real Qwen parts are assembled in `tests/test_real_qwen.py`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from agent.model import gguf
from agent.model.capabilities import capabilities, context_window, switch_command
from agent.model.errors import LLMUnavailableError
from agent.model.gguf import gguf_name, gguf_path
from agent.model.weights import QWEN_CODER_05B, ModelFileError, PackagedModel, packaged_gguf
from memadvisor.settings import Settings

PIECES = [b"GGUF" + bytes(range(256)) * 40, b"second piece " * 500, b"last"]


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PackagedModel:
    """Three packages `weights_test_partN` on sys.path, each with `data/partNN.bin`."""
    site = tmp_path / "site"
    for number, piece in enumerate(PIECES, start=1):
        data = site / f"weights_test_part{number}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"part{number:02d}.bin").write_bytes(piece)
    monkeypatch.syspath_prepend(str(site))
    whole = b"".join(PIECES)
    return PackagedModel(
        name="test-model",
        file_name="test-model.gguf",
        parts=tuple(f"weights_test_part{n}" for n in range(1, 4)),
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        extra="test",
    )


def test_the_pieces_are_assembled_in_order_once_and_nothing_else_is_left(
    model: PackagedModel, tmp_path: Path
) -> None:
    folder = tmp_path / "models"
    path = packaged_gguf(model, folder)
    assert path == folder / "test-model.gguf" and path.read_bytes() == b"".join(PIECES)
    assert [p.name for p in folder.iterdir()] == ["test-model.gguf"]  # no temporary file
    mtime = path.stat().st_mtime_ns
    assert packaged_gguf(model, folder) == path and path.stat().st_mtime_ns == mtime


def test_a_wrong_hash_is_refused_and_nothing_is_cached(
    model: PackagedModel, tmp_path: Path
) -> None:
    tampered = PackagedModel(**{**_fields(model), "sha256": "0" * 64})
    folder = tmp_path / "models"
    with pytest.raises(ModelFileError, match="Refusing to load test-model") as refused:
        packaged_gguf(tampered, folder)
    assert model.sha256 in str(refused.value) and "0" * 64 in str(refused.value)
    assert list(folder.iterdir()) == []


def test_a_cached_file_that_changed_is_assembled_anew(model: PackagedModel, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "test-model.gguf").write_bytes(b"GGUF but not the pinned one")
    path = packaged_gguf(model, folder)
    assert path.read_bytes() == b"".join(PIECES)


def test_missing_packages_say_which_extra_to_install(tmp_path: Path) -> None:
    missing = PackagedModel(
        name="gone", file_name="gone.gguf", parts=("no_such_part1",), size=1, sha256="0", extra="x"
    )
    with pytest.raises(ModelFileError, match=r"\.\[x\]"):
        packaged_gguf(missing, tmp_path)


def test_the_qwen_option_is_declared_and_named_without_assembling_it(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, llamacpp_model="qwen2.5-coder-0.5b")
    caps = capabilities(settings)
    assert caps.languages == ("zh", "en") and caps.structured_output == "json_schema"
    assert caps.advice and not caps.demo and caps.context_window == 4096
    assert caps.model == "llamacpp:qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    assert gguf_name(settings) == QWEN_CODER_05B.file_name
    assert not (tmp_path / "models").exists()  # declaring it assembled nothing
    assert "ollama" in switch_command(settings)  # it already writes Chinese: the next step up
    assert context_window(settings.model_copy(update={"llamacpp_n_ctx": 8192})) == 8192


def test_the_bundled_model_stays_the_default_and_points_at_the_qwen_option(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    caps = capabilities(settings)
    assert caps.demo and caps.languages == ("en",) and caps.context_window == 2048
    assert switch_command(settings) == "MEMADVISOR_LLAMACPP_MODEL=qwen2.5-coder-0.5b make run"


def test_a_failed_assembly_is_a_model_unavailable_error_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, llamacpp_model="qwen2.5-coder-0.5b")
    gone = PackagedModel(**{**_fields(QWEN_CODER_05B), "parts": ("no_such_part1",)})
    monkeypatch.setitem(gguf.PACKAGED, QWEN_CODER_05B.name, gone)
    with pytest.raises(LLMUnavailableError, match=r"qwen2\.5-coder-0\.5b make run"):
        gguf_path(settings)


def _fields(model: PackagedModel) -> dict[str, object]:
    return {name: getattr(model, name) for name in PackagedModel.__slots__}
