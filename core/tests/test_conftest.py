"""The root conftest's helpers for browser tests: a test run leaves the git tree as it was."""

from pathlib import Path

import conftest


class RecordingPage:
    """Stands in for a Playwright page: writes what `page.screenshot(path=…)` would write."""

    def __init__(self):
        self.paths: list[str] = []

    def screenshot(self, *, path: str, full_page: bool) -> bytes:
        Path(path).write_bytes(b"\x89PNG fake")
        self.paths.append(path)
        return b"\x89PNG fake"


def test_screenshot_writes_nothing_unless_screenshots_are_asked_for(monkeypatch, tmp_path):
    shots = tmp_path / "screenshots"
    monkeypatch.setattr(conftest, "SCREENSHOTS_DIR", shots)
    page = RecordingPage()

    for unset in (None, "", "0", "no"):
        if unset is None:
            monkeypatch.delenv("SCREENSHOTS", raising=False)
        else:
            monkeypatch.setenv("SCREENSHOTS", unset)
        assert conftest.screenshot(page, "console-home") is None
    assert page.paths == []
    assert not shots.exists()

    monkeypatch.setenv("SCREENSHOTS", "1")
    written = conftest.screenshot(page, "console-home")
    assert written == shots / "console-home.png"
    assert page.paths == [str(shots / "console-home.png")]
    assert written.read_bytes() == b"\x89PNG fake"
