"""The trained model: named by a hash of its inputs, trained only when they change.

``python -m bot.model`` prints the model's path, training it first if it is missing.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from bot.settings import ROOT

MODELS_DIR = ROOT / "models"
TRAINING_INPUTS = (
    "config.yml",
    "domain.yml",
    "data/nlu",
    "data/rules.yml",
    # Our trainable components and what they call: their code decides what training
    # produces (the classifier stores text normalised by bot/languages.py).
    "bot/intent_classifier.py",
    "bot/language_identifier.py",
    "bot/languages.py",
)


def training_files(languages: list[str] | None = None) -> list[Path]:
    """Every file whose content changes what ``rasa train`` produces.

    With ``languages``, only their NLU data counts (for models of a subset).
    """
    files: list[Path] = []
    for name in TRAINING_INPUTS:
        path = ROOT / name
        files.extend(sorted(path.rglob("*.yml")) if path.is_dir() else [path])
    if languages is not None:
        nlu = ROOT / "data" / "nlu"
        files = [f for f in files if nlu not in f.parents or f.parent.name in languages]
    return files


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
