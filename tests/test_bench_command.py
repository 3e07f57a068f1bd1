"""`latentwalk bench` under Xvfb: the scripted path runs on a synthetic cloud and prints every figure."""
from __future__ import annotations

import json
import os
import subprocess
import sys

PHASE_FIELDS = ("frames", "frame_ms_median", "frame_ms_p95", "frame_ms_p99", "fps", "points_drawn", "pick_ms")


def test_bench_json_prints_every_field(display, tmp_path):
    env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER="dummy", LATENTWALK_CONFIG_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "latentwalk", "bench", "--points", "20000", "--seconds", "2",
                           "--size", "640x360", "--target-fps", "40", "--json"], capture_output=True, text=True,
                          env=env, timeout=240)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # one object, nothing else on stdout
    assert result["points"] == 20000 and result["size"] == [640, 360] and result["renderer"]
    assert result["target_fps"] == 40
    assert list(result["phases"]) == ["turn", "zoom", "hover", "rest"]
    for name, phase in result["phases"].items():
        assert set(PHASE_FIELDS) <= set(phase)
        assert phase["frames"] >= 1 and phase["fps"] > 0 and phase["points_drawn"] > 0
        assert 0 < phase["frame_ms_median"] <= phase["frame_ms_p95"] <= phase["frame_ms_p99"]
    assert result["phases"]["hover"]["pick_ms"] is not None  # the sweep picks every frame
    assert result["hover_samples"] >= 1  # hovered points that asked for a decode, each waited for
    assert 1 <= result["hover_to_image_frames"] <= result["hover_to_image_frames_p95"] \
        <= result["hover_to_image_frames_worst"]
    assert 0 < result["hover_to_image_ms"] <= result["hover_to_image_ms_p95"]
    assert result["rest_to_full_detail_s"] is not None


def test_bench_refuses_model_and_points_together(display):
    done = subprocess.run([sys.executable, "-m", "latentwalk", "bench", "--points", "10", "--model", "mnist"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not allowed with" in done.stderr


def test_a_target_frame_rate_must_be_a_positive_number(display):
    for command in ("bench", "run"):
        done = subprocess.run([sys.executable, "-m", "latentwalk", command, "--target-fps", "0"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "--target-fps: expected a positive finite number, got 0" in done.stderr


def test_run_hands_its_target_frame_rate_to_adaptive_detail():
    from latentwalk.cli import build_parser
    from latentwalk.subcommands.run import make_scene

    scene = make_scene(build_parser().parse_args(["run", "--target-fps", "45"]))
    assert scene.layer_cache.options == {"target_fps": 45.0}
    assert make_scene(build_parser().parse_args(["run"])).layer_cache.options == {}  # detail.TARGET_FPS


def test_full_detail_runs_the_path_again_drawing_every_point_in_every_frame(display, tmp_path):
    env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER="dummy", LATENTWALK_CONFIG_DIR=str(tmp_path))
    count = 25000  # above adaptive detail's smallest moving subset, so the adaptive pass may draw fewer
    done = subprocess.run([sys.executable, "-m", "latentwalk", "bench", "--points", str(count), "--seconds", "1.5",
                           "--size", "640x360", "--full-detail", "--json"], capture_output=True, text=True,
                          env=env, timeout=240)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert list(result["phases"]) == ["turn", "zoom", "hover", "rest"]  # the adaptive pass, as without the flag
    full = result["full_detail"]
    assert list(full["phases"]) == ["turn", "zoom", "hover", "rest"]
    for name, phase in full["phases"].items():
        assert phase["frames"] >= 1
        assert phase["points_drawn_min"] == count, name
    assert full["hover_to_image_frames"] >= 1
    assert len(result["load_average"]) == 2


def test_the_busy_core_spins_until_its_block_ends_and_stops_itself_at_its_deadline():
    from latentwalk.cli import build_parser
    from latentwalk.subcommands.bench import busy_core

    assert build_parser().parse_args(["bench", "--busy-core"]).busy_core is True
    with busy_core(600) as child:
        assert child.poll() is None  # spinning while the bench runs
    assert child.returncode is not None  # ended with the block, long before its deadline
    with busy_core(0.2) as child:
        assert child.wait(timeout=60) == 0  # the deadline ends it on its own, should the bench not
