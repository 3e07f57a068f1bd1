"""A minimal scene for the walk panels' tests: a WalkPath over four 2-d latents, the panels stacked at a
fixed spot, and a fake decoder on a real worker thread (no model, no explorer)."""
import numpy as np

from latentwalk.engine.scene import Scene
from latentwalk.engine.worker import BatchWorker
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.input.actions import bind_keys, commands_for
from latentwalk.scenes.explorer.core.apply import apply
from latentwalk.scenes.explorer.walk.path import WalkPath
from latentwalk.scenes.explorer.core.state import ExplorerState, WalkState
from latentwalk.scenes.explorer.core.undo import History

LATENTS = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], dtype=np.float32)
PANEL_POS = (5, 5)
# what this scene applies; the rest (camera, selection) it only records
APPLIED = (*c.UNDOABLE, c.SetWalkT, c.PlayWalk, c.StepWalk, c.SetWalkMode, c.SetWalkSpeed, c.Undo, c.Redo)


class FakeDecoder:
    """The DecoderService surface the walk panels use, over a real BatchWorker thread. The 'image' of z
    is a 4x4 grey square of brightness sigmoid(z[0]), so tests can tell positions apart by pixels."""

    def __init__(self):
        self.worker = BatchWorker(lambda zs: [np.full((4, 4), 1 / (1 + np.exp(-z[0])), np.float32) for z in zs],
                                  name="fake-decoder").start()
        self.listeners = {}
        self.requests = []

    def request_latent(self, latent, channel, *, latest_only=False):
        latent = np.ascontiguousarray(latent, dtype=np.float32).reshape(-1)
        key = ("z", latent.tobytes())
        self.requests.append((channel, key))
        self.worker.submit(key, latent, channel=channel, latest_only=latest_only)
        return key

    def subscribe(self, channel, listener):
        self.listeners.setdefault(channel, []).append(listener)

    def pump(self):
        for result in self.worker.poll():
            for listener in self.listeners.get(result.channel, ()):
                listener(result)

    def close(self):
        self.worker.close()


class WalkScene(Scene):
    """Just enough of a scene: a WalkPath in an ExplorerState, the panels placed at fixed spots, a hovered
    index to set (standing in for picking), and the explorer's own actions -> commands -> apply for the
    path and walk commands; every submitted command is kept in `submitted`."""

    def __init__(self, make_panels):
        self.state = ExplorerState(walk=WalkState(WalkPath(LATENTS)))
        self.history = History()
        self.last_refusal = self.refused = None
        self.submitted = []
        self._queue = []
        self.decoder = FakeDecoder()
        self.panels = make_panels(self)
        self.handled = []

    @property
    def hovered(self):
        return self.state.pointer.hovered

    @hovered.setter
    def hovered(self, index):
        self.state.pointer.hovered = index

    def submit(self, command):
        self.submitted.append(command)
        self._queue.append(command)

    def apply_commands(self):
        queue, self._queue = self._queue, []
        for command in queue:
            if isinstance(command, APPLIED):
                apply(self, command)

    def start(self, app):
        self.app = app
        bind_keys(app.bindings)

    def handle_action(self, action):
        self.handled.append(action.name)
        for command in commands_for(self, action):
            self.submit(command)

    def update(self, dt):
        self.apply_commands()
        self.state.walk.path.update(dt)

    def prepare(self, alpha):
        self.apply_commands()
        self.decoder.pump()
        for panel in self.panels:
            if hasattr(panel, "sync"):
                panel.sync()

    def build_ui(self):
        y = PANEL_POS[1]
        for panel in self.panels:
            panel.place = (PANEL_POS[0], y)
            panel.build()
            y += 10 + panel.rect[3]

    def close(self):
        for panel in self.panels:
            if hasattr(panel, "release"):
                panel.release()
        self.decoder.close()
