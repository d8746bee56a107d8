"""The shape of the house: imports flow one way, settings are declared once and documented,
prompts ship inside the package, and one question retrieves once."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

LAYERS = {"index": 0, "assistant": 1}
FRONT_DOORS = {"app", "cli", "eval", "ui", "bench", "tests"}


def imports_of(path: Path) -> set[str]:
    """Top-level module names a file imports (absolute imports, anywhere in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_imports_flow_one_way():
    """index → assistant → app / cli / eval / ui: no arrow back up, and only the web front door imports gradio."""
    problems = []
    for package, layer in LAYERS.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            imported = imports_of(path)
            for name in imported & (FRONT_DOORS | {p for p, l in LAYERS.items() if l > layer}):
                problems.append(f"{path.relative_to(ROOT)} imports {name}")
            if "gradio" in imported:
                problems.append(f"{path.relative_to(ROOT)} imports gradio")
    for path in sorted((ROOT / "eval").rglob("*.py")):
        for name in imports_of(path) & {"app", "cli", "ui", "gradio"}:
            problems.append(f"{path.relative_to(ROOT)} imports {name}")
    assert problems == []


def test_every_setting_is_described():
    from assistant.settings import Settings

    def walk(model, prefix=""):
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                yield from walk(annotation, f"{prefix}{name}.")
            else:
                yield f"{prefix}{name}", field.description

    missing = [name for name, description in walk(Settings) if not description]
    assert missing == []


def test_options_are_declared_once():
    """Chunking and retrieval options are the settings' own models, passed as they are."""
    from assistant.settings import Settings
    from index.options import ChunkingOptions, RetrievalOptions

    assert Settings.model_fields["chunking"].annotation is ChunkingOptions
    assert Settings.model_fields["retrieval"].annotation is RetrievalOptions
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "assistant").glob("*.py"))
    assert "route_boost=1.6" not in source and "FusionWeights" not in source


def test_prompts_ship_inside_the_wheel(tmp_path):
    """A non-editable install finds prompts, glossary and templates: they are package data."""
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("rathaus_chat-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("prompts/glossary.yaml", "prompts/answer.txt", "prompts/injection_patterns.txt",
                   "index/policy_areas.yaml", "ui/templates/sources.html", "eval/templates/report.html",
                   "eval/known_answers.yaml", "cli.py", "app.py"):
        assert needed in names, needed
    probe = ("import assistant, sys; from assistant.prompts import load_prompt; from assistant.query import Glossary; "
             "assert assistant.__file__.startswith(sys.argv[1]), assistant.__file__; "
             "g = Glossary.load(); assert g.abbreviations and '{question}' in load_prompt('answer'); print('ok')")
    run = subprocess.run([sys.executable, "-c", probe, str(wheel)], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(wheel), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert run.stdout.strip() == "ok", run.stderr
