"""`scripts/screenshots.py` against a demo server: every listed shot written, at 1280x800.

The script regenerates docs/screenshots/ by hand; this keeps it working as the pages change.
"""

from __future__ import annotations

import importlib.util
import struct
import sys
from pathlib import Path
from types import ModuleType

from browser_kit import DemoServer
from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "screenshots.py"
DOCS = ROOT / "docs" / "screenshots"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("trackguard_screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])  # the IHDR chunk comes first
    return width, height


def test_the_screenshot_script_takes_every_shot(
    demo_server: DemoServer, browser: Browser, tmp_path: Path
) -> None:
    script = load_script()
    taken = script.shoot_all(browser, demo_server.base_url, tmp_path)

    names = [s.name for s in script.SHOTS]
    assert sorted(p.name for p in taken) == sorted(names)
    for path in taken:
        assert png_size(path) == (1280, 800), path.name
    # The committed gallery is the same set of files the script writes.
    assert sorted(p.name for p in DOCS.glob("*.png")) == sorted(names)
