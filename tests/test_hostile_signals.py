"""Signals, however they arrive: SIGINT, SIGTERM and SIGHUP close the output and exit 130/143/129, also
for a background job of a script (SIGINT inherited ignored), also when a second signal follows during
the closing; SIGKILL leaves MP4 and WebM files that play; a terminal's Ctrl+C (to the whole process
group, through a real pty) leaves no helper process and no temporary folder behind."""
from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from latentwalk.engine.video import read_video

ROOT = Path(__file__).resolve().parents[1]
RECORD = [sys.executable, "-m", "latentwalk", "record", "--through", "1,6,2,4", "--frames", "100000",
          "--size", "160x96", "--progress", "lines"]


def wait_for(condition, seconds: float = 90.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class BackgroundJob:
    """`cmd &` from a non-interactive shell, as a script starts it: SIGINT and SIGQUIT come ignored."""

    def __init__(self, argv: list[str], folder: Path, name: str | None = None) -> None:
        self.log = folder / f"{name or Path(argv[argv.index('--out') + 1]).name}.log"
        command = " ".join(map(str, argv))
        # the shell as a terminal starts it: SIGHUP not ignored even when the test run is under nohup
        # (ignored at a shell's start, no trap can undo it, and the job would not hear its hang-up)
        self.shell = subprocess.Popen(["bash", "-c", f"{command} >{self.log} 2>&1 & echo $!; wait $!; exit $?"],
                                      stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                      preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))
        self.pid = int(self.shell.stdout.readline())

    def text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def frames_done(self) -> int:
        lines = [line for line in self.text().splitlines() if line.startswith("frame ")]
        return int(lines[-1].split()[1]) if lines else 0


def sigint_is_ignored(pid: int) -> bool:
    ignored = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("SigIgn"))
    return bool(int(ignored.split()[1], 16) & (1 << (signal.SIGINT - 1)))


def test_a_background_job_of_a_script_starts_with_sigint_ignored(tmp_path):
    """What the tests below rely on: the job starts with SIGINT ignored (latentwalk takes it over)."""
    job = BackgroundJob(["sleep", "30"], tmp_path, "sleep")  # sleep keeps its signals as it started
    try:
        wait_for(lambda: sigint_is_ignored(job.pid), 5, "the shell to set up its job")
    finally:
        os.kill(job.pid, signal.SIGKILL)
        job.shell.wait(10)


# (signals sent, 0.1 s apart, the exit status): the second must not cut the closing; five quick Ctrl+C
# make no traceback
SIGNAL_CASES = {"int": ((signal.SIGINT,), 130), "term": ((signal.SIGTERM,), 143), "hup": ((signal.SIGHUP,), 129),
                "int-then-term": ((signal.SIGINT, signal.SIGTERM), 130), "five-ints": ((signal.SIGINT,) * 5, 130)}


def test_each_stopping_signal_closes_the_file_of_a_background_job(tmp_path):
    """All cases at once (each a recording of its own), so the start-ups overlap."""
    jobs = {name: BackgroundJob([*RECORD, "--layout", "image", "--out", tmp_path / f"{name}.mp4"], tmp_path)
            for name in SIGNAL_CASES}
    for name, job in jobs.items():
        wait_for(lambda: job.frames_done() >= 10 or job.shell.poll() is not None, what=f"10 frames ({name})")
        for signum in SIGNAL_CASES[name][0]:
            os.kill(job.pid, signum)
            time.sleep(0.1 if name == "int-then-term" else 0.02)
    for name, job in jobs.items():
        assert job.shell.wait(60) == SIGNAL_CASES[name][1], (name, job.text())
        text = job.text()
        assert "Traceback" not in text and "cut short after" in text, (name, text)
        summary = next(line for line in text.splitlines() if line.startswith("wrote "))
        written = int(summary.split(": ")[1].split(" frames")[0])
        assert written >= 10 and len(read_video(tmp_path / f"{name}.mp4")[0]) == written, name


def test_sigkill_leaves_mp4_and_webm_files_that_play_up_to_their_last_second(tmp_path):
    """At 10 fps a second is 10 frames: a kill after 25 leaves at least the first whole second."""
    jobs = {name: BackgroundJob([*RECORD, "--layout", "image", "--fps", "10", "--out", tmp_path / name], tmp_path)
            for name in ("killed.mp4", "killed.webm")}
    for name, job in jobs.items():
        wait_for(lambda: job.frames_done() >= 25, what=f"25 frames of {name}")
        os.kill(job.pid, signal.SIGKILL)
        assert job.shell.wait(30) == 128 + signal.SIGKILL
    for name in jobs:
        frames = read_video(tmp_path / name)[0]
        assert len(frames) >= 10, f"{name}: {len(frames)} frames play after a kill at frame 25"


class Terminal:
    """The command on a real pty as its controlling terminal, in a session of its own: writing Ctrl+C
    to the pty makes the kernel send SIGINT to the whole foreground process group, as a person would."""

    def __init__(self, argv: list[str], temp: Path) -> None:
        self.master, slave = os.openpty()

        def take_terminal() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        env = {**os.environ, "TMPDIR": str(temp)}
        env.pop("DISPLAY", None)  # the command starts its own Xvfb, the helper under test
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, preexec_fn=take_terminal,
                                        env=env, cwd=ROOT)
        os.close(slave)
        self.output = b""

    def read(self) -> str:
        while select.select([self.master], [], [], 0)[0]:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.output += chunk
        return self.output.decode(errors="replace")

    def helpers(self) -> list[int]:
        """Xvfb processes this one started."""
        found = []
        for entry in os.listdir("/proc"):
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
                if parent == self.process.pid and b"Xvfb" in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
        return found

    def ctrl_c(self) -> int:
        os.write(self.master, b"\x03")
        status = self.process.wait(60)
        self.read()
        os.close(self.master)
        return status


@pytest.mark.parametrize("command", ["record", "bench"])
def test_ctrl_c_in_a_terminal_closes_up_and_leaves_no_helper_or_temporary_folder(tmp_path, command):
    temp = tmp_path / "temp"
    temp.mkdir()
    if command == "record":
        out = tmp_path / "view.mp4"
        terminal = Terminal([*RECORD, "--layout", "view", "--out", str(out)], temp)
        wait_for(lambda: "frame 10 " in terminal.read() or terminal.process.poll() is not None, what="frame 10")
    else:
        terminal = Terminal([sys.executable, "-m", "latentwalk", "bench", "--points", "2000", "--seconds", "60",
                             "--size", "160x120"], temp)
        wait_for(lambda: terminal.helpers() and any(temp.iterdir()) or terminal.process.poll() is not None,
                 what="the bench's Xvfb and bundle")
        time.sleep(1.0)  # into the camera path
    xvfb = terminal.helpers()
    assert xvfb, terminal.read()
    assert terminal.ctrl_c() == 130, terminal.output.decode(errors="replace")
    text = terminal.output.decode(errors="replace")
    assert "Traceback" not in text and "X connection" not in text, text
    if command == "record":
        assert "cut short after" in text
        summary = next(line for line in text.splitlines() if line.startswith("wrote ") or "wrote " in line)
        written = int(summary.split("view.mp4: ")[1].split(" frames")[0])
        assert len(read_video(out)[0]) == written >= 10
    else:
        assert "latentwalk bench: interrupted" in text
    assert list(temp.iterdir()) == []  # no latentwalk-record-* folder, no synthetic bundle
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in xvfb), 15, "the private Xvfb to stop")
