"""One run, one directory: processes started together never share a run directory; a named
directory that holds a run is refused unless the command resumes it; the ranks of one DDP run
share one directory without `hydra.run.dir`."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import FAST

from ganexp.errors import ConfigError
from ganexp.rundir import announce, await_announcement, claim_named, claim_new, decide, launch

TOY = ["model=mlp", "dataset=ring8", "loss=ns", "train.g_steps=3"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "WANDB_MODE": "disabled"}


def ganexp(cwd: Path, *args: str, launcher=(sys.executable, "-m")) -> subprocess.Popen:
    cmd = [*launcher, "ganexp", *FAST, *TOY, *args]
    return subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err.decode()


def summaries(root: Path) -> dict[Path, dict]:
    return {f.parent: json.loads(f.read_text()) for f in root.rglob("summary.json")}


def test_runs_started_together_get_their_own_directories(tmp_path):
    # a time stamp of one year: both commands resolve the same name, as runs in one second do
    same = "hydra.run.dir=outputs/${now:%Y}_same"
    procs = [ganexp(tmp_path, same, f"train.seed={seed}") for seed in (1, 2)]
    assert all(finish(p)[0] == 0 for p in procs)
    found = summaries(tmp_path / "outputs")
    assert len(found) == 2
    names = sorted(d.name for d in found)
    assert names[1] == f"{names[0]}-2"  # readable and sortable: NAME, NAME-2
    assert sorted(s["config"]["train"]["seed"] for s in found.values()) == [1, 2]
    for directory, summary in found.items():
        assert Path(summary["run_dir"]) == directory.resolve()
        saved = (directory / ".hydra" / "overrides.yaml").read_text()
        assert f"train.seed={summary['config']['train']['seed']}" in saved  # its own config
        assert (directory / "checkpoints" / "last.ckpt").is_file()


def test_a_named_directory_holding_a_run_is_refused_and_resume_still_works(tmp_path):
    run = tmp_path / "run"
    assert finish(ganexp(tmp_path, f"hydra.run.dir={run}"))[0] == 0
    before = (run / "summary.json").read_bytes()

    code, err = finish(ganexp(tmp_path, f"hydra.run.dir={run}", "train.seed=5"))
    assert code != 0 and "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert f"hydra.run.dir={run} already holds a run" in line and f"resume={run}" in line
    assert (run / "summary.json").read_bytes() == before  # nothing of the first run touched

    code, err = finish(ganexp(tmp_path, f"hydra.run.dir={run}", f"resume={run}", "train.g_steps=5"))
    assert code == 0, err
    assert json.loads((run / "summary.json").read_text())["g_steps"] == 5


def test_an_empty_or_absent_named_directory_is_used(tmp_path):
    (tmp_path / "empty").mkdir()
    assert claim_named(tmp_path / "empty", None, "run_dir") == tmp_path / "empty"
    assert claim_named(tmp_path / "a" / "b", None, "run_dir") == tmp_path / "a" / "b"
    with pytest.raises(ConfigError, match="already holds a run"):  # the second of two claims
        claim_named(tmp_path / "empty", None, "run_dir")


def test_the_python_api_refuses_a_run_directory_holding_a_run(fit, tmp_path):
    fit(TOY, run="run")
    with pytest.raises(ConfigError, match="run_dir=.* already holds a run"):
        fit(TOY, run="run")
    assert fit([*TOY, f"resume={tmp_path / 'run'}", "train.g_steps=4"], run="run")["g_steps"] == 4


def test_claim_new_takes_the_next_free_name_under_contention(tmp_path):
    name = tmp_path / "12-00-00_mlp_ns_ring8"
    claimed, threads = [], []
    for _ in range(8):
        threads.append(threading.Thread(target=lambda: claimed.append(claim_new(name))))
        threads[-1].start()
    for t in threads:
        t.join()
    expected = [name] + [name.with_name(f"{name.name}-{n}") for n in range(2, 9)]
    assert sorted(claimed) == sorted(expected)


def test_launchers_name_their_launch(monkeypatch):
    for var in ("TORCHELASTIC_RUN_ID", "SLURM_NTASKS", "SLURM_JOB_ID", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    assert launch() == (0, None)
    monkeypatch.setenv("LOCAL_RANK", "1")  # a rank Lightning's launcher started
    assert launch() == (1, None)
    monkeypatch.setenv("SLURM_JOB_ID", "77")
    monkeypatch.setenv("SLURM_NTASKS", "4")
    monkeypatch.setenv("SLURM_PROCID", "3")
    assert launch() == (3, "slurm-77.0.0")
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "abc")
    monkeypatch.setenv("RANK", "2")
    rank, launch_id = launch()
    assert rank == 2 and launch_id.startswith("torchrun-")


def test_the_ranks_of_one_launch_share_rank_zeros_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    monkeypatch.setenv("SLURM_JOB_ID", "77")
    monkeypatch.setenv("SLURM_NTASKS", "2")
    pattern = "outputs/${now:%H-%M-%S}_x"
    monkeypatch.setenv("SLURM_PROCID", "0")
    taken = decide(Path("outputs/12-00-00_x"), pattern, None, "hydra.run.dir")
    monkeypatch.setenv("SLURM_PROCID", "1")  # another rank, whose clock read another second
    assert decide(Path("outputs/12-00-01_x"), pattern, None, "hydra.run.dir") == taken
    assert not Path("outputs/12-00-01_x").exists()

    # rank zero refused: the other ranks stop with the same line instead of waiting
    meeting = tmp_path / "meeting.json"
    waited = []

    def other_rank():
        waited.append(pytest.raises(ConfigError, await_announcement, meeting, 1))

    other = threading.Thread(target=other_rank)
    other.start()
    announce(meeting, error="hydra.run.dir=x already holds a run")
    other.join()
    assert "already holds a run" in str(waited[0].value)


def test_ddp_ranks_started_by_torchrun_write_one_directory(tmp_path):
    ddp = ["trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2"]
    torchrun = (sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2")
    torchrun += ("-m",)
    code, err = finish(ganexp(tmp_path, *ddp, launcher=torchrun))
    assert code == 0, err[-3000:]
    (directory,) = summaries(tmp_path / "outputs")
    runs = [d for d in (tmp_path / "outputs").iterdir() if not d.name.startswith(".")]
    assert len(runs) == 1 and len(list(runs[0].iterdir())) == 1  # one date, one run
    assert (directory / "checkpoints" / "last.ckpt").is_file()


def test_a_run_refused_at_start_up_leaves_its_directory_free(fit, tmp_path):
    with pytest.raises(ConfigError, match="train.lr_schedule=cosine"):
        fit([*TOY, "train.lr_schedule=cosine"], run="run")
    assert not (tmp_path / "run").exists()  # the claim is undone: the same name can be used
    assert fit(TOY, run="run")["g_steps"] == 3
    # a resumed run refused at start-up keeps the directory it continues in place
    with pytest.raises(ConfigError, match="train.lr_schedule=cosine"):
        fit([f"resume={tmp_path / 'run'}", "train.lr_schedule=cosine"], run="run")
    assert (tmp_path / "run" / "summary.json").is_file() and (tmp_path / "run" / ".hydra").is_dir()
