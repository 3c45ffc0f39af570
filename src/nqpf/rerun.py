"""Runs against the store they were built from: which inputs changed since, and the run again.

Service-layer functions, used by the web service's rebuild (:mod:`nqpf.api.rebuild`) and open to
any front end:

* :func:`changed_inputs` -- per variable a run reads, the cells whose stored value (latest
  vintage) differs from the value the run was built with (``panel.parquet``), or that were
  added or removed since;
* :func:`recorded_options` -- the options of the main job that wrote a run folder (frameworks as
  recorded in ``run.json``, spec, robustness draws and seed, analyses, productivity), read back
  from the folder;
* :func:`rerun` -- the main job (:func:`nqpf.services.run_job`, what ``nqpf run`` calls) again
  with those options on the store's current data, into a new folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    from nqpf.data.store import Store
    from nqpf.frameworks.spec import Framework
    from nqpf.services import JobOutput, RunPages


class RerunError(NqpfError):
    """A run folder whose job cannot be run again as recorded (say why and what to do)."""


def run_variables(folder: Path) -> list[str]:
    """The store variables the run in ``folder`` reads (its recorded framework's formulas)."""
    from nqpf.frameworks.spec import framework_from_dict

    doc = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    return sorted(framework_from_dict(doc["framework"]).variables())


def changed_inputs(folders: list[Path], store: Store) -> dict[str, dict[str, int]]:
    """``{framework id: {variable: cells changed}}`` for each run folder whose inputs differ
    from the store's latest values: a cell counts when its value differs (exact comparison: the
    run copied the store's doubles), or exists on one side only. Frameworks with no changed
    input are left out. One store read for all runs."""
    wanted = {f.name: run_variables(f) for f in folders}
    allvars = sorted({v for vs in wanted.values() for v in vs})
    if not allvars:
        return {}
    now = store.panel(variables=allvars).observations[["region_code", "year", "variable", "value"]]
    now = now.assign(region_code=now["region_code"].astype(str), year=now["year"].astype("int64"))
    out: dict[str, dict[str, int]] = {}
    for f in folders:
        used = wanted[f.name]
        old = pd.read_parquet(f / "panel.parquet", columns=["region_code", "year", "variable", "value"])
        old = old.assign(region_code=old["region_code"].astype(str), year=old["year"].astype("int64"))
        m = old.merge(now[now["variable"].isin(used)], on=["region_code", "year", "variable"], how="outer",
                      suffixes=("_run", "_store"), indicator=True)
        a, b = m["value_run"].to_numpy(float), m["value_store"].to_numpy(float)
        differ = (m["_merge"] != "both").to_numpy() | ~((a == b) | (np.isnan(a) & np.isnan(b)))
        if differ.any():
            counts = m.loc[differ, "variable"].value_counts()
            out[f.name] = {str(k): int(v) for k, v in sorted(counts.items())}
    return out


@dataclass
class RecordedOptions:
    """The main job's options as recorded by the run folders of one ``nqpf run``."""

    frameworks: list[Framework]
    spec: dict[str, Any]
    robustness: int = 0
    seed: int = 0
    analyses: bool = False
    productivity: bool = False
    html: bool = True
    notes: list[str] = field(default_factory=list)


def recorded_options(run_dir: Path, ids: list[str] | None = None) -> RecordedOptions:
    """The options that wrote the runs in ``run_dir`` (``ids``: these framework folders; default
    all): frameworks from ``run.json`` (a saved or shipped framework exactly as built), the one
    spec they share, robustness draws and seed from ``robustness/robustness.json``, analyses
    (``regional/`` or ``profiles/`` present), productivity (``productivity/`` present) and the
    summary pages (``summary.html`` present)."""
    from nqpf.frameworks.spec import framework_from_dict
    from nqpf.regions import REGISTRY

    folders = [run_dir / i for i in ids] if ids else sorted(p.parent for p in run_dir.glob("*/run.json"))
    if not folders:
        raise RerunError(f"{run_dir} holds no run to rebuild (no */run.json); build one with `nqpf run`")
    fws, specs, draws, seeds, notes = [], {}, set(), set(), []
    for f in folders:
        doc = json.loads((f / "run.json").read_text(encoding="utf-8"))
        foreign = [r["code"] for r in doc.get("regions", []) if r["code"] not in REGISTRY]
        if foreign:
            raise RerunError(f"{f.name} was built with your own regions table ({', '.join(foreign[:3])}, ...): "
                             f"rebuild it with `nqpf run --regions FILE`")
        fws.append(framework_from_dict(doc["framework"]))
        specs[json.dumps(doc["spec"], sort_keys=True, default=str)] = doc["spec"]
        rob = f / "robustness" / "robustness.json"
        if rob.is_file():
            meta = json.loads(rob.read_text(encoding="utf-8"))
            draws.add(int(meta.get("draws", 0)))
            seeds.add(int(meta.get("seed", 0)))
    if len(specs) > 1:
        raise RerunError(f"the runs in {run_dir} were built with {len(specs)} different method specs; "
                         "rebuild them one spec at a time with `nqpf run --spec FILE`")
    if len(draws) > 1 or len(seeds) > 1:
        notes.append(f"robustness draws differ between the runs ({sorted(draws)}); the rebuild uses {max(draws)}")
    analyses = any((f / "regional").is_dir() or (f / "profiles").is_dir() for f in folders)
    return RecordedOptions(frameworks=fws, spec=next(iter(specs.values())), robustness=max(draws, default=0),
                           seed=max(seeds, default=0), analyses=analyses,
                           productivity=(run_dir / "productivity").is_dir(),
                           html=any((f / "summary.html").is_file() for f in folders), notes=notes)


def rerun(run_dir: Path, store: Store, out: Path, ids: list[str] | None = None,
          on_step: Callable[[str], None] | None = None, pages: RunPages | None = None) -> JobOutput:
    """The main job again on ``store``'s current data with the options recorded in ``run_dir``
    (:func:`recorded_options`), written into ``out``; progress lines go to ``on_step``. ``pages``:
    the front end's page writers (``nqpf.report.pages.RUN_PAGES``); without them only the tables
    are written."""
    from nqpf.services import run_job

    opts = recorded_options(run_dir, ids)
    say = on_step or (lambda _m: None)
    total = len(opts.frameworks)
    done: list[str] = []

    def built(result: Any, _paths: dict[str, Path]) -> None:
        done.append(result.framework.id)
        say(f"built {result.framework.id} ({len(done)}/{total}) / 已构建")

    say(f"building {total} framework(s) / 构建中: {', '.join(f.id for f in opts.frameworks)}")
    return run_job(store, frameworks=opts.frameworks, spec=opts.spec, out=out, html=opts.html and pages is not None, pages=pages,
                   robustness=opts.robustness, seed=opts.seed, analyses=opts.analyses,
                   productivity=opts.productivity, log=say, on_result=built, on_step=say)
