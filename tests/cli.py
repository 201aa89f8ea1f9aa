"""`python -m ganexp ARGS` many times at the cost of one start-up.

A server process imports torch, Lightning and ganexp's modules once (what every command spends
most of its start-up on) and then forks a child per command, which runs `python -m ganexp` as the
command line would, in a fresh copy of that process: its own Hydra, its own exit code, its
standard output and error in a file. The server never runs a torch operation, so no thread pool
is copied into a child.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SERVER = r"""
import json, os, runpy, sys, traceback
import pytorch_lightning, ganexp.build, ganexp.families.gan, ganexp.families.wgan  # the start-up
import ganexp.nets.dcgan, ganexp.nets.mlp, ganexp.train
for line in sys.stdin:
    args, out = json.loads(line)
    pid = os.fork()
    if pid == 0:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1), os.dup2(fd, 2), os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        sys.argv, code = ["ganexp", *args], 0
        try:
            runpy.run_module("ganexp", run_name="__main__", alter_sys=True)
        except SystemExit as stop:
            if isinstance(stop.code, str):
                print(stop.code, file=sys.stderr)
            code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush(), sys.stderr.flush()
        os._exit(code)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


@dataclass
class Finished:
    returncode: int
    stderr: str  # standard output and error together, as a person at the console sees them


class Commands:
    """`run(args, out)`: the exit code and console text of `python -m ganexp *args`."""

    def __init__(self):
        self.server = subprocess.Popen(
            [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def run(self, args: list[str], out: Path) -> Finished:
        self.server.stdin.write(json.dumps([list(args), str(out)]) + "\n")
        self.server.stdin.flush()
        code = int(self.server.stdout.readline())
        return Finished(code, Path(out).read_text())

    def close(self) -> None:
        self.server.stdin.close()
        self.server.wait(timeout=60)
