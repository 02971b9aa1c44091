"""--distribute multiworker: two CPU worker processes on loopback ports, configured by TF_CONFIG,
train one model; both exit 0, only the chief writes its model directory, the weights agree."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLE

pytestmark = [pytest.mark.tf, pytest.mark.multiworker]
AIR = SAMPLE / "airpassengers.csv"
RNNCLI = str(Path(sys.executable).with_name("rnncli"))
TIMEOUT = 120  # seconds for both workers together (they take ~20 s on an idle 2-core machine)


def _free_ports(n: int) -> list[int]:
    """Ports the kernel hands out now (held open together, so they differ)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.mark.parametrize("xla", ["--xla", "--no-xla"])
def test_two_workers_train_one_model(tmp_path: Path, xla: str) -> None:
    """With XLA (the default on a CPU) each worker's gradients are compiled and the all-reduce
    is not; without it nothing is."""
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        env = dict(os.environ)
        env.update(
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
            CUDA_VISIBLE_DEVICES="-1",
            TF_CPP_MIN_LOG_LEVEL="3",
        )
        cmd = [
            RNNCLI, "train", str(AIR), "--distribute", "multiworker", "--out",
            str(tmp_path / f"model{index}"), "--units", "4", "--epochs", "3", "--look-back", "12",
            "--horizon", "3", "--ensemble", "1", "--batch-size", "16", "--seed", "5", xla,
        ]  # fmt: skip
        procs.append(
            subprocess.Popen(
                cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    deadline = time.monotonic() + TIMEOUT
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=max(1.0, deadline - time.monotonic())))
    finally:
        for proc in procs:  # a worker left waiting for its peer must not outlive the test
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
    chief, other = tmp_path / "model0", tmp_path / "model1"
    for name in ("rnncli.yaml", "weights.npz", "model.keras", "history.csv", "calibration.json"):
        assert (chief / name).is_file(), name
    assert not other.exists(), "only the chief writes a model directory"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary left"
    digests = []
    for index, (_out, err) in enumerate(outputs):
        assert f"worker {index + 1} of 2" in err
        found = re.findall(rf"worker {index + 1}: weights sha256 ([0-9a-f]{{64}})", err)
        assert len(found) == 1, err[-3000:]
        digests.append(found[0])
    assert digests[0] == digests[1], "the workers ended with different weights"
    meta = yaml.safe_load((chief / "rnncli.yaml").read_text())
    assert meta["train"]["distribute"] == "multiworker"
    assert meta["engine"]["xla"] is (xla == "--xla") and meta["fit"]["epochs_run"] == 3
    assert meta["engine"]["deterministic"] is (xla == "--no-xla")
