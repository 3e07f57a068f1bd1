"""Engine failures whose message is a complete one-line diagnosis (the CLI prints it as is)."""


class EngineError(Exception):
    """A user-facing failure of the engine: no GL context, a broken shader, an unwritable capture path."""


class ContextError(EngineError):
    """No OpenGL context of the required version/profile could be created."""


class ShaderError(EngineError):
    """A GLSL file failed to load, compile or link; the message reads `file:line: message`."""
