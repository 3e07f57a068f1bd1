"""Model switching (an imported TF.js bundle, a dropped folder, a bad bundle), a failing decoder,
and `latentwalk run --screenshot`, with real GL under Xvfb."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pygame
import pytest
from OpenGL import GL as gl
from PIL import Image

from latentwalk.scenes.explorer.core.commands import ShowPanels
from tests.bundles import clustered_latents, make_bundle
from tests.tfjs_files import write_tfjs_decoder
from tests.explorer_helpers import open_explorer, frames, frames_until, front_point, post_motion

SIZE = (480, 360)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    from latentwalk.vae.bundle import write_bundle
    from latentwalk.vae.tfjs import load_tfjs_decoder

    root = tmp_path_factory.mktemp("models")
    imported = load_tfjs_decoder(write_tfjs_decoder(root / "vae_decoder_reparam"))
    latents, labels = clustered_latents(500, 10, seed=2)
    tfjs = write_bundle(root / "tfjs", decoder=imported.decoder, latents=latents.astype(np.float32),
                        labels=labels.astype(np.int64), dataset="mnist",
                        class_names=[str(d) for d in range(10)], summary={"imported": True})
    return {"tiny": make_bundle(root / "tiny", count=300, classes=4), "tfjs": tfjs,
            "wide": make_bundle(root / "wide", count=300, classes=5, dim=6, seed=1)}


@pytest.fixture
def explorer(gl_app, bundles):
    return open_explorer(gl_app, bundles["tiny"], SIZE, data_dir=None)


def hover_front_point(app, scene) -> int:
    index, pixel = front_point(scene)
    post_motion(pixel)
    frames(app)
    assert scene.state.pointer.hovered == index
    return index


def test_switching_to_an_imported_bundle_reloads_points_and_decoder(explorer, bundles):
    from latentwalk.vae.decode import decode_latents

    app, scene = explorer
    old_ids = scene.installed.cloud.gl_ids()
    generation = scene.decoder.worker.generation
    assert scene.load_model(str(bundles["tfjs"]))
    frames(app)
    assert app.scene is scene and scene.bundle.path == bundles["tfjs"]
    assert scene.installed.cloud.count == 500 and len(scene.installed.class_counts) == 10
    assert scene.decoder.worker.generation == generation + 1
    # the old cloud's GL objects are gone, and one frame draws the (new) cloud exactly once
    assert not gl.glIsBuffer(old_ids["position_buffer"]) and not gl.glIsVertexArray(old_ids["vao"])
    assert not gl.glIsProgram(old_ids["color_program"]) and not gl.glIsTexture(old_ids["style_texture"])
    # each frame draws the one cloud once, or reuses the cached 3-d layer: never two draw loops
    scene.invalidate_layer()
    calls, reuses = scene.installed.cloud.draw_calls, scene.layer_cache.reuses
    frames(app, 4)  # drawn straight, drawn into the cache, then reused
    assert scene.installed.cloud.draw_calls == calls + 2 and scene.layer_cache.reuses == reuses + 2
    index = hover_front_point(app, scene)
    assert frames_until(app, lambda: scene.output_images.caption.startswith(f"#{index} "))
    expected = decode_latents(scene.bundle.load_decoder("cpu"), scene.bundle.latents[index:index + 1])[0]
    np.testing.assert_allclose(scene.output_images.decoded_slot.image, expected, atol=1e-5)


def test_a_bad_bundle_leaves_the_current_one_and_says_why(explorer, tmp_path):
    app, scene = explorer
    bundle, cloud = scene.bundle, scene.installed.cloud
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.json").write_text("{not json", encoding="utf-8")
    assert not scene.load_model(str(broken))
    assert scene.bundle is bundle and scene.installed.cloud is cloud and gl.glIsBuffer(cloud.position_buffer.id)
    assert "model.json" in scene.state.model.error and "\n" not in scene.state.model.error
    assert not scene.load_model(str(tmp_path / "nowhere"))
    assert "nowhere" in scene.state.model.error
    frames(app)
    hover_front_point(app, scene)


def test_a_folder_dropped_on_the_window_loads_and_wide_latents_are_projected(explorer, bundles):
    from latentwalk.scenes.explorer.view.tooltip import tooltip_lines

    app, scene = explorer
    pygame.event.post(pygame.event.Event(pygame.DROPFILE, file=str(bundles["wide"]), window=None))
    frames(app)  # the bundle loads in the background; frames go on meanwhile
    assert frames_until(app, lambda: scene.bundle.path == bundles["wide"])
    assert scene.installed.projection.method == "pca" and scene.loader.loading is None
    assert scene.installed.positions.shape == (300, 3) and scene.bundle.latents.shape == (300, 6)
    index = hover_front_point(app, scene)
    lines = tooltip_lines(scene.bundle, index, scene.installed.positions[index])
    assert lines[0] == f"#{index}  class {scene.bundle.class_names[scene.bundle.labels[index]]}"
    assert lines[2] == "z (6-d)"  # the full vector, not just the projected xyz
    shown = [float(v) for v in lines[3].split(",")]
    np.testing.assert_allclose(shown, scene.bundle.latents[index], atol=5e-4)
    assert frames_until(app, lambda: scene.output_images.caption.startswith(f"#{index} "))


def test_a_failing_decoder_shows_its_error_and_the_loop_runs_on(explorer, monkeypatch):
    import latentwalk.scenes.explorer.model.decoding as decoding

    app, scene = explorer
    real = decoding.decode_batch

    def broken(decoder, latents):
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(decoding, "decode_batch", broken)
    index = hover_front_point(app, scene)
    assert frames_until(app, lambda: scene.decoder.last_error is not None)
    assert "decoder exploded" in scene.decoder.last_error
    start = app.frame_index
    frames(app, 5)
    assert app.running and app.frame_index == start + 5 and scene.output_images.decoded_slot.image is None
    scene.submit(ShowPanels(True))
    frames(app)  # the Output panel draws the error line without failing
    monkeypatch.setattr(decoding, "decode_batch", real)
    scene.submit(ShowPanels(False))
    post_motion((0, 0))
    frames(app)
    post_motion(front_point(scene)[1])
    assert frames_until(app, lambda: scene.output_images.caption.startswith(f"#{index} "))
    assert scene.decoder.last_error is None


def test_run_command_screenshot_shows_the_coloured_cloud(tmp_path, display):
    bundle = make_bundle(tmp_path / "ten", count=2000, classes=10)
    shot = tmp_path / "s.png"
    env = dict(os.environ, DISPLAY=display, LATENTWALK_UI_SCALE="1")
    result = subprocess.run([sys.executable, "-m", "latentwalk", "run", "--model", str(bundle), "--size", "640x400",
                             "--frames", "30", "--screenshot", str(shot), "--no-vsync"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert image.shape == (400, 640, 3)
    from latentwalk.scenes.explorer.view.palette import class_colors, to_u8

    # every class colour appears (shaded points stay close to their palette colour at their centres)
    palette = to_u8(class_colors(10)).astype(int)
    pixels = image.reshape(-1, 3).astype(int)
    found = [int((np.abs(pixels - colour).sum(axis=1) < 40).sum()) for colour in palette]
    assert min(found) >= 20, found


def test_run_command_without_the_default_bundle_says_how_to_get_it(tmp_path, monkeypatch):
    from latentwalk import assets

    monkeypatch.setattr(assets, "MODELS_DIR", tmp_path)
    from latentwalk.cli import main

    assert main(["run", "--frames", "1"]) == 1


def test_a_wide_latent_shows_its_first_values_in_the_tooltip_and_counts_the_rest(tmp_path):
    from latentwalk.scenes.explorer.view.tooltip import tooltip_lines
    from latentwalk.vae.bundle import load_bundle

    bundle = load_bundle(make_bundle(tmp_path / "wide32", count=50, dim=32))
    lines = tooltip_lines(bundle, 7, np.zeros(3, np.float32))
    assert lines[2] == "z (32-d)" and lines[-1] == "  ... and 20 more" and len(lines) == 6
    shown = [float(v) for line in lines[3:5] for v in line.split(",")]
    np.testing.assert_allclose(shown, bundle.latents[7][:12], atol=5e-4)
