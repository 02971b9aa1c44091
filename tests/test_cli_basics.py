"""The CLI shell: help, version, exit codes, error display, Tab completion. No TensorFlow.

Most checks run the installed console script in a subprocess, as a shell would.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rnncli
from rnncli.cli import app

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ROOT / "completions"
SCRIPT = shutil.which("rnncli", path=str(Path(sys.executable).parent)) or shutil.which("rnncli")
needs_script = pytest.mark.skipif(
    SCRIPT is None, reason="the rnncli console script is not installed"
)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that changes rnncli's behaviour, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("_RNNCLI_", "_TYPER_", "COMP_", "RNNCLI_"))
    }
    env.update(NO_COLOR="1", **extra)
    return env


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=clean_env(**env), capture_output=True, text=True, timeout=120, check=False
    )


def load_generator():
    spec = importlib.util.spec_from_file_location("generate", COMPLETIONS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- completion scripts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "shell, name", [("bash", "rnncli.bash"), ("zsh", "_rnncli"), ("fish", "rnncli.fish")]
)
@needs_script
def test_completion_script_is_current(shell: str, name: str) -> None:
    done = run([SCRIPT], _RNNCLI_COMPLETE=f"source_{shell}")
    assert done.returncode == 0, done.stderr
    committed = (COMPLETIONS / name).read_text(encoding="utf-8")
    assert done.stdout.lstrip("\n") == committed, (
        f"completions/{name} is out of date; run: python completions/generate.py"
    )


def test_generator_matches_committed_files() -> None:
    generate = load_generator()
    for shell, name in generate.FILES.items():
        assert generate.script(shell) == (COMPLETIONS / name).read_text(encoding="utf-8"), name
    assert (COMPLETIONS / "_rnncli").read_text().startswith("#compdef rnncli\n")


def complete_bash(line: str) -> list[str]:
    words = line.split(" ")
    done = run(
        [SCRIPT],
        _RNNCLI_COMPLETE="complete_bash",
        COMP_WORDS=line,
        COMP_CWORD=str(len(words) - 1),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@needs_script
@pytest.mark.parametrize(
    "line, offered",
    [
        ("rnncli tr", "train"),
        ("rnncli in", "ingest"),
        ("rnncli in", "info"),
        ("rnncli in", "inspect-weights"),
    ],
)
def test_bash_completes_commands(line: str, offered: str) -> None:
    assert offered in complete_bash(line)


@needs_script
def test_bash_completion_filters_by_prefix() -> None:
    got = complete_bash("rnncli in")
    assert got and all(word.startswith("in") for word in got)


@needs_script
def test_bash_completes_options_and_choices() -> None:
    assert "--look-back" in complete_bash("rnncli ingest --lo")
    assert set(complete_bash("rnncli ingest data.csv --scale ")) >= {"standard", "minmax", "none"}


@needs_script
@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_complete_commands(shell: str) -> None:
    env = {"_RNNCLI_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": "rnncli in"}
    if shell == "fish":
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    done = run([SCRIPT], **env)
    assert done.returncode == 0, done.stderr
    for command in ("ingest", "info", "inspect-weights"):
        assert command in done.stdout


# ---- no TensorFlow on the fast paths ----------------------------------------------------------

HEAVY = ("tensorflow", "keras")


def test_importing_the_cli_does_not_import_tensorflow() -> None:
    code = (
        "import sys, rnncli.cli\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print('tensorflow' in sys.modules)"
    )
    done = run([sys.executable, "-c", code])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "False"]


def imported_modules(importtime_log: str) -> set[str]:
    """Module names from a `-X importtime` log (stderr)."""
    names = set()
    for row in importtime_log.splitlines():
        if row.startswith("import time:") and "|" in row:
            name = row.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name.split(".")[0])
    return names


# Runs the console-script entry point like the `rnncli` script does, and at exit
# (after typer's sys.exit) writes the heavy modules found in sys.modules to a file.
# This sees an import by any route, also one made while rnncli has stderr (and with
# it the -X importtime log) silenced around TensorFlow's import.
MAIN_WITH_REPORT = """
import atexit, os, sys
def report():
    heavy = sorted(m for m in {heavy!r} if m in sys.modules)
    with open(os.environ["RNNCLI_TEST_REPORT"], "w") as fh:
        fh.write(",".join(heavy) or "none")
atexit.register(report)
sys.argv = ["rnncli", *sys.argv[1:]]
from rnncli.cli import main
main()
"""


def heavy_imports(tmp_path: Path, args: list[str], env: dict[str, str]) -> tuple[set, set, str]:
    """(heavy modules at exit, heavy modules in the -X importtime log, stderr) of one run."""
    report = tmp_path / "heavy.txt"
    code = MAIN_WITH_REPORT.format(heavy=HEAVY)
    done = run(
        [sys.executable, "-X", "importtime", "-c", code, *args],
        RNNCLI_TEST_REPORT=str(report),
        **env,
    )
    modules = imported_modules(done.stderr)
    assert "rnncli" in modules and "typer" in modules  # the log was read correctly
    at_exit = report.read_text()
    return (set() if at_exit == "none" else set(at_exit.split(","))), modules & set(HEAVY), done


@pytest.mark.parametrize(
    "args, env",
    [
        ([], {"_RNNCLI_COMPLETE": "complete_bash", "COMP_WORDS": "rnncli in", "COMP_CWORD": "1"}),
        (
            [],
            {
                "_RNNCLI_COMPLETE": "complete_bash",
                "COMP_WORDS": "rnncli train --ce",
                "COMP_CWORD": "2",
            },
        ),
        ([], {"_RNNCLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "rnncli ingest --"}),
        ([], {"_RNNCLI_COMPLETE": "source_bash"}),
        (["--help"], {}),
        (["ingest", "--help"], {}),
        (["--version"], {}),
    ],
    ids=[
        "complete-command",
        "complete-option",
        "complete-zsh",
        "source-script",
        "help",
        "ingest-help",
        "version",
    ],
)
def test_fast_paths_do_not_import_tensorflow(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    at_exit, logged, done = heavy_imports(tmp_path, args, env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip()
    assert at_exit == set(), at_exit
    assert logged == set(), logged


@pytest.mark.tf
@pytest.mark.parametrize(
    "command",
    [
        ["predict", "{air}", "{data}", "--steps", "5", "--intervals", "80"],
        ["evaluate", "{air}"],
        ["inspect-weights", "{air}", "--values"],
        ["predict", "{panel}", "{panel_data}"],
        ["evaluate", "{panel}", "--backtest", "2"],
        ["predict", "{panel}", "{panel_data}", "--plot", "{tmp}/p.png"],
        ["evaluate", "{air}", "--plot", "{tmp}/e.png"],
    ],
    ids=[
        "predict",
        "evaluate",
        "inspect-weights",
        "predict-panel",
        "evaluate-panel",
        "predict-plot",
        "evaluate-plot",
    ],
)
def test_using_a_model_does_not_import_tensorflow(
    tmp_path: Path, air_model: Path, panel_model: Path, command: list[str]
) -> None:
    """The default engine is NumPy: forecasting, scoring and inspecting a trained model never
    start TensorFlow or Keras (the cron case: ~4 s of import for milliseconds of work)."""
    names = {
        "air": str(air_model),
        "panel": str(panel_model),
        "data": str(ROOT / "sample_data" / "airpassengers.csv"),
        "panel_data": str(ROOT / "sample_data" / "employment_panel.csv"),
        "tmp": str(tmp_path),
    }
    args = [part.format(**names) for part in command]
    at_exit, logged, done = heavy_imports(tmp_path, args, {})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip()
    assert at_exit == set(), at_exit
    assert logged == set(), logged


def test_the_tensorflow_probe_sees_an_import(tmp_path: Path) -> None:
    """Control: the probe above reports TensorFlow when a command imports it.

    A stand-in `tensorflow` package first on PYTHONPATH keeps this fast: `info`
    imports it through rnncli.runtime (then fails on the empty stand-in).
    """
    fake = tmp_path / "fake"
    (fake / "tensorflow").mkdir(parents=True)
    (fake / "tensorflow" / "__init__.py").write_text("")
    at_exit, _, done = heavy_imports(tmp_path, ["info"], {"PYTHONPATH": str(fake)})
    assert done.returncode != 0
    assert "tensorflow" in at_exit


# ---- help, version, exit codes ----------------------------------------------------------------

runner = CliRunner()


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["ingest", "--help"]])
def test_help_exits_0(args: list[str]) -> None:
    result = runner.invoke(app, args, prog_name="rnncli")
    assert result.exit_code == 0, result.output
    assert "Usage: rnncli" in result.output


@needs_script
@pytest.mark.parametrize("args", [["--help"], ["ingest", "--help"]])
def test_help_exits_0_from_the_console_script(args: list[str]) -> None:
    done = run([SCRIPT, *args])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: rnncli")


@needs_script
def test_version() -> None:
    done = run([SCRIPT, "--version"])
    assert done.returncode == 0
    assert done.stdout.strip() == f"rnncli {rnncli.__version__}"


def test_python_dash_m_version() -> None:
    done = run([sys.executable, "-m", "rnncli", "--version"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"rnncli {rnncli.__version__}"


@needs_script
@pytest.mark.parametrize(
    "args",
    [["--no-such-option"], ["ingest", "--no-such-option", "x.csv"], ["no-such-command"]],
)
def test_usage_error_exits_2(args: list[str]) -> None:
    done = run([SCRIPT, *args])
    assert done.returncode == 2
    assert "Usage:" in done.stderr
    assert done.stdout == ""


# ---- errors: one line, or a traceback with RNNCLI_DEBUG / --debug ----------------------------


@needs_script
def test_user_error_is_one_line_without_debug(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    done = run([SCRIPT, "ingest", str(missing)])
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"Error: file '{missing}' not found; check the path (or pass - to read stdin)"
    ]
    assert "Traceback" not in done.stderr


@needs_script
@pytest.mark.parametrize(
    "debug_args, env", [([], {"RNNCLI_DEBUG": "1"}), (["--debug"], {})], ids=["env", "flag"]
)
def test_debug_shows_the_traceback(
    tmp_path: Path, debug_args: list[str], env: dict[str, str]
) -> None:
    missing = tmp_path / "missing.csv"
    done = run([SCRIPT, *debug_args, "ingest", str(missing)], **env)
    assert done.returncode != 0
    assert "Traceback (most recent call last)" in done.stderr
    assert "rnncli.errors.DataError: file" in done.stderr


@needs_script
def test_rnncli_debug_0_means_off(tmp_path: Path) -> None:
    done = run([SCRIPT, "ingest", str(tmp_path / "missing.csv")], RNNCLI_DEBUG="0")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: ")
