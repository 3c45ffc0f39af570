"""The store never loses an import: concurrent importers, SIGKILL at random points, damage.

Child processes import real panel values (../shared/data/panel/provinces.csv, read once by
each child; copies under made-up file identities so every child brings a distinct vintage).
Each test ends by printing how many cases ran.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from nqpf.data.lock import StoreBusyError
from nqpf.data.store import Store

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import pandas as pd
    from nqpf.data.importers import read_file
    from nqpf.data.batch import ImportBatch, Provenance
    from nqpf.data.lock import StoreBusyError
    from nqpf.data.store import Store

    store, data, tag, wait, copies, go, loop = sys.argv[1:8]
    (b,) = read_file(Path(data))
    obs = b.observations
    if int(copies) > 1:  # real values, repeated under suffixed variable ids to make a big batch
        obs = pd.concat([obs.assign(variable=obs["variable"] + f"_c{i}") for i in range(int(copies))],
                        ignore_index=True)
        cat = pd.concat([b.variables.assign(variable=b.variables["variable"] + f"_c{i}")
                         for i in range(int(copies))], ignore_index=True)
    else:
        cat = b.variables
    while not Path(go).exists():
        time.sleep(0.01)
    st = Store(store, wait=float(wait))
    print("ready", flush=True)
    j = 0
    while True:
        prov = Provenance(f"/fixture/{tag}-{j}.csv", f"{tag}-{j}", "tidy")
        try:
            rep = st.import_batches([ImportBatch(obs, cat, prov)], on_conflict="newer")
        except StoreBusyError as exc:
            print("busy", exc, flush=True)
            sys.exit(2)
        print("ok", f"{tag}-{j}", rep.imported[0].import_id, rep.n_values, flush=True)
        j += 1
        if loop != "loop":
            break
    """
)


def _child(store: Path, data: Path, tag: str, wait: float, go: Path, *, copies: int = 1,
           loop: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store), str(data), tag, str(wait), str(copies), str(go),
         "loop" if loop else "once"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _stored(store: Path) -> dict[str, tuple[int, int]]:
    """sha256 -> (n_values recorded, rows actually stored) of every import."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute(
            "SELECT i.sha256, i.n_values, count(o.import_id) FROM imports i LEFT JOIN "
            "observations o USING (import_id) GROUP BY i.sha256, i.n_values"
        ).fetchall()
    finally:
        con.close()
    return {str(s): (int(n), int(c)) for s, n, c in rows}


@pytest.mark.parametrize("wait", [0.0, 120.0])
def test_concurrent_importers_store_whole_or_refuse(
    wait: float, tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.duckdb"
    data = data_dir / "panel" / "provinces.csv"
    Store(store).import_files([data_dir / "panel" / "national.csv"], progress=False)
    go = tmp_path / "go"
    n = 3
    kids = [_child(store, data, f"w{i}", wait, go) for i in range(n)]
    reads = 0
    time.sleep(0.5)
    go.touch()
    # a reader queries all along: it waits for writers, it never fails
    reader = Store(store, wait=120)
    first = reader.observations(["patents_granted"], ["100000"], [2020])["value"].tolist()
    assert len(first) == 1
    while any(k.poll() is None for k in kids):
        # the national row of the first import: the same through every vintage written
        got = reader.observations(["patents_granted"], ["100000"], [2020])["value"].tolist()
        assert got == first
        reads += 1
    outs = [k.communicate(timeout=300) for k in kids]
    stored = _stored(store)
    ok = busy = 0
    for i, (k, (full, err)) in enumerate(zip(kids, outs, strict=True)):
        out = "\n".join(ln for ln in full.splitlines() if ln != "ready")
        if k.returncode == 0:
            ok += 1
            _, sha, _iid, nval = out.split()
            assert stored[sha] == (int(nval), int(nval))  # whole
        else:
            busy += 1
            assert k.returncode == 2, err
            # refused while another import wrote, or (wait=0) while the reader read
            assert out.startswith("busy store busy (") and (
                "by pid" in out or "being read by another process" in out), out
            assert not any(s.startswith(f"w{i}-") for s in stored)  # nothing of it
    if wait > 0:
        assert ok == n
    assert ok >= 1 and ok + busy == n
    assert Store(store).verify().ok
    with capsys.disabled():
        print(f"\nconcurrency (wait={wait:g} s): {n} importers, {ok} stored whole, {busy} "
              f"refused as busy, {reads} reads during the imports, none failed")


def test_sigkill_at_random_points_leaves_store_whole(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.duckdb"
    data = data_dir / "panel" / "provinces.csv"
    Store(store).import_files([data_dir / "panel" / "national.csv"], progress=False)
    rng = random.Random(8)
    go = tmp_path / "go"
    go.touch()
    kills, imports_seen = 0, 0
    for k in range(6):
        child = _child(store, data, f"k{k}", 60.0, go, copies=8, loop=True)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"  # batch built: imports start now
        time.sleep(rng.uniform(0.0, 4.0))  # somewhere in validation, writing or commit
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=60)
        kills += 1
        imports_seen += out.count("ok ")
        # after each kill: the store opens, verifies, holds every import whole
        rep = Store(store, wait=0).verify()
        assert rep.ok, rep.problems
        for sha, (nval, rows) in _stored(store).items():
            assert nval == rows, sha
        for line in out.splitlines():  # everything reported as stored is there
            _, sha, _iid, nval = line.split()
            assert _stored(store)[sha] == (int(nval), int(nval))
    # the next import finds the lock free (wait=0) and cleans any litter
    Store(store, wait=0).import_files([data], progress=False)
    leftovers = sorted(p.name for p in tmp_path.iterdir()
                       if p.name not in {"s.duckdb", "s.duckdb.lock", "go"})
    assert leftovers == []
    assert Store(store).verify().ok
    with capsys.disabled():
        print(f"\nSIGKILL: {kills} kills at random points, {imports_seen} imports completed "
              f"between them, store whole after each")


def _damaged(tmp_path: Path, data_dir: Path) -> tuple[Path, Path]:
    good = tmp_path / "good.duckdb"
    Store(good).import_files([data_dir / "panel" / "national.csv"], progress=False)
    raw = good.read_bytes()
    trunc = tmp_path / "trunc.duckdb"
    trunc.write_bytes(raw[: len(raw) // 3])
    flip = tmp_path / "flip.duckdb"
    b = bytearray(raw)
    for off in range(len(b) // 2, len(b), 4096):  # damage a byte in every data block
        b[off + 100] ^= 0xFF
    flip.write_bytes(bytes(b))
    return trunc, flip


@pytest.mark.parametrize("which", ["truncated", "bitflipped"])
def test_damaged_store_one_line_exit_2(which: str, tmp_path: Path, data_dir: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from typer.testing import CliRunner

    from nqpf.cli import app

    trunc, flip = _damaged(tmp_path, data_dir)
    path = trunc if which == "truncated" else flip
    before = path.read_bytes()
    runner = CliRunner()
    cases = [
        ["data", "list"], ["data", "coverage"], ["data", "imports"], ["data", "show", "gdp"],
        ["data", "import", str(data_dir / "panel" / "provinces.csv")], ["data", "verify"],
    ]
    failed = 0
    for args in cases:
        res = runner.invoke(app, [*args, "--store", str(path)])
        # a command that only reads undamaged blocks may succeed; none may raise
        assert res.exception is None or isinstance(res.exception, SystemExit), (args, res.output)
        assert res.exit_code in (0, 2), (args, res.output)
        if res.exit_code == 2:
            failed += 1
            first = res.output.strip().splitlines()[0]
            assert "damaged" in first or "not an nqpf store" in first, (args, res.output)
    assert runner.invoke(app, ["data", "verify", "--store", str(path)]).exit_code == 2
    assert runner.invoke(app, ["data", "list", "--store", str(path)]).exit_code == 2
    if which == "truncated":
        assert failed == len(cases)
        assert path.read_bytes() == before  # nothing tried to write over it
    with capsys.disabled():
        print(f"\ndamaged store ({which}): {len(cases)} commands, {failed} refused with one "
              "line and exit 2, none raised")


def test_busy_store_names_the_holder(tmp_path: Path, data_dir: Path) -> None:
    """A writer holding the lock: a second import with --wait 0 is refused, naming it."""
    from nqpf.data import lock

    store = tmp_path / "s.duckdb"
    store.parent.mkdir(exist_ok=True)
    with lock.exclusive(store, 0) as fh:
        lock.record(fh, 7)
        with pytest.raises(StoreBusyError, match=rf"store busy \(import 7 by pid {os.getpid()} since"):
            _import_one(store)
        from typer.testing import CliRunner

        from nqpf.cli import app

        res = CliRunner().invoke(app, ["data", "import", str(data_dir / "panel" / "national.csv"),
                                       "--store", str(store), "--wait", "0"])
        assert res.exit_code == 2 and res.output.count("\n") == 1, res.output
        assert f"store busy (import 7 by pid {os.getpid()} since" in res.output
        t = time.monotonic()
        with pytest.raises(StoreBusyError, match=r"after waiting 0\.3 s"):
            _import_one(store, wait=0.3)
        assert time.monotonic() - t >= 0.3
    _import_one(store)  # free again
    assert len(Store(store).imports()) == 1


def _import_one(store: Path, wait: float = 0.0) -> None:
    import pandas as pd

    from nqpf.data.batch import ImportBatch, Provenance

    obs = pd.DataFrame({"region_code": ["110000"], "year": [2020], "variable": ["population"],
                        "value": [2189.0], "line": [2], "cell": ["D2"]})
    cat = pd.DataFrame([{"variable": "population", "name_en": "Population", "name_zh": "人口",
                         "unit": "10k persons", "source": "fixture", "notes": ""}])
    Store(store, wait=wait).import_batches([ImportBatch(obs, cat, Provenance("/f.csv", "f", "tidy"))])
