"""Undo / redo of path and highlight edits: snapshots of what those edits change, taken by the apply
function before each undoable command (commands.UNDOABLE). An edit that changed nothing leaves no
step behind; a new edit after an undo drops the redo steps, as editors do."""
from __future__ import annotations

from dataclasses import dataclass

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class EditSnapshot:
    """The edited parts: control points, interpolation, closed, steps, highlighted classes and points."""
    points: tuple
    kind: str
    closed: bool
    steps: int
    mask: tuple[bool, ...]
    point_mask: object = None  # state.PointMask (compared by identity) or None


def snapshot(scene) -> EditSnapshot:
    """What an undoable edit may change, now."""
    path = scene.state.walk.path
    highlight = scene.state.highlight
    return EditSnapshot(path.points, path.kind, path.closed, path.steps, highlight.mask, highlight.points)


class History:
    def __init__(self, limit: int = HISTORY_LIMIT) -> None:
        self.limit = limit
        self._undo: list[EditSnapshot] = []
        self._redo: list[EditSnapshot] = []
        self._last_key = ""

    def record(self, before: EditSnapshot, after: EditSnapshot, step_key: str = "") -> None:
        """An edit took the state from `before` to `after`. Edits in a row with the same non-empty
        `step_key` are one step: the first one's `before` stays the state to go back to."""
        if before == after:
            return
        if step_key and step_key == self._last_key and self._undo:
            self._redo.clear()
            return
        self._undo.append(before)
        del self._undo[:-self.limit]
        self._redo.clear()
        self._last_key = step_key

    def undo(self, current: EditSnapshot) -> EditSnapshot | None:
        """The state to go back to (None: nothing to undo); `current` becomes a redo step."""
        if not self._undo:
            return None
        self._last_key = ""
        self._redo.append(current)
        return self._undo.pop()

    def redo(self, current: EditSnapshot) -> EditSnapshot | None:
        if not self._redo:
            return None
        self._last_key = ""
        self._undo.append(current)
        return self._redo.pop()

    def clear(self) -> None:
        self._last_key = ""
        self._undo.clear()
        self._redo.clear()
