"""Import boundaries: what each entry point may and may not load."""

from __future__ import annotations

import subprocess
import sys


def modules_loaded_by(code: str, *, roots: tuple[str, ...]) -> list[str]:
    """Run code in a fresh interpreter; return the loaded modules under roots."""
    check = (
        f"{code}\n"
        "import sys\n"
        f"print(','.join(sorted(m for m in sys.modules "
        f"if m.split('.')[0] in {roots!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    )
    return [name for name in result.stdout.strip().split(",") if name]


def test_core_never_imports_textual_or_rich() -> None:
    every_core_module = (
        "import importlib, pkgutil, labeltui.core\n"
        "for info in pkgutil.walk_packages(labeltui.core.__path__, 'labeltui.core.'):\n"
        "    importlib.import_module(info.name)"
    )

    assert modules_loaded_by(every_core_module, roots=("textual", "rich")) == []


def test_headless_commands_do_not_import_textual() -> None:
    commands = (
        "from labeltui import cli\n"
        "import labeltui.commands.analyze, labeltui.commands.export\n"
        "import labeltui.commands.train, labeltui.commands.predict"
    )

    assert modules_loaded_by(commands, roots=("textual",)) == []


def test_importing_the_analysis_does_not_load_the_model_stack() -> None:
    heavy = ("sklearn", "cleanlab", "scipy")

    assert modules_loaded_by("import labeltui.core.analysis", roots=heavy) == []
