"""GPU buffers (static or streamed) and vertex arrays with float, integer and instanced attributes."""
from __future__ import annotations

import ctypes

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl.resource import GLResource

_USAGES = {"static": gl.GL_STATIC_DRAW, "dynamic": gl.GL_DYNAMIC_DRAW, "stream": gl.GL_STREAM_DRAW}
_GL_TYPES = {
    np.dtype(np.float32): gl.GL_FLOAT, np.dtype(np.uint32): gl.GL_UNSIGNED_INT,
    np.dtype(np.int32): gl.GL_INT, np.dtype(np.uint16): gl.GL_UNSIGNED_SHORT,
    np.dtype(np.int16): gl.GL_SHORT, np.dtype(np.uint8): gl.GL_UNSIGNED_BYTE, np.dtype(np.int8): gl.GL_BYTE,
}
_INTEGER_KINDS = "iu"


def gl_type(dtype) -> int:
    dtype = np.dtype(dtype)
    if dtype not in _GL_TYPES:
        raise TypeError(f"no GL vertex type for {dtype}")
    return _GL_TYPES[dtype]


class Buffer(GLResource):
    """A GL buffer object. `usage="stream"` for data rewritten every frame: `write` orphans then refills."""

    def __init__(self, data: np.ndarray | None = None, *, target: int = gl.GL_ARRAY_BUFFER,
                 usage: str = "static", nbytes: int = 0) -> None:
        self.target = target
        self.usage = _USAGES[usage]
        self.id = int(gl.glGenBuffers(1))
        self.nbytes = 0
        if data is not None:
            self.allocate(data)
        elif nbytes:
            self.allocate(nbytes=nbytes)

    def bind(self) -> None:
        gl.glBindBuffer(self.target, self.id)

    def allocate(self, data: np.ndarray | None = None, *, nbytes: int = 0) -> None:
        """(Re)create the storage: from `data`, or `nbytes` uninitialised bytes."""
        self.bind()
        if data is not None:
            data = np.ascontiguousarray(data)
            gl.glBufferData(self.target, data.nbytes, data, self.usage)
            self.nbytes = data.nbytes
        else:
            gl.glBufferData(self.target, nbytes, None, self.usage)
            self.nbytes = nbytes

    def write(self, data: np.ndarray, offset: int = 0) -> None:
        """Upload `data` at byte `offset`, growing the buffer if it does not fit.

        A full rewrite of a streamed buffer orphans the old storage first, so the driver need not
        wait for draws still reading it.
        """
        data = np.ascontiguousarray(data)
        end = offset + data.nbytes
        if end > self.nbytes:
            if offset == 0:
                self.allocate(data)
                return
            raise ValueError(f"write of {data.nbytes} bytes at {offset} overflows a {self.nbytes}-byte buffer")
        self.bind()
        if offset == 0 and self.usage != gl.GL_STATIC_DRAW:
            gl.glBufferData(self.target, self.nbytes, None, self.usage)
        gl.glBufferSubData(self.target, offset, data.nbytes, data)

    def release(self) -> None:
        if self.id:
            gl.glDeleteBuffers(1, [self.id])
            self.id = 0



class VertexArray(GLResource):
    """A VAO: which buffers feed which attribute locations. Buffers are not owned unless `own=True`."""

    def __init__(self) -> None:
        self.id = int(gl.glGenVertexArrays(1))
        self.index_buffer: Buffer | None = None
        self._index_type = gl.GL_UNSIGNED_INT
        self._owned: list[Buffer] = []

    def bind(self) -> None:
        gl.glBindVertexArray(self.id)

    def attribute(self, location: int, buffer: Buffer, components: int, dtype=np.float32, *,
                  stride: int = 0, offset: int = 0, divisor: int = 0, normalized: bool = False,
                  integer: bool | None = None, own: bool = False) -> None:
        """Point `location` at `buffer`. Integer dtypes go through glVertexAttribIPointer (the shader
        sees exact ints) unless `integer=False`/`normalized`; `divisor=1` makes it per instance."""
        dtype = np.dtype(dtype)
        if integer is None:
            integer = dtype.kind in _INTEGER_KINDS and not normalized
        self.bind()
        buffer.bind()
        gl.glEnableVertexAttribArray(location)
        pointer = ctypes.c_void_p(offset)
        if integer:
            gl.glVertexAttribIPointer(location, components, gl_type(dtype), stride, pointer)
        else:
            gl.glVertexAttribPointer(location, components, gl_type(dtype), gl.GL_TRUE if normalized else gl.GL_FALSE,
                                     stride, pointer)
        gl.glVertexAttribDivisor(location, divisor)
        gl.glBindVertexArray(0)
        if own and buffer not in self._owned:
            self._owned.append(buffer)

    def indices(self, buffer: Buffer, dtype=np.uint32, *, own: bool = False) -> None:
        if buffer.target != gl.GL_ELEMENT_ARRAY_BUFFER:
            raise ValueError("index buffers need target=GL_ELEMENT_ARRAY_BUFFER")
        self.bind()
        buffer.bind()  # element binding is VAO state
        gl.glBindVertexArray(0)
        self.index_buffer = buffer
        self._index_type = gl_type(dtype)
        self._index_size = np.dtype(dtype).itemsize
        if own and buffer not in self._owned:
            self._owned.append(buffer)

    def draw(self, mode: int, count: int, *, first: int = 0, instances: int | None = None) -> None:
        """glDraw{Arrays,Elements}[Instanced]; with indices, `first` counts indices."""
        self.bind()
        if self.index_buffer is not None:
            pointer = ctypes.c_void_p(first * self._index_size)
            if instances is None:
                gl.glDrawElements(mode, count, self._index_type, pointer)
            else:
                gl.glDrawElementsInstanced(mode, count, self._index_type, pointer, instances)
        elif instances is None:
            gl.glDrawArrays(mode, first, count)
        else:
            gl.glDrawArraysInstanced(mode, first, count, instances)
        gl.glBindVertexArray(0)

    def release(self) -> None:
        for buffer in self._owned:
            buffer.release()
        self._owned.clear()
        if self.id:
            gl.glDeleteVertexArrays(1, [self.id])
            self.id = 0
