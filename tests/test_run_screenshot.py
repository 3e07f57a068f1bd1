"""`latentwalk run --frames N --screenshot F`, as a script runs it: the picture shows the UI, as the
help says, even for N = 1 (ImGui shows a window only from its second frame, and the layout stacks
panels on the sizes of the frame before)."""
import numpy as np
import pytest
from PIL import Image

from latentwalk.scenes.explorer.panels.layout import MARGIN
from tests.kiosk_helpers import tiny_bundle  # noqa: F401
from tests.test_kiosk_cli import TITLE_BAR_COLOURS, latentwalk, title_bar_rows

SIZE = (640, 480)


def is_title_bar(pixel) -> bool:
    return tuple(int(v) for v in pixel) in TITLE_BAR_COLOURS


@pytest.mark.usefixtures("display")
def test_a_one_frame_screenshot_shows_the_panels_where_the_layout_places_them(tmp_path, tiny_bundle):
    shot = tmp_path / "one.png"
    result = latentwalk("run", "--model", str(tiny_bundle), "--frames", "1", "--screenshot", str(shot),
                        "--size", f"{SIZE[0]}x{SIZE[1]}", "--no-vsync")
    assert result.returncode == 0, result.stderr
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[:2] == (SIZE[1], SIZE[0]) and title_bar_rows(shot) > 0
    # Output: the right column's first panel, its title bar from the top-right corner's margin
    title_row = pixels[int(MARGIN) + 6, SIZE[0] - int(MARGIN) - 60:SIZE[0] - int(MARGIN) - 30]
    assert all(is_title_bar(pixel) for pixel in title_row), title_row[:3]
    # the left column below the Help button: a panel's title bar at the left margin, in the top third
    left = pixels[:SIZE[1] // 3, int(MARGIN) + 30:int(MARGIN) + 60]
    assert any(all(is_title_bar(pixel) for pixel in row) for row in left)
