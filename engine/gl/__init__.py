"""Small OpenGL 3.3 core helpers: programs from files, buffers, textures, framebuffers."""
from latentwalk.engine.gl.buffers import Buffer, VertexArray
from latentwalk.engine.gl.framebuffer import Framebuffer
from latentwalk.engine.gl.program import Program
from latentwalk.engine.gl.textures import Texture2D

__all__ = ["Buffer", "Framebuffer", "Program", "Texture2D", "VertexArray"]
