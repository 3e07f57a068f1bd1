"""The worked examples in ARCHITECTURE.md run as written, so the map cannot drift from the code."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "ARCHITECTURE.md").read_text(), re.S)


def test_the_input_source_example_polls_a_person_in_and_plays_the_walk(tmp_path):
    (block,) = [b for b in python_blocks() if "class PresenceSensor" in b]
    namespace: dict = {}
    exec(compile(block, "ARCHITECTURE.md", "exec"), namespace)
    value = tmp_path / "value"
    value.write_text("0\n")
    sensor = namespace["PresenceSensor"](value)
    assert sensor.poll() == [] and not sensor.active() and sensor.inputs == 0
    value.write_text("1\n")
    (action,) = sensor.poll()
    assert action.name == "set_playing" and action.value == 1.0 and sensor.active() and sensor.inputs == 1
    assert sensor.poll() == [] and sensor.inputs == 1  # still there: no new person


def test_the_action_example_is_the_declaration_in_the_table():
    from latentwalk.scenes.explorer.input.actions import ACTIONS

    (block,) = [b for b in python_blocks() if "def _toggle_axes" in b]
    declared = ACTIONS["toggle_axes"]
    inputs = "(" + ", ".join(f'"{name}"' for name in declared.defaults) + ("," if len(declared.defaults) == 1 else "") + ")"
    assert f'ActionSpec("toggle_axes", "{declared.words}", {inputs}, makes=c.SetPointStyle' in block
