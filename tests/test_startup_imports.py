"""The explorer draws its first frame before torch is imported (the decoder worker imports it in the
background): importing the scene and every panel must not pull torch in on the main thread."""
import subprocess
import sys


def test_the_explorer_and_its_panels_import_without_torch():
    code = ("import sys\n"
            "import latentwalk.scenes.explorer.scene, latentwalk.subcommands.run\n"
            "import latentwalk.scenes.explorer.panels.activations, latentwalk.scenes.explorer.panels.weights\n"
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"
