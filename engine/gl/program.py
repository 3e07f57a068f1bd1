"""Shader programs from GLSL files in shaders/, with errors as `file:line: message` and cached uniforms."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl.resource import GLResource

from latentwalk.engine.errors import ShaderError

# Driver log formats: Mesa "0:12(3): error: ...", NVIDIA "0(12) : error C0000: ...",
# AMD/Intel "ERROR: 0:12: ...".
_LOG_LINE_RES = (
    re.compile(r"^\s*\d+:(?P<line>\d+)\(\d+\):\s*(?P<msg>(?:error|warning).*)$", re.IGNORECASE),
    re.compile(r"^\s*\d+\((?P<line>\d+)\)\s*:\s*(?P<msg>(?:error|warning).*)$", re.IGNORECASE),
    re.compile(r"^\s*(?:ERROR|WARNING):\s*\d+:(?P<line>\d+):\s*(?P<msg>.*)$", re.IGNORECASE),
)

_STAGES = {gl.GL_VERTEX_SHADER: "vertex", gl.GL_FRAGMENT_SHADER: "fragment", gl.GL_GEOMETRY_SHADER: "geometry"}


def shader_path(name: str | Path) -> Path:
    """Absolute paths are used as given; bare names are looked up in the shaders package."""
    path = Path(name)
    if path.is_absolute():
        return path
    from latentwalk.shaders import SHADER_DIR
    return SHADER_DIR / path


def format_compile_log(path: Path, log: str) -> str:
    """One line: the first error as `file:line: message`, plus how many more there were."""
    errors: list[tuple[int, str]] = []
    for raw in log.splitlines():
        for pattern in _LOG_LINE_RES:
            match = pattern.match(raw)
            if match and "error" in raw.lower():
                errors.append((int(match.group("line")), match.group("msg").strip()))
                break
    if not errors:
        first = next((line.strip() for line in log.splitlines() if line.strip()), "unknown error")
        return f"{path}: {first}"
    line, message = errors[0]
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path}:{line}: {message}{more}"


def with_defines(source: str, defines: tuple[str, ...]) -> str:
    """`source` with `#define NAME` lines after its #version line, which GLSL wants first. The
    defines go on that same line so the driver's line numbers still match the file's."""
    if not defines:
        return source
    head, newline, rest = source.partition("\n")
    extra = "".join(f"\n#define {name}" for name in defines)
    if head.lstrip().startswith("#version"):
        # #line keeps error messages pointing at the file's own lines
        return f"{head}{extra}\n#line 2\n{rest}"
    return f"{extra.lstrip()}\n#line 1\n{source}"


def _compile(stage: int, path: Path, defines: tuple[str, ...] = ()) -> int:
    try:
        source = with_defines(path.read_text(encoding="utf-8"), defines)
    except OSError as exc:
        raise ShaderError(f"{path}: cannot read {_STAGES[stage]} shader ({exc.strerror or exc})") from exc
    shader = gl.glCreateShader(stage)
    gl.glShaderSource(shader, source)
    gl.glCompileShader(shader)
    if not gl.glGetShaderiv(shader, gl.GL_COMPILE_STATUS):
        log = gl.glGetShaderInfoLog(shader)
        gl.glDeleteShader(shader)
        log = log.decode("utf-8", "replace") if isinstance(log, bytes) else str(log)
        raise ShaderError(format_compile_log(path, log))
    return shader


def _uniform_setter(gl_type: int, location: int, count: int):
    """A function value -> None for one uniform, chosen once at link time."""
    float_vectors = {gl.GL_FLOAT: gl.glUniform1fv, gl.GL_FLOAT_VEC2: gl.glUniform2fv,
                     gl.GL_FLOAT_VEC3: gl.glUniform3fv, gl.GL_FLOAT_VEC4: gl.glUniform4fv}
    int_vectors = {gl.GL_INT: gl.glUniform1iv, gl.GL_INT_VEC2: gl.glUniform2iv,
                   gl.GL_INT_VEC3: gl.glUniform3iv, gl.GL_INT_VEC4: gl.glUniform4iv,
                   gl.GL_BOOL: gl.glUniform1iv}
    uint_vectors = {gl.GL_UNSIGNED_INT: gl.glUniform1uiv, gl.GL_UNSIGNED_INT_VEC2: gl.glUniform2uiv,
                    gl.GL_UNSIGNED_INT_VEC3: gl.glUniform3uiv, gl.GL_UNSIGNED_INT_VEC4: gl.glUniform4uiv}
    matrices = {gl.GL_FLOAT_MAT2: gl.glUniformMatrix2fv, gl.GL_FLOAT_MAT3: gl.glUniformMatrix3fv,
                gl.GL_FLOAT_MAT4: gl.glUniformMatrix4fv}
    if gl_type in float_vectors:
        fn = float_vectors[gl_type]
        return lambda value: fn(location, count, np.ascontiguousarray(value, np.float32))
    if gl_type in uint_vectors:
        fn = uint_vectors[gl_type]
        return lambda value: fn(location, count, np.ascontiguousarray(value, np.uint32))
    if gl_type in matrices:
        fn = matrices[gl_type]
        # numpy matrices are written in maths order (M @ v, row-major); GL wants columns: transpose.
        return lambda value: fn(location, count, gl.GL_TRUE, np.ascontiguousarray(value, np.float32))
    # ints, bools and every sampler type take integers
    fn = int_vectors.get(gl_type, gl.glUniform1iv)
    return lambda value: fn(location, count, np.ascontiguousarray(value, np.int32))


class Program(GLResource):
    """A linked program. `program["name"] = value` sets a uniform (program must be in use).

    Setting a uniform the compiler optimised away (or never declared) is a silent no-op, so a
    shader edit that drops a uniform does not crash the loop; `has_uniform` tells them apart.
    """

    def __init__(self, stages: dict[int, Path], defines: tuple[str, ...] = ()) -> None:
        self.paths = dict(stages)
        self.defines = tuple(defines)
        shaders = []
        try:
            for stage, path in stages.items():
                shaders.append(_compile(stage, path, self.defines))
        except ShaderError:
            for shader in shaders:
                gl.glDeleteShader(shader)
            raise
        self.id = gl.glCreateProgram()
        for shader in shaders:
            gl.glAttachShader(self.id, shader)
        gl.glLinkProgram(self.id)
        for shader in shaders:
            gl.glDetachShader(self.id, shader)
            gl.glDeleteShader(shader)
        if not gl.glGetProgramiv(self.id, gl.GL_LINK_STATUS):
            log = gl.glGetProgramInfoLog(self.id)
            log = log.decode("utf-8", "replace") if isinstance(log, bytes) else str(log)
            gl.glDeleteProgram(self.id)
            self.id = 0
            names = " + ".join(str(path) for path in stages.values())
            first = next((line.strip() for line in log.splitlines() if line.strip()), "unknown error")
            raise ShaderError(f"{names}: link error: {first}")
        self._setters = self._introspect_uniforms()

    @classmethod
    def from_files(cls, vert: str | Path, frag: str | Path, geom: str | Path | None = None, *,
                   defines: tuple[str, ...] = ()) -> "Program":
        """A program from shader files; `defines` become `#define NAME` in every stage, so one file
        can serve variants (a branch on a uniform costs a software rasterizer both sides per pixel)."""
        stages = {gl.GL_VERTEX_SHADER: shader_path(vert), gl.GL_FRAGMENT_SHADER: shader_path(frag)}
        if geom is not None:
            stages[gl.GL_GEOMETRY_SHADER] = shader_path(geom)
        return cls(stages, defines)

    def _introspect_uniforms(self) -> dict[str, object]:
        setters = {}
        for index in range(gl.glGetProgramiv(self.id, gl.GL_ACTIVE_UNIFORMS)):
            raw_name, size, gl_type = gl.glGetActiveUniform(self.id, index)
            name = raw_name.decode() if isinstance(raw_name, bytes) else str(raw_name)
            name = name.split("\x00")[0]
            location = gl.glGetUniformLocation(self.id, name)
            if location < 0:  # members of uniform blocks
                continue
            base = name[:-3] if name.endswith("[0]") else name
            setters[base] = _uniform_setter(int(gl_type), int(location), int(size))
        return setters

    def has_uniform(self, name: str) -> bool:
        return name in self._setters

    def __setitem__(self, name: str, value) -> None:
        setter = self._setters.get(name)
        if setter is not None:
            setter(value)

    def set_uniforms(self, **values) -> None:
        for name, value in values.items():
            self[name] = value

    def use(self) -> "Program":
        gl.glUseProgram(self.id)
        return self

    def release(self) -> None:
        if self.id:
            # A deleted program stays current (unlike buffers or textures, which unbind); whoever later
            # restores "the current program" by name (the ImGui renderer does) would get GL_INVALID_VALUE.
            if gl.glGetIntegerv(gl.GL_CURRENT_PROGRAM) == self.id:
                gl.glUseProgram(0)
            gl.glDeleteProgram(self.id)
            self.id = 0
