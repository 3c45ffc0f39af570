"""Issue 8 findings, one test each: hostile names, empty batches, encodings, formulas, folders.

The tables written here are small test fixtures (not statistics) beside real national rows.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import nqpf.data.store as store_mod
from nqpf.cli import app
from nqpf.data.store import Store
from nqpf.errors import StoreError
from nqpf.frameworks.formula import FormulaError, parse_formula

HEADER = "region,year,variable,value,unit\n"


def _run(*args: object) -> tuple[int, str]:
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res.exit_code, res.output


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_markup_and_control_characters_printed_literally(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    (tmp_path / "m1[").mkdir()
    evil = tmp_path / "m1[/good].csv"  # the folder "m1[" and the file "good].csv"
    evil.write_text(HEADER + "北京,2020,evil[/x],1.5,%\n北京,2021,[bold]b[/bold],2,%\n", encoding="utf-8")
    esc = tmp_path / "esc\x1b[31mred.csv"
    esc.write_text(HEADER + "上海,2020,plain_var,3,%\n", encoding="utf-8")
    code, out = _run("data", "import", evil, esc, "--store", store, "--no-progress")
    assert code == 0, out
    for cmd in (["list"], ["coverage"], ["coverage", "--matrix"], ["imports"], ["verify"]):
        code, out = _run("data", *cmd, "--store", store)
        assert code == 0, (cmd, out)
        assert "\x1b" not in out, cmd
    _, out = _run("data", "list", "--store", store)
    assert "evil[/x]" in out and "[bold]b[/bold]" in out
    _, out = _run("data", "imports", "--store", store)
    assert "m1[/good].csv" in out.replace("…", "") or "m1[/go" in out
    assert "\\x1b" in out  # the ESC in the file name, shown as an escape
    code, out = _run("data", "show", "evil[/x]", "--store", store)
    assert code == 0 and "evil[/x]" in out
    code, out = _run("data", "provenance", "evil[/x]", "北京", "2020", "--store", store)
    assert code == 0 and "evil[/x]" in out


def test_header_only_file_writes_nothing(tmp_path: Path, data_dir: Path) -> None:
    store = tmp_path / "s.duckdb"
    empty = tmp_path / "header_only.csv"
    empty.write_text(HEADER, encoding="utf-8")
    rep = Store(store).import_files([empty], progress=False)
    assert not rep.changed and [b.status for b in rep.batches] == ["empty"]
    assert not store.exists()
    Store(store).import_files([data_dir / "panel" / "national.csv"], progress=False)
    before = _sha(store)
    code, out = _run("data", "import", empty, "--store", store)
    assert code == 0 and "empty tables" in out and "Nothing new" in out
    assert _sha(store) == before and len(Store(store).imports()) == 1


def test_mixed_encoding_blamed_on_its_line(tmp_path: Path) -> None:
    f = tmp_path / "mixed.csv"
    f.write_bytes((HEADER + "北京,2020,population,2189,10k persons\n").encode("utf-8")
                  + "上海,2020,population,2488,10k persons\n".encode("gbk"))
    code, out = _run("data", "import", f, "--store", tmp_path / "s.duckdb")
    flat = " ".join(out.split())
    assert code == 1 and "line 3" in flat and "mixed encodings" in flat
    assert "unknown region" not in flat


def test_deep_formula_is_a_clear_error() -> None:
    with pytest.raises(FormulaError, match="nested 1990 levels deep; formulas are limited to 200"):
        parse_formula("-" * 1990 + "gdp")
    with pytest.raises(FormulaError, match="limited to 200"):
        parse_formula("(" * 250 + "gdp" + ")" * 250)
    with pytest.raises(FormulaError, match="limited to 2000"):
        parse_formula("+".join(["gdp"] * 700))
    assert parse_formula("-" * 100 + "gdp").names == frozenset({"gdp"})


def test_store_in_read_only_folder(tmp_path: Path, data_dir: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):  # root ignores permissions: use a path under a file
            target = tmp_path / "afile"
            target.write_text("x")
            store = target / "s.duckdb"
        else:
            store = ro / "s.duckdb"
        code, out = _run("data", "import", data_dir / "panel" / "national.csv", "--store", store)
        assert code == 2, out
        assert len(out.strip().splitlines()) == 1 and "folder you can write to" in " ".join(out.split())
    finally:
        ro.chmod(0o755)


def test_disk_full_while_writing(tmp_path: Path, data_dir: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk filling during the transaction: one line, exit 2, the store as it was."""
    store = tmp_path / "s.duckdb"
    Store(store).import_files([data_dir / "panel" / "national.csv"], progress=False)
    before = Store(store).observations()
    real = store_mod._revision_counts

    def full(*a: object, **k: object) -> object:
        raise duckdb.IOException("Could not write file: No space left on device")

    monkeypatch.setattr(store_mod, "_revision_counts", full)
    with pytest.raises(StoreError, match=r"disk .* is full; nothing was written"):
        Store(store).import_files([data_dir / "panel" / "provinces.csv"], progress=False)
    code, out = _run("data", "import", data_dir / "panel" / "provinces.csv", "--store", store)
    assert code == 2 and len(out.strip().splitlines()) == 1 and "full" in out
    monkeypatch.setattr(store_mod, "_revision_counts", real)
    assert Store(store).observations().equals(before)
    assert Store(store).verify().ok


def test_verify_reports_partial_import(tmp_path: Path, data_dir: Path) -> None:
    store = tmp_path / "s.duckdb"
    Store(store).import_files([data_dir / "panel" / "national.csv"], progress=False)
    assert _run("data", "verify", "--store", store)[0] == 0
    con = duckdb.connect(str(store))
    con.execute("DELETE FROM observations WHERE rowid % 2 = 0")  # break the invariant by hand
    con.close()
    code, out = _run("data", "verify", "--store", store)
    assert code == 2 and "n_values differs" in out and "new store" in " ".join(out.split())


def test_framework_alias_bomb_refused(tmp_path: Path) -> None:
    """Fixed on main in nqpf.safeyaml; frameworks load through it."""
    from nqpf.frameworks import load_framework
    from nqpf.frameworks.spec import FrameworkSpecError

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                    "c: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n")
    with pytest.raises(FrameworkSpecError, match="aliases"):
        load_framework(bomb)
