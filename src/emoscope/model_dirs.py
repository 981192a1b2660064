"""Where model directories are: the models shipped inside the package, model packages installed
beside it (entry points), and the names and aliases that stand for them.  :mod:`emoscope.persistence`
(which owns what is inside a directory) re-exports all of it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Optional, Union

from .errors import ModelLoadError

CONFIG_FILE = "config.json"  # a folder holding one is a model directory


def shipped_model_dir(name: str) -> Path:
    """The folder of a model that ships inside the package (it may not exist)."""
    return Path(str(resources.files("emoscope") / "models" / name))


def shipped_model_names() -> list[str]:
    root = Path(str(resources.files("emoscope") / "models"))
    return sorted(p.name for p in root.iterdir() if (p / CONFIG_FILE).is_file()) if root.is_dir() else []


# Names that stand for a model: the tiers users ask for by what they need.
ALIASES = {"fast": "multidomain-minilm", "accurate": "emoscope-accurate",
           # the default model before multidomain-minilm, which keeps its encoder and labels
           "goemotions-minilm": "multidomain-minilm"}
# Models that ship as their own package in this repository (too large for the main one), and the
# command that installs each from a clone.
PACKAGES = {"emoscope-accurate": "pip install ./models/emoscope-accurate"}
ENTRY_POINTS = "emoscope.models"  # an installed model package registers {name: "module:function"}


def installed_model_dir(name: str) -> Optional[Path]:
    """The folder of a model installed as its own package (entry point group ``emoscope.models``)."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINTS):
        if entry.name == name:
            return Path(entry.load()())
    return None


def installed_model_names() -> list[str]:
    """Models installed as packages of their own (entry point group ``emoscope.models``)."""
    from importlib.metadata import entry_points

    return sorted(entry.name for entry in entry_points(group=ENTRY_POINTS))


def resolve_model_dir(spec: Union[str, Path, None], default: str) -> Path:
    """The directory of ``spec``: ``None`` is the model ``default``; an existing path is itself;
    otherwise a name (or an alias, :data:`ALIASES`) of a shipped model or of an installed model
    package.  A known model package that is not installed raises :class:`ModelLoadError` with
    the command that installs it; an unknown name stays a path, for :func:`read_model` to report."""
    if spec is not None and Path(spec).exists():
        return Path(spec)
    name = str(default if spec is None else spec)
    name = ALIASES.get(name, name)
    if shipped_model_dir(name).is_dir():
        return shipped_model_dir(name)
    installed = installed_model_dir(name)
    if installed is not None:
        if not (installed / CONFIG_FILE).is_file():
            raise ModelLoadError(f"the installed package of model {name!r} holds no trained model ({installed}): "
                                 f"train it into the package (docs/training.md) and install it again")
        return installed
    if name in PACKAGES:
        raise ModelLoadError(f"model {name!r} is not installed: {PACKAGES[name]} (from a clone of emoscope)")
    return Path(name if spec is None else spec)
