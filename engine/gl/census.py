"""How many GL objects of each kind exist now, by asking glIs* for every name up to a bound: the one
count that also sees objects made outside engine.gl (ImGui's renderer, PyOpenGL helpers). For soak
tests and benches that check nothing leaks; Mesa hands out low names first, so a few thousand
cover any real run. Slow-ish (some thousands of calls): not for every frame."""
from __future__ import annotations

from OpenGL import GL as gl

KINDS = {
    "buffers": gl.glIsBuffer,
    "textures": gl.glIsTexture,
    "framebuffers": gl.glIsFramebuffer,
    "renderbuffers": gl.glIsRenderbuffer,
    "vertex_arrays": gl.glIsVertexArray,
    "programs": gl.glIsProgram,
    "shaders": gl.glIsShader,
}


def gl_object_counts(max_name: int = 2048) -> dict[str, int]:
    """{kind: live objects with a name in 1..max_name}; needs a current context."""
    return {kind: sum(1 for name in range(1, max_name + 1) if is_kind(name)) for kind, is_kind in KINDS.items()}
