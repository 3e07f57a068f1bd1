"""What a session holds (session.py reads and writes it as JSON): plain dataclasses."""
from __future__ import annotations

from dataclasses import dataclass, field

from latentwalk.scenes.explorer.walk.traversal import DEFAULT_SPEED, DEFAULT_STEPS


@dataclass(frozen=True)
class ControlPoint:
    """A data-set point by index, or a typed latent coordinate; exactly one of the two."""

    index: int | None = None
    coords: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if (self.index is None) == (self.coords is None):
            raise ValueError("a control point has exactly one of index and coords")
        if self.coords is not None:
            object.__setattr__(self, "coords", tuple(float(c) for c in self.coords))


@dataclass
class CurveSettings:
    kind: str = "catmull-rom"
    closed: bool = False
    steps: int = DEFAULT_STEPS


@dataclass
class CameraView:
    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    distance: float = 3.0
    orientation: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    fov_degrees: float = 45.0


@dataclass
class PlaybackState:
    t: float = 0.0
    mode: str = "loop"
    speed: float = DEFAULT_SPEED
    playing: bool = False


@dataclass
class StyleSettings:
    point_size: float = 4.0
    show_axes: bool = True
    show_grid: bool = True


@dataclass
class Session:
    model: str
    control_points: list[ControlPoint] = field(default_factory=list)
    curve: CurveSettings = field(default_factory=CurveSettings)
    camera: CameraView = field(default_factory=CameraView)
    highlighted_classes: list[int] = field(default_factory=list)
    traversal: PlaybackState = field(default_factory=PlaybackState)
    # version 2; a version 1 file leaves style None: keep what the explorer shows
    selection: ControlPoint | None = None
    style: StyleSettings | None = field(default_factory=StyleSettings)
