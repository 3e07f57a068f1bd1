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


def test_a_scripted_screenshot_waits_for_the_decoded_image_it_asked_for(gl_app, tiny_bundle, tmp_path,
                                                                      monkeypatch):
    """A point selected before the first frame: its image comes from the decoder's thread, after the
    model's load. The screenshot of `--frames 1` shows it, not "(decoding...)"."""
    import threading

    from latentwalk.scenes.explorer.core.commands import Select
    from latentwalk.scenes.explorer.model.decoding import DecodeJob
    from latentwalk.subcommands.run import run_then_screenshot
    from tests.explorer_helpers import decoded, open_explorer, sample_picture

    loaded = threading.Event()  # the model loads a while after the first frame, as torch's import makes it
    load = DecodeJob.setup
    monkeypatch.setattr(DecodeJob, "setup", lambda job: (loaded.wait(5.0), load(job))[1])
    app, scene = open_explorer(gl_app, tiny_bundle, SIZE, panels=True, warm_frames=0)
    threading.Timer(0.5, loaded.set).start()
    scene.submit(Select(index=3))
    shot = tmp_path / "selected.png"
    run_then_screenshot(app, scene, 1, str(shot))
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert scene.output_images.pending() is None
    (x0, y0), (x1, _) = scene.output_panel.item_rects["decoded"]
    height, width = scene.bundle.image_shape
    shown = sample_picture(pixels, (x0, y0), (x1 - x0) / width, (height, width))
    assert np.abs(shown - decoded(scene, scene.bundle.latents[3])).max() <= 8
