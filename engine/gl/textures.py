"""2-D textures from uint8 or float32 numpy images: create, update (whole or a region), resize."""
from __future__ import annotations

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl.resource import GLResource

_FORMATS = {1: gl.GL_RED, 2: gl.GL_RG, 3: gl.GL_RGB, 4: gl.GL_RGBA}
_INTERNAL = {
    (np.dtype(np.uint8), 1): gl.GL_R8, (np.dtype(np.uint8), 2): gl.GL_RG8,
    (np.dtype(np.uint8), 3): gl.GL_RGB8, (np.dtype(np.uint8), 4): gl.GL_RGBA8,
    (np.dtype(np.float32), 1): gl.GL_R32F, (np.dtype(np.float32), 2): gl.GL_RG32F,
    (np.dtype(np.float32), 3): gl.GL_RGB32F, (np.dtype(np.float32), 4): gl.GL_RGBA32F,
}
_TYPES = {np.dtype(np.uint8): gl.GL_UNSIGNED_BYTE, np.dtype(np.float32): gl.GL_FLOAT}
_FILTERS = {"nearest": gl.GL_NEAREST, "linear": gl.GL_LINEAR}


def _shape(image: np.ndarray) -> tuple[int, int, int]:
    if image.ndim == 2:
        return image.shape[0], image.shape[1], 1
    if image.ndim == 3 and image.shape[2] in _FORMATS:
        return image.shape
    raise ValueError(f"expected an (H, W) or (H, W, 1..4) image, got shape {image.shape}")


class Texture2D(GLResource):
    """Row 0 of the numpy image is uploaded first, i.e. at texture coordinate v = 0.

    `Texture2D.generation` moves whenever any texture's pixels change: what shows textures may cache
    its output until it does (the UI layer, engine/ui_layer.py).

    `grey`: a one-channel texture sampled as grey (r, r, r, 1) rather than red (r, 0, 0, 1), so a grey
    picture takes a third of an RGB texture's memory and uploads and still shows as grey anywhere."""

    generation = 0

    def __init__(self, width: int, height: int, *, components: int = 4, dtype=np.uint8,
                 filter: str = "linear", wrap: int = gl.GL_CLAMP_TO_EDGE, data: np.ndarray | None = None,
                 grey: bool = False) -> None:
        self.dtype = np.dtype(dtype)
        if (self.dtype, components) not in _INTERNAL:
            raise ValueError(f"unsupported texture: {components} x {self.dtype} (use uint8 or float32, 1-4 channels)")
        self.components = components
        self.width, self.height = int(width), int(height)
        self.id = int(gl.glGenTextures(1))
        self.bind()
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_WRAP_S, wrap)
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_WRAP_T, wrap)
        self.set_filter(filter)
        self.grey = grey and components == 1
        if self.grey:
            for channel in (gl.GL_TEXTURE_SWIZZLE_G, gl.GL_TEXTURE_SWIZZLE_B):
                gl.glTexParameteri(gl.GL_TEXTURE_2D, channel, gl.GL_RED)
        self._allocate(data)

    @classmethod
    def from_image(cls, image: np.ndarray, **kwargs) -> "Texture2D":
        height, width, components = _shape(image)
        return cls(width, height, components=components, dtype=image.dtype, data=image, **kwargs)

    def bind(self, unit: int = 0) -> None:
        gl.glActiveTexture(gl.GL_TEXTURE0 + unit)
        gl.glBindTexture(gl.GL_TEXTURE_2D, self.id)

    def set_filter(self, filter: str) -> None:
        Texture2D.generation += 1  # how it looks changes too
        self.bind()
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MIN_FILTER, _FILTERS[filter])
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MAG_FILTER, _FILTERS[filter])

    def _allocate(self, data: np.ndarray | None) -> None:
        Texture2D.generation += 1
        self.bind()
        gl.glPixelStorei(gl.GL_UNPACK_ALIGNMENT, 1)
        pixels = None if data is None else self._checked(data, self.width, self.height)
        gl.glTexImage2D(gl.GL_TEXTURE_2D, 0, _INTERNAL[(self.dtype, self.components)], self.width, self.height,
                        0, _FORMATS[self.components], _TYPES[self.dtype], pixels)

    def _checked(self, data: np.ndarray, width: int, height: int) -> np.ndarray:
        if data.dtype != self.dtype:
            raise ValueError(f"texture holds {self.dtype}, got {data.dtype}")
        if _shape(data) != (height, width, self.components):
            raise ValueError(f"expected {(height, width, self.components)}, got shape {data.shape}")
        return np.ascontiguousarray(data)

    def update(self, data: np.ndarray, x: int = 0, y: int = 0) -> None:
        """Replace the region at (x, y) of the size of `data` (the whole texture by default)."""
        height, width, _ = _shape(data)
        if x < 0 or y < 0 or x + width > self.width or y + height > self.height:
            raise ValueError(f"{width}x{height} at ({x}, {y}) does not fit a {self.width}x{self.height} texture")
        pixels = self._checked(data, width, height)
        Texture2D.generation += 1
        self.bind()
        gl.glPixelStorei(gl.GL_UNPACK_ALIGNMENT, 1)
        gl.glTexSubImage2D(gl.GL_TEXTURE_2D, 0, x, y, width, height, _FORMATS[self.components],
                           _TYPES[self.dtype], pixels)

    def resize(self, width: int, height: int, data: np.ndarray | None = None) -> None:
        """New storage of a new size (contents undefined unless `data` is given); the id stays the same."""
        self.width, self.height = int(width), int(height)
        self._allocate(data)

    def read(self) -> np.ndarray:
        """The whole texture back as numpy (H, W[, C]), as it is sampled (a grey texture as (H, W, 3));
        for tests and debugging."""
        self.bind()
        gl.glPixelStorei(gl.GL_PACK_ALIGNMENT, 1)
        out = np.empty((self.height, self.width, self.components), self.dtype)
        gl.glGetTexImage(gl.GL_TEXTURE_2D, 0, _FORMATS[self.components], _TYPES[self.dtype], out)
        if self.grey:
            return np.repeat(out, 3, axis=2)
        return out if self.components > 1 else out[..., 0]

    def release(self) -> None:
        if self.id:
            Texture2D.generation += 1  # a new texture may get this id
            gl.glDeleteTextures([self.id])
            self.id = 0
