"""Deterministic release for GL objects: call `release()` or use `with`; nothing relies on __del__,
which may run on another thread or after the context is gone."""
from __future__ import annotations


class GLResource:
    def release(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.release()
