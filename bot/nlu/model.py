"""The trained model: named by a hash of its inputs, trained only when they change.

``python -m bot.nlu.model`` prints the model's path, training it first if it is missing.
"""

from __future__ import annotations

import ast
import hashlib
import subprocess
import sys
from pathlib import Path

import yaml

from bot.settings import ROOT

MODELS_DIR = ROOT / "models"
TRAINING_DATA = (
    "config.yml",
    "domain.yml",
    "data/nlu",
    "data/languages",
    "data/rules.yml",
)
DATA_FILES = {".yml", ".txt"}


def _project_imports(path: Path) -> set[Path]:
    """The files of our own modules that a module imports (``bot.*``, ``actions.*``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] not in ("bot", "actions"):
                continue
            base = ROOT.joinpath(*name.split("."))
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if candidate.is_file():
                    found.add(candidate)
    return found


def component_code() -> list[Path]:
    """Our pipeline components' modules and every module of ours they import.

    The stored model calls this code (the classifier keeps text normalised by
    ``bot.nlu.text``): editing any of it must retrain, so all of it is hashed.
    """
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    todo = {
        ROOT.joinpath(*str(step["name"]).split(".")[:-1]).with_suffix(".py")
        for step in pipeline.get("pipeline", []) + pipeline.get("policies", [])
        if str(step.get("name", "")).startswith("bot.")
    }
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo |= _project_imports(path) - seen
    return sorted(seen)


def training_files(languages: list[str] | None = None) -> list[Path]:
    """Every file whose content changes what ``rasa train`` produces.

    With ``languages``, only their NLU data counts (for models of a subset).
    """
    files: list[Path] = []
    for name in TRAINING_DATA:
        path = ROOT / name
        if path.is_dir():
            files.extend(sorted(f for f in path.rglob("*.*") if f.suffix in DATA_FILES))
        elif path.exists():
            files.append(path)
    if languages is not None:
        nlu = ROOT / "data" / "nlu"
        files = [f for f in files if nlu not in f.parents or f.parent.name in languages]
    return files + component_code()


def data_hash(languages: list[str] | None = None) -> str:
    """A short hash of the training inputs and the Rasa version."""
    from importlib.metadata import version

    digest = hashlib.sha256(version("rasa").encode())
    for path in training_files(languages):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    """Where the model for the current training inputs lives."""
    return MODELS_DIR / f"assistant-{data_hash()}.tar.gz"


def ensure_model() -> Path:
    """The current model, trained now if the data changed since the last training."""
    path = model_path()
    if path.exists():
        return path
    print(f"Training the model ({path.name}); this takes a few minutes...", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data/nlu",
            "data/rules.yml",
            "--out",
            str(MODELS_DIR),
            "--fixed-model-name",
            path.name[: -len(".tar.gz")],
        ],
        cwd=ROOT,
        check=True,
    )
    return path


if __name__ == "__main__":
    print(ensure_model())
