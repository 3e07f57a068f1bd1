"""Handlers of the commands that open or write files or start programs (commands.py: CompareModels,
SaveSession, LoadSession, RestoreAutosave, TakeScreenshot, EncodePicture, StartRecording, ComputeLayout,
CancelLayout; and the scene's LayoutJobEnded). Each hands the work to the
tool that owns it, which reports success or failure in its own panel or message: the command exists so
that this work passes `scene.submit` like every other change, and a policy there can refuse it."""
from __future__ import annotations

from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.core.handlers import handles
from latentwalk.scenes.explorer.core.scene_commands import LayoutJobEnded


@handles(c.CompareModels)
def _compare(scene, cmd: c.CompareModels) -> None:
    scene.insight.service.compare_with(cmd.model)


@handles(c.SaveSession)
def _save_session(scene, cmd: c.SaveSession) -> None:
    panel = scene.walk_tools.session_panel
    panel.autosave() if cmd.autosave else panel.replace_kept() if cmd.replace else panel.save()


@handles(c.LoadSession)
def _load_session(scene, cmd) -> None:
    scene.walk_tools.session_panel.load()


@handles(c.RestoreAutosave)
def _restore_autosave(scene, cmd: c.RestoreAutosave) -> None:
    scene.walk_tools.session_panel.restore_autosave(cmd.restore)


@handles(c.TakeScreenshot)
def _screenshot(scene, cmd: c.TakeScreenshot) -> None:
    scene.screenshots.take(include_ui=cmd.ui, path=cmd.path)


@handles(c.EncodePicture)
def _encode_picture(scene, cmd: c.EncodePicture) -> None:
    scene.drawing.encode_file(cmd.file)


@handles(c.StartRecording)
def _start_recording(scene, cmd) -> None:
    scene.walk_tools.record_dialog.start()


@handles(c.ComputeLayout)
def _compute_layout(scene, cmd: c.ComputeLayout) -> None:
    scene.layouts.compute(cmd.method, seed=cmd.seed, neighbors=cmd.neighbors, min_dist=cmd.min_dist,
                          perplexity=cmd.perplexity)


@handles(c.CancelLayout)
def _cancel_layout(scene, cmd) -> None:
    scene.layouts.cancel()


@handles(LayoutJobEnded)
def _layout_job_ended(scene, cmd) -> None:
    scene.layouts.job_ended()
