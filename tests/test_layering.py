"""The house rule: the core and the models know no screen, no queue and no network."""
import pkgutil
import subprocess
import sys

import tui_notifier.core as core

FORBIDDEN = ("textual", "huey", "aiohttp", "requests", "falcon")


def test_core_and_models_import_no_screen_queue_or_network():
    names = ["tui_notifier.models"] + sorted(
        f"tui_notifier.core.{m.name}" for m in pkgutil.iter_modules(core.__path__)
    )
    code = (
        "import sys, importlib\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        f"print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core pulls in {out.stdout.strip()}"
    assert len(names) > 5
