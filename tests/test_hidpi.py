"""HiDPI: mouse positions arrive in window coordinates, picking works in framebuffer pixels."""
from types import SimpleNamespace

from latentwalk.scenes.explorer.scene import ExplorerScene


def test_a_window_position_maps_to_the_framebuffer_pixel_under_it_at_twice_the_density():
    scene = ExplorerScene("mnist")
    scene.viewport = (800, 600)
    scene.app = SimpleNamespace(window=SimpleNamespace(size=(400, 300)))
    assert scene.framebuffer_pixel((100, 50)) == (200, 100)
    assert scene.framebuffer_pixel((399, 299)) == (798, 598)
    scene.app = SimpleNamespace(window=SimpleNamespace(size=(800, 600)))
    assert scene.framebuffer_pixel((100, 50)) == (100, 50)
