"""Small OpenGL 3.3 core helpers: programs from files, buffers, textures, framebuffers."""
from engine.gl.buffers import Buffer, VertexArray
from engine.gl.framebuffer import Framebuffer
from engine.gl.program import Program
from engine.gl.textures import Texture2D

__all__ = ["Buffer", "Framebuffer", "Program", "Texture2D", "VertexArray"]
