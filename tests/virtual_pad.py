"""A real SDL gamepad for tests: SDL's virtual joystick (SDL_JoystickAttachVirtual, through ctypes on the
SDL library pygame loaded), typed as a game controller so SDL maps it and sends genuine CONTROLLER*
events. Its buttons and axes are numbered as SDL's controller enums, so a name from
engine.input_names maps to the same number here."""
from __future__ import annotations

import ctypes
import os

os.environ.setdefault("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS", "1")  # the Xvfb window may lack focus

import pygame  # noqa: E402

from latentwalk.engine.input_names import PAD_AXES, PAD_BUTTONS  # noqa: E402
from latentwalk.engine.ui import _sdl_library  # noqa: E402

_SDL_JOYSTICK_TYPE_GAMECONTROLLER = 1


def _sdl():
    sdl = _sdl_library()
    sdl.SDL_JoystickOpen.restype = ctypes.c_void_p
    sdl.SDL_JoystickOpen.argtypes = [ctypes.c_int]
    sdl.SDL_JoystickClose.argtypes = [ctypes.c_void_p]
    sdl.SDL_JoystickSetVirtualAxis.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int16]
    sdl.SDL_JoystickSetVirtualButton.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint8]
    sdl.SDL_JoystickDetachVirtual.argtypes = [ctypes.c_int]
    sdl.SDL_JoystickInstanceID.argtypes = [ctypes.c_void_p]
    sdl.SDL_JoystickGetDeviceInstanceID.argtypes = [ctypes.c_int]
    return sdl


class VirtualPad:
    """attach() plugs it in (SDL then posts CONTROLLERDEVICEADDED), detach() pulls it out."""

    def __init__(self) -> None:
        self.sdl = _sdl()
        self.device_index: int | None = None
        self._handle = None
        self.instance_id = -1

    def attach(self) -> "VirtualPad":
        pygame.joystick.init()
        index = self.sdl.SDL_JoystickAttachVirtual(_SDL_JOYSTICK_TYPE_GAMECONTROLLER, len(PAD_AXES),
                                                    len(PAD_BUTTONS), 0)
        assert index >= 0, "SDL_JoystickAttachVirtual failed"
        self.device_index = index
        self._handle = self.sdl.SDL_JoystickOpen(index)
        assert self._handle, "SDL_JoystickOpen failed on the virtual pad"
        self.instance_id = self.sdl.SDL_JoystickInstanceID(self._handle)
        return self

    def axis(self, name: str, value: float) -> None:
        """`value` in [-1, 1] (triggers: 0 released, 1 fully pressed)."""
        raw = int(round(max(-1.0, min(1.0, value)) * 32767))
        if name.endswith("trigger"):  # SDL maps a virtual axis' full range onto a trigger's 0..32767
            raw = int(round(-32768 + max(0.0, min(1.0, value)) * 65535))
        assert self.sdl.SDL_JoystickSetVirtualAxis(self._handle, PAD_AXES[name], raw) == 0

    def button(self, name: str, down: bool) -> None:
        assert self.sdl.SDL_JoystickSetVirtualButton(self._handle, PAD_BUTTONS[name], 1 if down else 0) == 0

    def detach(self) -> None:
        if self._handle is None:
            return
        self.sdl.SDL_JoystickClose(self._handle)
        self._handle = None
        # device indices shift as pads come and go: find this one again by its instance id
        for index in range(self.sdl.SDL_NumJoysticks()):
            if self.sdl.SDL_JoystickGetDeviceInstanceID(index) == self.instance_id:
                assert self.sdl.SDL_JoystickDetachVirtual(index) == 0
                break
        self.device_index = None
