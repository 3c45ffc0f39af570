"""The Excel workbook of a run: every table of the run folder on its own formatted sheet.

``write_workbook(run_dir, path, lang)`` globs the run folder (:func:`nqpf.report.run_tables.run_tables`:
scores, ranks, weights, coherence, imputed cells, robustness, regional tables, and the profile,
productivity and linkage tables when present), writes one sheet per CSV (bold header on a dark
fill, frozen header row, number formats by column, widths from the content, names of at most 31
characters and unique) and a bilingual README sheet first: what each sheet is, its units and
file, the run's spec, data hash, spec hash and nqpf version. Cell values are the CSV's values
unchanged (numbers as numbers, codes as text), so the workbook adds no rounding of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nqpf.report.run_tables import (
    ReportTablesError,
    RunTable,
    framework_folders,
    read_table,
    run_meta,
    run_tables,
)

__all__ = ["EXCEL_MAX_ROWS", "sheet_names", "write_workbook"]

#: rows a sheet can hold below its header
EXCEL_MAX_ROWS = 1_048_575
_BAD = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = "1F3864"


def _abbrev(fid: str) -> str:
    """Initials of a framework id: nqpf-three-elements -> NTE."""
    parts = [p for p in re.split(r"[-_. @]+", fid) if p]
    return "".join(p[0] for p in parts).upper() or fid[:4]


def _clean(name: str) -> str:
    return _BAD.sub("_", name).strip("'")[:31].rstrip() or "sheet"


def sheet_names(tables: list[RunTable]) -> list[str]:
    """A unique sheet name of at most 31 characters for every table, in order.

    Framework tables are prefixed by the framework's initials (``NTE scores``), job-level ones by
    their folder (``linkage fe_main``); a clash adds the folder, then a number.
    """
    abbr: dict[str, str] = {}
    for fid in dict.fromkeys(t.framework for t in tables if t.framework):
        a = _abbrev(fid)
        k = 2
        while a in abbr.values():
            a, k = f"{_abbrev(fid)}{k}", k + 1
        abbr[fid] = a
    used: set[str] = {"readme"}
    out = []
    for t in tables:
        prefix = abbr[t.framework] if t.framework else t.folder
        cands = [f"{prefix} {t.stem}", f"{prefix} {t.folder} {t.stem}" if t.framework and t.folder else ""]
        name = next((_clean(c) for c in cands if c and _clean(c).lower() not in used), "")
        k = 2
        while not name:
            base = _clean(cands[0])
            c = f"{base[:31 - len(str(k)) - 1]}~{k}"
            name = c if c.lower() not in used else ""
            k += 1
        used.add(name.lower())
        out.append(name)
    return out


def _width(text: Any) -> float:
    s = str(text) if text is not None else ""
    return sum(2.0 if ord(ch) > 0x2E7F else 1.0 for ch in s)


def _number_format(col: str, values: list[Any]) -> str | None:
    nums = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not nums:
        return None
    if all(isinstance(v, int) for v in nums):
        return "0"
    name = col.lower()
    if name in {"p", "pvalue", "p_value"} or name.startswith("p_") or name.endswith("_p") or "p_sim" in name:
        return "0.000"
    big = max(abs(float(v)) for v in nums)
    if big >= 1000:
        return "#,##0.00"
    if "share" in name or "obstacle" in name or big >= 10:
        return "0.00"
    return "0.0000"


def _exact_worksheet_class() -> type:
    """An xlsxwriter worksheet that writes numbers as Python's shortest round-trip text (``repr``)
    instead of xlsxwriter's 16 significant digits, so a 17-digit CSV value reads back equal."""
    from xlsxwriter.worksheet import Worksheet

    class ExactWorksheet(Worksheet):
        def _xml_number_element(self, number: float, attributes: Any = ()) -> None:
            attr = "".join(f' {k}="{self._escape_attributes(v)}"' for k, v in attributes)
            text = repr(float(number)) if isinstance(number, float) else str(number)
            self.fh.write(f"<c{attr}><v>{text}</v></c>")

    return ExactWorksheet


def _sheet(wb: Any, name: str, header: list[str], rows: list[list[Any]], formats: list[str | None],
           styles: dict[str, Any]) -> None:
    ws = wb.add_worksheet(name, worksheet_class=styles["worksheet_class"])
    for j, h in enumerate(header):
        sample = [h, *(r[j] for r in rows[:300])]
        ws.set_column(j, j, min(max(max(_width(v) for v in sample) + 2, 8), 60))
    ws.freeze_panes(1, 0)
    ws.write_row(0, 0, header, styles["header"])
    fmts = [styles.setdefault(f, wb.add_format({"num_format": f})) if f else None for f in formats]
    for i, r in enumerate(rows, start=1):
        for j, v in enumerate(r):
            if v is None:
                continue
            if isinstance(v, str):
                ws.write_string(i, j, v)
            else:
                ws.write_number(i, j, v, fmts[j])
    if rows:
        ws.autofilter(0, 0, len(rows), len(header) - 1)


def _readme_rows(run_dir: Path, tables: list[RunTable], names: list[str], counts: list[int],
                 truncated: dict[str, int], lang: str) -> list[list[Any]]:
    import nqpf

    zh = lang == "zh"
    rows: list[list[Any]] = [
        ["nqpf 运行结果工作簿 / nqpf run workbook" if zh else "nqpf run workbook / nqpf 运行结果工作簿"],
        ["运行目录 / Run folder" if zh else "Run folder / 运行目录", str(Path(run_dir).resolve())],
        ["生成时间 / Written" if zh else "Written / 生成时间", datetime.now(UTC).isoformat(timespec="seconds")],
        ["nqpf 版本 / nqpf version" if zh else "nqpf version / nqpf 版本", nqpf.__version__],
        ["来源 / Source" if zh else "Source / 来源",
         "Every number is copied unchanged from the run's CSV files (the sheet's File column); the data are the "
         "real provincial panel imported by nqpf, each variable's source in the panel_catalog sheets. / "
         "所有数值均原样取自运行目录中的 CSV 文件；数据为 nqpf 导入的真实省级面板，各变量来源见 panel_catalog 工作表。"],
        [],
    ]
    for fw in framework_folders(run_dir):
        meta = run_meta(fw)
        if not meta:
            continue
        years = meta.get("years") or ["", ""]
        rows += [
            ["指标体系 / Framework" if zh else "Framework / 指标体系",
             f"{meta.get('framework', fw.name)} v{meta.get('framework_version', '')}"],
            ["名称 / Name" if zh else "Name / 名称",
             f"{meta.get('name_zh', '')} / {meta.get('name_en', '')}" if zh else
             f"{meta.get('name_en', '')} / {meta.get('name_zh', '')}"],
            ["年份 / Years" if zh else "Years / 年份", f"{years[0]}-{years[-1]}"],
            ["地区数 / Regions" if zh else "Regions / 地区数", meta.get("regions", "")],
            ["数据哈希 / Data hash" if zh else "Data hash / 数据哈希", meta.get("data_hash", "")],
            ["方法设定哈希 / Spec hash" if zh else "Spec hash / 方法设定哈希", meta.get("spec_hash", "")],
            ["运行所用 nqpf / nqpf of the run" if zh else "nqpf of the run / 运行所用 nqpf", meta.get("nqpf_version", "")],
            ["运行时间 / Created" if zh else "Created / 运行时间", meta.get("created_at", "")],
            ["方法设定 / Spec" if zh else "Spec / 方法设定", json.dumps(meta.get("spec", {}), ensure_ascii=False)],
            ["说明 / Notes" if zh else "Notes / 说明", "; ".join(str(n) for n in meta.get("notes", []))],
        ]
        rob = _robustness_line(fw)
        if rob:
            rows.append(["稳健性分析 / Robustness" if zh else "Robustness / 稳健性分析", rob])
        rows.append([])
    head = (["工作表 / Sheet", "说明", "Description", "单位 / Units", "行数 / Rows", "文件 / File", "备注 / Note"] if zh else
            ["Sheet / 工作表", "Description", "说明", "Units / 单位", "Rows / 行数", "File / 文件", "Note / 备注"])
    rows.append(head)
    for t, name, n in zip(tables, names, counts, strict=True):
        en, zh_text, units = t.description
        note = (f"first {EXCEL_MAX_ROWS} of {truncated[name]} rows (Excel's limit); the CSV has all / "
                f"仅前 {EXCEL_MAX_ROWS} 行，完整数据见 CSV") if name in truncated else ""
        desc = [zh_text, en] if zh else [en, zh_text]
        rows.append([name, *desc, units, n, t.relpath, note])
    return rows


def _robustness_line(fw: Path) -> str:
    """Draws, seed and factors of the run's robustness analysis (``robustness/robustness.json``)."""
    p = fw / "robustness" / "robustness.json"
    try:
        doc = json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}
    except (OSError, json.JSONDecodeError):
        return f"{p.name} unreadable / 无法读取"
    if not isinstance(doc, dict) or not doc:
        return ""
    return (f"{doc.get('draws', '?')} Monte Carlo draws, seed {doc.get('seed', '?')}: "
            + "; ".join(str(f) for f in doc.get("factors", [])))


def write_workbook(run_dir: Path, path: Path, lang: str = "en",
                   progress: Callable[[int, int, str], None] | None = None) -> Path:
    """Write every table of the run folder ``run_dir`` into the Excel workbook ``path``.

    ``lang``: ``"en"`` or ``"zh"``, the language put first on the bilingual README sheet.
    ``progress(done, total, sheet)`` is called after each sheet (for a progress bar).
    Returns ``path``. Raises :class:`~nqpf.report.run_tables.ReportTablesError` (one line) for a
    folder that is not a run, a bad ``lang`` or a path that cannot be written.
    """
    import xlsxwriter

    if lang not in {"en", "zh"}:
        raise ReportTablesError(f"language {lang!r} is not available; use en or zh")
    run_dir, path = Path(run_dir), Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ReportTablesError(f"workbook {path} must end in .xlsx")
    if path.is_dir():
        raise ReportTablesError(f"{path} is a folder; give a file name ending in .xlsx")
    tables = run_tables(run_dir)
    names = sheet_names(tables)
    data = []
    truncated: dict[str, int] = {}
    for t, name in zip(tables, names, strict=True):
        df = read_table(t.path)
        rows = df.to_numpy().tolist()
        if len(rows) > EXCEL_MAX_ROWS:
            truncated[name] = len(rows)
            rows = rows[:EXCEL_MAX_ROWS]
        data.append((name, [str(c) for c in df.columns], rows))
    counts = [len(r) for _, _, r in data]
    readme = _readme_rows(run_dir, tables, names, counts, truncated, lang)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                             "strings_to_formulas": False, "strings_to_urls": False})
        styles = {"header": wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": f"#{_HEADER_FILL}",
                                           "bottom": 1, "valign": "vcenter"}),
                  "title": wb.add_format({"bold": True, "font_size": 14}), "bold": wb.add_format({"bold": True}),
                  "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
                  "worksheet_class": _exact_worksheet_class()}
        _readme_sheet(wb, readme, styles)
        for k, (name, header, rows) in enumerate(data, start=1):
            formats = [_number_format(h, [r[j] for r in rows]) for j, h in enumerate(header)]
            _sheet(wb, name, header, rows, formats, styles)
            if progress is not None:
                progress(k, len(data), name)
        wb.close()
    except OSError as e:
        raise ReportTablesError(f"cannot write {path}: {e.strerror or e}") from None
    return path


def _readme_sheet(wb: Any, rows: list[list[Any]], styles: dict[str, Any]) -> None:
    ws = wb.add_worksheet("README")
    for j, w in enumerate((28, 60, 48, 30, 10, 48, 40)):
        ws.set_column(j, j, w, styles["wrap"] if j in (1, 2) else None)
    for i, r in enumerate(rows):
        is_head = len(r) == 7 and r[0] in {"Sheet / 工作表", "工作表 / Sheet"}
        for j, v in enumerate(r):
            style = styles["title"] if i == 0 else styles["header"] if is_head else styles["bold"] if j == 0 else None
            if isinstance(v, str):
                ws.write_string(i, j, v, style)
            else:
                ws.write(i, j, v, style)
