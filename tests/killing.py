"""Kill a real process in the middle of a write, for the atomicity tests."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap


def kill_when(script: str, ready: str) -> None:
    """Run ``script`` in a fresh interpreter; SIGKILL it once it prints the line ``ready``.

    The script must print ``ready`` (flushed) at the moment it is mid-write, then keep
    writing or sleep. Asserts that the process really died from the signal.
    """
    command = [sys.executable, "-c", textwrap.dedent(script)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == ready
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
