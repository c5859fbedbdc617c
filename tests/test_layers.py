"""The architecture's rule: the core never imports the UI toolkit."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import labeltui.core
import labeltui.core.dataset
import pkgutil, importlib
for info in pkgutil.walk_packages(labeltui.core.__path__, "labeltui.core."):
    importlib.import_module(info.name)
leaked = sorted(
    name for name in sys.modules
    if name.split(".")[0] in ("textual", "rich")
)
print(",".join(leaked))
"""


def test_core_never_imports_textual_or_rich() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "", f"core imported: {result.stdout.strip()}"


def test_headless_commands_do_not_import_textual() -> None:
    check = (
        "import sys\n"
        "from labeltui import cli\n"
        "import labeltui.commands.analyze, labeltui.commands.export\n"
        "import labeltui.commands.train, labeltui.commands.predict\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"
