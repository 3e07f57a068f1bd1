"""Offscreen framebuffers: RGBA8 and R32UI colour attachments plus depth; clears, scissored clears, reads.

Reads take GL window coordinates (origin bottom-left) and return rows bottom-up as GL stores
them; a window's mouse y converts with `gl_y = height - 1 - y`.
"""
from __future__ import annotations

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl.resource import GLResource

from latentwalk.engine.errors import EngineError

# name -> (internal format, format, type, numpy dtype, channels)
_COLOR_FORMATS = {
    "rgba8": (gl.GL_RGBA8, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE, np.uint8, 4),
    "r32ui": (gl.GL_R32UI, gl.GL_RED_INTEGER, gl.GL_UNSIGNED_INT, np.uint32, 1),
    "rgba32f": (gl.GL_RGBA32F, gl.GL_RGBA, gl.GL_FLOAT, np.float32, 4),
}


class Framebuffer(GLResource):
    def __init__(self, width: int, height: int, color: tuple[str, ...] = ("rgba8",), *, depth: bool = True,
                 depth_texture: bool = False) -> None:
        """`depth_texture`: depth in a texture (`depth_texture_id`) that shaders can read, not a renderbuffer."""
        for name in color:
            if name not in _COLOR_FORMATS:
                raise ValueError(f"unknown colour format {name!r}; one of {sorted(_COLOR_FORMATS)}")
        self.formats = tuple(color)
        self.has_depth = depth or depth_texture
        self.id = int(gl.glGenFramebuffers(1))
        self.color_textures = [int(gl.glGenTextures(1)) for _ in color]
        self.depth_texture_id = int(gl.glGenTextures(1)) if depth_texture else 0
        self.depth_renderbuffer = int(gl.glGenRenderbuffers(1)) if depth and not depth_texture else 0
        self.width = self.height = 0
        self.resize(width, height)

    def resize(self, width: int, height: int) -> None:
        """New storage of the given size (contents undefined); attachments keep their ids."""
        self.width, self.height = max(1, int(width)), max(1, int(height))
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, self.id)
        for index, (name, texture) in enumerate(zip(self.formats, self.color_textures)):
            internal, fmt, gl_type, _, _ = _COLOR_FORMATS[name]
            gl.glBindTexture(gl.GL_TEXTURE_2D, texture)
            gl.glTexImage2D(gl.GL_TEXTURE_2D, 0, internal, self.width, self.height, 0, fmt, gl_type, None)
            # integer textures cannot be filtered; nearest keeps every format complete
            gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MIN_FILTER, gl.GL_NEAREST)
            gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MAG_FILTER, gl.GL_NEAREST)
            gl.glFramebufferTexture2D(gl.GL_FRAMEBUFFER, gl.GL_COLOR_ATTACHMENT0 + index, gl.GL_TEXTURE_2D, texture, 0)
        if self.depth_texture_id:
            gl.glBindTexture(gl.GL_TEXTURE_2D, self.depth_texture_id)
            gl.glTexImage2D(gl.GL_TEXTURE_2D, 0, gl.GL_DEPTH_COMPONENT24, self.width, self.height, 0,
                            gl.GL_DEPTH_COMPONENT, gl.GL_UNSIGNED_INT, None)
            gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MIN_FILTER, gl.GL_NEAREST)
            gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MAG_FILTER, gl.GL_NEAREST)
            gl.glFramebufferTexture2D(gl.GL_FRAMEBUFFER, gl.GL_DEPTH_ATTACHMENT, gl.GL_TEXTURE_2D,
                                      self.depth_texture_id, 0)
        if self.depth_renderbuffer:
            gl.glBindRenderbuffer(gl.GL_RENDERBUFFER, self.depth_renderbuffer)
            gl.glRenderbufferStorage(gl.GL_RENDERBUFFER, gl.GL_DEPTH_COMPONENT24, self.width, self.height)
            gl.glFramebufferRenderbuffer(gl.GL_FRAMEBUFFER, gl.GL_DEPTH_ATTACHMENT, gl.GL_RENDERBUFFER,
                                         self.depth_renderbuffer)
        gl.glDrawBuffers(len(self.formats), [gl.GL_COLOR_ATTACHMENT0 + i for i in range(len(self.formats))])
        status = gl.glCheckFramebufferStatus(gl.GL_FRAMEBUFFER)
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)
        if status != gl.GL_FRAMEBUFFER_COMPLETE:
            raise EngineError(f"framebuffer {self.formats} {self.width}x{self.height} incomplete (status 0x{int(status):x})")

    def bind(self, *, viewport: bool = True) -> None:
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, self.id)
        if viewport:
            gl.glViewport(0, 0, self.width, self.height)

    @staticmethod
    def unbind() -> None:
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)

    def clear(self, *, color=(0.0, 0.0, 0.0, 0.0), uint_value: int = 0, depth: float = 1.0,
              rect: tuple[int, int, int, int] | None = None) -> None:
        """Clear every attachment (each with the value its type needs); `rect` = (x, y, w, h) scissors it."""
        self.bind(viewport=False)
        if rect is not None:
            gl.glEnable(gl.GL_SCISSOR_TEST)
            gl.glScissor(*(int(v) for v in rect))
        for index, name in enumerate(self.formats):
            if name == "r32ui":
                gl.glClearBufferuiv(gl.GL_COLOR, index, np.array([uint_value, 0, 0, 0], np.uint32))
            else:
                gl.glClearBufferfv(gl.GL_COLOR, index, np.asarray(color, np.float32))
        if self.has_depth:
            gl.glDepthMask(gl.GL_TRUE)
            gl.glClearBufferfv(gl.GL_DEPTH, 0, np.array([depth], np.float32))
        if rect is not None:
            gl.glDisable(gl.GL_SCISSOR_TEST)

    def read(self, attachment: int = 0, rect: tuple[int, int, int, int] | None = None,
             out: np.ndarray | None = None) -> np.ndarray:
        """Pixels of one colour attachment: (h, w, 4) for rgba formats, (h, w) uint32 for r32ui."""
        x, y, width, height = rect or (0, 0, self.width, self.height)
        _, fmt, gl_type, dtype, channels = _COLOR_FORMATS[self.formats[attachment]]
        shape = (height, width, channels) if channels > 1 else (height, width)
        if out is None:
            out = np.empty(shape, dtype)
        elif out.shape != shape or out.dtype != dtype:
            raise ValueError(f"out must be {shape} {np.dtype(dtype)}, got {out.shape} {out.dtype}")
        gl.glBindFramebuffer(gl.GL_READ_FRAMEBUFFER, self.id)
        gl.glReadBuffer(gl.GL_COLOR_ATTACHMENT0 + attachment)
        gl.glPixelStorei(gl.GL_PACK_ALIGNMENT, 1)
        gl.glReadPixels(x, y, width, height, fmt, gl_type, out)
        gl.glBindFramebuffer(gl.GL_READ_FRAMEBUFFER, 0)
        return out

    def texture(self, attachment: int = 0) -> int:
        """GL id of a colour attachment, to sample it or show it with imgui.image."""
        return self.color_textures[attachment]

    def release(self) -> None:
        if self.id:
            gl.glDeleteFramebuffers(1, [self.id])
            gl.glDeleteTextures(self.color_textures)
            if self.depth_renderbuffer:
                gl.glDeleteRenderbuffers(1, [self.depth_renderbuffer])
            if self.depth_texture_id:
                gl.glDeleteTextures([self.depth_texture_id])
            self.id = 0
            self.color_textures = []
            self.depth_renderbuffer = self.depth_texture_id = 0
