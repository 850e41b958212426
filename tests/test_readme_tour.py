"""The README's tour, run as written against `monev up --sink` (MONEV_TODAY fixed): each
```sh block under "## Tour" runs through bash in a checkout-like folder, with `monev` on
PATH; it must exit 0, and every line of the ```text block after it must be found in its
output, in order ("…" parts may be anything). A command that breaks, or an output the
README shows wrong, fails this test. Also: the prerequisites the README names are the
ones `tools/check_prereqs.sh` reports."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ROOT
from tests.test_up import _env, _ports, running_up

TODAY = "2026-11-29"  # the date the README's outputs are from
BOX = re.compile("[\u2500-\u257f]")  # rich's table borders


@dataclass
class Step:
    commands: list[str]
    expected: list[str] = field(default_factory=list)


def tour_steps(readme: str) -> list[Step]:
    """The ```sh blocks of the "## Tour" section, each with the ```text block right
    after it (if any)."""
    section = readme.split("\n## Tour\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```(\w*)\n(.*?)^```$", section, flags=re.M | re.S)
    steps: list[Step] = []
    for lang, body in blocks:
        if lang == "sh":
            steps.append(Step(_commands(body)))
        elif lang == "text" and steps and not steps[-1].expected:
            steps[-1].expected = [x for x in body.splitlines() if x.strip()]
    return steps


def _commands(body: str) -> list[str]:
    """One string per command: continuation lines joined, comments and blanks dropped."""
    joined = re.sub(r"\\\n\s*", " ", body)
    return [x.strip() for x in joined.splitlines()
            if x.strip() and not x.strip().startswith("#")]


def _norm(text: str) -> str:
    return " ".join(BOX.sub(" ", text).split())


def assert_shape(expected: list[str], output: str, what: str) -> None:
    """Each expected line (its "…"-separated parts in order) on an output line, the
    expected lines in order."""
    lines = [_norm(x) for x in output.splitlines()]
    at = 0
    for want in expected:
        parts = [_norm(p) for p in want.split("…") if _norm(p)]
        for i in range(at, len(lines)):
            pos = 0
            for part in parts:
                pos = lines[i].find(part, pos)
                if pos < 0:
                    break
                pos += len(part)
            else:
                at = i + 1
                break
        else:
            raise AssertionError(f"README tour: {what!r} did not print {want!r} "
                                 f"(after line {at}); it printed:\n{output}")


def _ports_in(text: str, ports: dict[str, int]) -> str:
    return (text.replace("127.0.0.1:8000", f"127.0.0.1:{ports['http']}")
            .replace("127.0.0.1:4200", f"127.0.0.1:{ports['prefect']}"))


def test_readme_tour_runs_as_written(tmp_path: Path) -> None:
    steps = tour_steps((ROOT / "README.md").read_text(encoding="utf-8"))
    assert steps and steps[0].commands == ["make up"], "the tour starts with make up"
    assert steps[1].commands == [". .venv/bin/activate"], "then activates the virtualenv"
    assert len(steps) > 5 and all(s.expected for s in steps[2:]), \
        "every tour command shows what it prints"

    # a checkout-like folder (the commands' relative paths, files they write) and a
    # `monev` on PATH that runs this worktree's code, as .venv/bin/monev would
    work = tmp_path / "checkout"
    work.mkdir()
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (work / entry.name).symlink_to(entry)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "monev"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m app "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)

    ports = _ports()
    env = _env(tmp_path / "home", ports, today=TODAY)
    with running_up(env) as (_, up_lines):
        assert_shape([_ports_in(x, ports) for x in steps[0].expected], "".join(up_lines),
                     "make up")
        run_env = {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}",
                   "PYTHONPATH": str(ROOT)}
        for step in steps[2:]:
            output = ""
            for command in step.commands:
                command = _ports_in(re.sub(r"^\.venv/bin/monev\b", "monev", command), ports)
                assert command.startswith("monev "), f"tour command without monev: {command}"
                done = subprocess.run(["bash", "-c", command], cwd=work, env=run_env,
                                      capture_output=True, text=True, timeout=120)
                assert done.returncode == 0, (f"README tour: {command!r} exited "
                                              f"{done.returncode}:\n{done.stdout}{done.stderr}")
                output += done.stdout + done.stderr
            assert_shape([_ports_in(x, ports) for x in step.expected], output,
                         " && ".join(step.commands))
    assert (work / "laporan.pdf").read_bytes().startswith(b"%PDF")


def test_shape_check_can_fail() -> None:
    """The comparison used above rejects a wrong word and a wrong order."""
    out = "┃ ID ┃ Status ┃\n│ kpu-kota-jambi/zi-2025 │ selesai │\n│ x/rb-2026 │ aktif │\n"
    assert_shape(["kpu-kota-jambi/zi-2025 … selesai", "rb-2026 … aktif"], out, "ok")
    for wrong in (["kpu-kota-jambi/zi-2025 … aktif"],
                  ["rb-2026 … aktif", "kpu-kota-jambi/zi-2025 … selesai"]):
        try:
            assert_shape(wrong, out, "wrong")
        except AssertionError:
            continue
        raise AssertionError(f"{wrong} should not match")


def test_prerequisite_check_names_what_is_missing(tmp_path: Path) -> None:
    """The README's prerequisites, as `make setup|up` report them: one line each with
    its apt package; `up` cannot go on without Chromium, `setup` can."""
    script = str(ROOT / "tools" / "check_prereqs.sh")
    env = {**os.environ, "PY": str(tmp_path / "no-python3"),
           "MONEV_CHROMIUM": str(tmp_path / "no-chromium")}
    up = subprocess.run([script, "up"], cwd=tmp_path, env=env, capture_output=True,
                        text=True)
    assert up.returncode == 1
    assert "apt-get install python3 python3-venv" in up.stderr, up.stderr
    assert "apt-get install chromium" in up.stderr, up.stderr
    env["PY"] = sys.executable
    setup = subprocess.run([script, "setup"], cwd=tmp_path, env=env, capture_output=True,
                           text=True)
    assert setup.returncode == 0, setup.stderr
    assert "apt-get install chromium" in setup.stderr and "python3" not in setup.stderr
