"""Corpus readers: documents with an id, a region and a year, streamed as text pieces.

Formats (chosen by extension, ``.txt`` by its first line):

* ``records`` (``.jsonl``): one JSON record per line with ``content``/``text``/``body`` and
  optional ``title, year, region, id, congress``; the Wikisource licence footer is cut.
* ``tmx`` (``.tmx``, TMX 1.4): the segments of one language (``zh`` by default); the year
  comes from the file name (``GR2008.tmx``).
* ``pages`` (``.txt`` whose lines are JSON objects with ``inside``): parsed annual reports
  (FinGLM), one document per file; page headers/footers (``页眉``/``页脚``) are dropped.
* ``html`` (``.html``/``.htm``) and ``markdown`` (``.md`` with embedded HTML): tags stripped.
* ``text`` (other ``.txt``): plain text; a pkulaw header (``【法宝引证码】``, ``原文链接``) is dropped.

Region rule (documented in docs/innovation.md): a manifest's ``region`` wins; else a record's
``region``/``province`` field; else the earliest province or listed city named in the title
(``包头市`` -> 150000, ``阿坝州`` -> 510000, via :data:`CITY_PROVINCE`); else national
(100000) when the title marks a national document (国务院, 全国人民代表大会, 中国共产党 ...);
else unknown (``None``: kept out of region panels). Year rule: manifest; record ``year``; CPC
congress number; ``YYYY`` in the file name (``GR2008``, ``20240803``, ``__2019年__`` for the
fiscal year of an annual report); a document number ``〔2022〕``; else unknown.

Bad files raise :class:`CorpusError` naming the file: empty, binary (NUL bytes), not UTF-8,
malformed JSON/XML.
"""

from __future__ import annotations

import csv
import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nqpf.errors import NqpfError
from nqpf.regions import NATIONAL_CODE, REGISTRY

FORMATS = ("records", "tmx", "pages", "html", "markdown", "text")
_EXTENSIONS = {".jsonl": "records", ".tmx": "tmx", ".html": "html", ".htm": "html", ".md": "markdown", ".txt": "text"}
SKIP_NAMES = ("readme", "sources", "license", "licence", "changelog")
"""Files whose stem starts with one of these are documentation, not corpus, in a directory walk."""

CITY_PROVINCE: dict[str, str] = {
    "包头": "150000", "呼和浩特": "150000", "鄂尔多斯": "150000", "阿坝": "510000", "成都": "510000",
    "深圳": "440000", "广州": "440000", "东莞": "440000", "佛山": "440000", "苏州": "320000",
    "南京": "320000", "无锡": "320000", "杭州": "330000", "宁波": "330000", "温州": "330000",
    "合肥": "340000", "芜湖": "340000", "武汉": "420000", "西安": "610000", "青岛": "370000",
    "济南": "370000", "厦门": "350000", "福州": "350000", "大连": "210000", "沈阳": "210000",
    "长沙": "430000", "郑州": "410000", "贵阳": "520000", "昆明": "530000", "南宁": "450000",
    "哈尔滨": "230000", "长春": "220000", "石家庄": "130000", "太原": "140000", "南昌": "360000",
    "兰州": "620000", "西宁": "630000", "银川": "640000", "乌鲁木齐": "650000", "拉萨": "540000",
    "海口": "460000", "雄安": "130000",
}
"""Prefecture-level names -> province code (GB/T 2260), for titles that name a city, not a province."""

NATIONAL_MARKERS = ("国务院", "全国人民代表大会", "中国共产党", "中共中央", "中华人民共和国", "全国代表大会", "政府工作报告", "新闻联播",
                    "state council", "national people's congress", "communist party of china", "report on the work of the government",
                    "government work report")
"""Title words that mark a national document when no province or city is named."""

CPC_CONGRESS_YEAR = {1: 1921, 2: 1922, 3: 1923, 4: 1925, 5: 1927, 6: 1928, 7: 1945, 8: 1956, 9: 1969, 10: 1973,
                     11: 1977, 12: 1982, 13: 1987, 14: 1992, 15: 1997, 16: 2002, 17: 2007, 18: 2012, 19: 2017, 20: 2022}
"""Year of each CPC National Congress (records with ``congress`` but no ``year``)."""

_WIKISOURCE_FOOTER = "本作品是中华人民共和国的"
_SNIFF = 8192


class CorpusError(NqpfError):
    """A corpus file that cannot be read; ``file`` names it, ``line`` where known."""

    def __init__(self, message: str, *, file: str | Path, line: int | None = None) -> None:
        self.file = str(file)
        self.line = line
        self.reason = message
        where = f"file {self.file}" + (f", line {line}" if line is not None else "")
        super().__init__(f"[{where}] {message}")


@dataclass(frozen=True)
class CorpusFile:
    """One file to read, with manifest overrides (``None`` = infer)."""

    path: Path
    format: str
    doc_id: str | None = None
    region_code: str | None = None
    year: int | None = None
    title: str | None = None
    refused: str | None = None
    """Why the file is not read (outside the corpus root); reported as a failure."""

    @property
    def size(self) -> int:
        """Size on disk in bytes (0 if unreadable)."""
        try:
            return self.path.stat().st_size
        except OSError:
            return 0


@dataclass(frozen=True)
class DocumentMeta:
    """Identity of one document: id, source file, format, region (GB/T 2260 or None), year, title."""

    doc_id: str
    path: str
    format: str
    region_code: str | None
    year: int | None
    title: str
    lang: str = "zh"


@dataclass
class Document:
    """A document: its metadata and its raw text as pieces (consume before reading the next)."""

    meta: DocumentMeta
    pieces: Iterable[str]


# ----------------------------------------------------------------------------- discovery
def detect_format(path: Path) -> str | None:
    """The reader for a file by extension (and first line for ``.txt``), or ``None``."""
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt == "text":
        try:
            with path.open("rb") as fh:
                head = fh.read(4096).lstrip()
        except OSError:
            return fmt
        if head.startswith(b"{") and b'"inside"' in head:
            return "pages"
    return fmt


SKIP_DIRS = ("raw",)
"""Directories named so hold originals (e.g. ``gwr_provincial/raw``), not corpus documents, in a walk."""


def _outside(path: Path, root: Path) -> str | None:
    """Why ``path`` is refused (it resolves outside ``root``), or None."""
    try:
        real = path.resolve()
        base = root.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        return f"cannot resolve the path: {exc}"
    if real == base or base in real.parents:
        return None
    how = "a symlink to" if path.is_symlink() or any(p.is_symlink() for p in path.parents) else "a path to"
    return f"{how} {real}, outside the corpus root {base}; pass --allow-outside (allow_outside=True) to read it"


def discover(corpus: str | Path, manifest: str | Path | None = None, *, allow_outside: bool = False) -> list[CorpusFile]:
    """The files of a corpus: a manifest's rows, a single file, or a directory walk (sorted).

    Reading stays inside the root (the corpus directory; for a manifest, the corpus directory
    if one is given, else the manifest's directory): a symlink or manifest path that resolves
    outside it is listed with ``refused`` set and reported as a failure, unless ``allow_outside``.
    Directories named ``raw`` (originals) and documentation files are skipped in a walk.
    """
    root = Path(corpus)
    if manifest is not None:
        base = root if root.is_dir() else Path(manifest).parent
        return _contain(read_manifest(manifest), base, allow_outside)
    if root.is_file():
        if root.suffix.lower() in {".csv", ".tsv"}:
            return _contain(read_manifest(root), root.parent, allow_outside)
        return [CorpusFile(root, detect_format(root) or "text")]
    if not root.is_dir():
        raise CorpusError("corpus path does not exist", file=root)
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).parts
        if any(d.lower() in SKIP_DIRS for d in rel[:-1]):
            continue
        if not p.is_file() or p.name.lower().startswith(SKIP_NAMES) or p.name.startswith("."):
            continue
        fmt = detect_format(p)
        if fmt is not None:
            out.append(CorpusFile(p, fmt))
    return _contain(out, root, allow_outside)


def _contain(files: list[CorpusFile], root: Path, allow_outside: bool) -> list[CorpusFile]:
    if allow_outside:
        return files
    return [replace(cf, refused=_outside(cf.path, root)) for cf in files]


def read_manifest(path: str | Path) -> list[CorpusFile]:
    """A CSV/TSV manifest: ``path`` (relative to the manifest) and optional ``doc_id, region,
    year, format, title``. Regions may be any alias the registry knows."""
    p = Path(path)
    delim = "\t" if p.suffix.lower() == ".tsv" else ","
    try:
        fh = p.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise CorpusError(f"cannot open manifest: {exc}", file=p) from exc
    out = []
    with fh:
        reader = csv.DictReader(fh, delimiter=delim)
        if "path" not in (reader.fieldnames or []):
            raise CorpusError("a manifest needs a 'path' column", file=p, line=1)
        for i, row in enumerate(reader, start=2):
            fp = Path(row["path"])
            fp = fp if fp.is_absolute() else p.parent / fp
            region = (row.get("region") or "").strip()
            code = None
            if region:
                r = REGISTRY.lookup(region)
                if r is None:
                    raise CorpusError(f"unknown region {region!r}", file=p, line=i)
                code = r.code
            year = (row.get("year") or "").strip()
            if year and not year.isdigit():
                raise CorpusError(f"year {year!r} is not a number", file=p, line=i)
            fmt = (row.get("format") or "").strip() or detect_format(fp) or "text"
            if fmt not in FORMATS:
                raise CorpusError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}", file=p, line=i)
            out.append(CorpusFile(fp, fmt, (row.get("doc_id") or "").strip() or None, code, int(year) if year else None,
                                  (row.get("title") or "").strip() or None))
    return out


# ----------------------------------------------------------------------------- inference
def infer_region(title: str) -> str | None:
    """Region code from a title: earliest province or listed city named; national markers; else None."""
    best: tuple[int, str] | None = None
    for r in REGISTRY.provinces():
        for name in (r.full_zh, r.name_zh):
            i = title.find(name)
            if i >= 0 and (best is None or i < best[0]):
                best = (i, r.code)
    for city, code in CITY_PROVINCE.items():
        i = title.find(city)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, code)
    if best is None:  # English titles: "Anhui Province ...", word-bounded
        low = title.lower()
        for r in REGISTRY.provinces():
            m = re.search(rf"\b{re.escape(r.name_en.lower())}\b", low)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), r.code)
    if best is not None:
        return best[1]
    low = title.lower()
    if any(m in low for m in NATIONAL_MARKERS):
        return NATIONAL_CODE
    return None


NPC_TERM_START = {5: 1978, 6: 1983, 7: 1988, 8: 1993, 9: 1998, 10: 2003, 11: 2008, 12: 2013, 13: 2018, 14: 2023}
"""First-session year of the 5th-14th National People's Congress (one session a year since 1978)."""

_ZH_NUM = {c: i for i, c in enumerate("零一二三四五六七八九", start=0)}


def _zh_int(s: str) -> int | None:
    if s == "十":
        return 10
    if s.startswith("十"):
        s = "一" + s
    if "十" in s:
        tens, _, ones = s.partition("十")
        return _ZH_NUM.get(tens, 0) * 10 + (_ZH_NUM.get(ones, 0) if ones else 0)
    return _ZH_NUM.get(s)


def npc_session_year(title: str) -> int | None:
    """The year of ``第十四届全国人民代表大会第三次会议`` (2025): term start + session - 1 (5th NPC on)."""
    m = re.search(r"第([一二三四五六七八九十]+)届全国人民代表大会第([一二三四五六七八九十]+)次会议", title)
    if not m:
        return None
    term, session = _zh_int(m.group(1)), _zh_int(m.group(2))
    if term not in NPC_TERM_START or session is None:
        return None
    return NPC_TERM_START[term] + session - 1


def is_annual_report(path: Path) -> bool:
    """A listed firm's annual report by its cninfo-style name ``date__firm__code__short__2019年__年度报告``."""
    return bool(re.search(r"__\d{6}__.*年度报告", path.name))


def year_from_name(name: str) -> int | None:
    """A year in a file name: ``__2019年__`` (fiscal year), ``GR2008``, ``20240803``, ``2021``."""
    for pat in (r"__((?:19|20)\d\d)年__", r"(?<!\d)((?:19|20)\d\d)(?:[01]\d[0-3]\d)?(?!\d)"):
        m = re.search(pat, name)
        if m:
            return int(m.group(1))
    return None


# ----------------------------------------------------------------------------- safe reading
def _check_head(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF)
    except OSError as exc:
        raise CorpusError(f"cannot open: {exc.strerror or exc}", file=path) from exc
    if not head.strip():
        raise CorpusError("empty file (no text)", file=path)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CorpusError("UTF-16 text; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)", file=path)
    if b"\x00" in head:
        raise CorpusError("binary file (contains NUL bytes); expected UTF-8 text", file=path)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sniff boundary
            line_start = head.rfind(b"\n", 0, exc.start) + 1
            line_end = head.find(b"\n", exc.start)
            raw = head[line_start : line_end if line_end >= 0 else len(head)]
            msg = _encoding_message(raw, exc.start - line_start).replace("offset", "column byte")
            raise CorpusError(msg, file=path, line=head.count(b"\n", 0, exc.start) + 1) from exc


def _encoding_message(data: bytes, offset: int) -> str:
    hint = ""
    try:
        data[: offset + 64].decode("gb18030")
        hint = "; it looks like GBK/GB18030: convert it to UTF-8 (iconv -f GB18030 -t UTF-8)"
    except UnicodeDecodeError:
        pass
    return f"not valid UTF-8 (invalid byte near offset {offset}){hint}"


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines, each decoded strictly as UTF-8 (exact line of a bad byte), NUL-checked."""
    _check_head(path)
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CorpusError(_encoding_message(raw, exc.start).replace("offset", "column byte"), file=path, line=n) from exc
            if "\x00" in line:
                raise CorpusError("binary content (NUL bytes)", file=path, line=n)
            if line.endswith("\r\n"):
                line = line[:-2] + "\n"
            yield n, line


def _chunks(path: Path, size: int = 1 << 16) -> Iterator[str]:
    """Text chunks of whole lines, about ``size`` characters (for files that may be one long line,
    like converted HTML). Each line is decoded strictly, so a bad byte is reported with its line."""
    buf: list[str] = []
    n_chars = 0
    for _, line in _lines(path):
        buf.append(line.replace("\r", "\n"))
        n_chars += len(line)
        if n_chars >= size:
            yield "".join(buf)
            buf.clear()
            n_chars = 0
    if buf:
        yield "".join(buf)


_TAG = re.compile(r"<[^>]*>")
_SKIP_BLOCK = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>")
_MD_MARK = re.compile(r"(?m)^[ \t]{0,3}(?:#{1,6}[ \t]*|>[ \t]?|[-*+][ \t]+)")


def _html_pieces(path: Path, markdown: bool, block: int = 1 << 16, chunk: int = 1 << 16) -> Iterator[str]:
    """Text of HTML (or Markdown with embedded HTML): tags become line breaks, entities are
    unescaped, script/style blocks dropped; read in blocks cut after a tag or line end."""
    buf: list[str] = []
    size = 0

    def emit(text: str) -> str:
        text = _SKIP_BLOCK.sub("\n", text)
        text = html.unescape(_TAG.sub("\n", text))
        return _MD_MARK.sub("", text) if markdown else text

    carry = ""
    for part in _chunks(path, chunk):
        buf.append(part)
        size += len(part)
        if size >= block:
            text = carry + "".join(buf)
            buf.clear()
            size = 0
            lt, gt = text.rfind("<"), text.rfind(">")
            cut = lt if lt > gt else max(gt + 1, text.rfind("\n") + 1)  # never inside a tag or word
            if cut <= 0:
                cut = len(text)
            text, carry = text[:cut], text[cut:]
            yield emit(text)
    yield emit(carry + "".join(buf))


# ----------------------------------------------------------------------------- readers
def read_documents(cf: CorpusFile, *, tmx_lang: str = "zh") -> Iterator[Document]:
    """The documents of one file. Raises :class:`CorpusError` naming the file on bad input."""
    if cf.format not in FORMATS:
        raise CorpusError(f"unknown format {cf.format!r}", file=cf.path)
    if cf.format == "records":
        yield from _records(cf)
        return
    name = cf.path.name
    if cf.format == "pages":
        meta = DocumentMeta(cf.path.stem, str(cf.path), "pages", None, year_from_name(name), _title_from_name(cf.path))
        yield _finish(cf, Document(meta, _pages(cf.path)))
    elif cf.format == "tmx":
        segs = _tmx(cf.path, tmx_lang)
        first = _first_nonblank(segs, cf.path)
        meta = DocumentMeta(f"{cf.path.stem}#{tmx_lang}", str(cf.path), "tmx", None, year_from_name(name), first.strip(), lang=tmx_lang)
        yield _finish(cf, Document(meta, _chain([first], segs)))
    elif cf.format in ("html", "markdown"):
        pieces = _html_pieces(cf.path, cf.format == "markdown")
        first = _first_nonblank(pieces, cf.path)
        first_line = next(ln.strip() for ln in first.splitlines() if ln.strip())
        title = first_line[:200] if cf.format == "markdown" else _title_from_name(cf.path)
        meta = DocumentMeta(cf.path.stem, str(cf.path), cf.format, None, year_from_name(name), title)
        yield _finish(cf, Document(meta, _chain([first], pieces)))
    else:
        yield _finish(cf, _plain(cf))


def _finish(cf: CorpusFile, doc: Document) -> Document:
    m = doc.meta
    region = cf.region_code or m.region_code or infer_region(cf.title or m.title or "")
    if cf.region_code is None and is_annual_report(cf.path):
        region = None  # firms: only a manifest places them (a firm's name is not its seat)
    year = cf.year if cf.year is not None else m.year
    doc.meta = replace(m, doc_id=cf.doc_id or m.doc_id, region_code=region, year=year, title=cf.title or m.title)
    return doc


def _chain(head: Iterable[str], tail: Iterable[str]) -> Iterator[str]:
    yield from head
    yield from tail


def _first_nonblank(pieces: Iterator[str], path: Path) -> str:
    for p in pieces:
        if p.strip():
            return p
    raise CorpusError("no text after removing markup", file=path)


def _title_from_name(path: Path) -> str:
    parts = path.stem.split("__")
    return " ".join(parts[1:]) if len(parts) > 2 else path.stem


def _records(cf: CorpusFile) -> Iterator[Document]:
    seen = 0
    for n, line in _lines(cf.path):
        if not line.strip():
            continue
        try:
            rec: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"malformed JSON: {exc.msg}", file=cf.path, line=n) from exc
        if not isinstance(rec, dict):
            raise CorpusError("a record must be a JSON object", file=cf.path, line=n)
        content = next((rec[k] for k in ("content", "text", "body") if isinstance(rec.get(k), str)), None)
        if content is None:
            raise CorpusError("record has no 'content'/'text'/'body' string", file=cf.path, line=n)
        seen += 1
        cut = content.rfind(_WIKISOURCE_FOOTER)
        if cut >= 0 and len(content) - cut < 2000:
            content = content[:cut]
        title = str(rec.get("title") or "")
        year = rec.get("year")
        if year is None and isinstance(rec.get("congress"), int):
            year = CPC_CONGRESS_YEAR.get(rec["congress"])
        if year is None:
            year = npc_session_year(title)
        region = NATIONAL_CODE if "congress" in rec else None
        for key in ("region", "province", "region_code"):
            if rec.get(key):
                r = REGISTRY.lookup(str(rec[key]))
                if r is None:
                    raise CorpusError(f"unknown region {rec[key]!r}", file=cf.path, line=n)
                region = r.code
                break
        doc_id = str(rec.get("id") or rec.get("doc_id") or f"{cf.path.stem}#{n}")
        if cf.doc_id:
            doc_id = f"{cf.doc_id}#{n}"
        if year is not None and not str(year).strip().isdigit():
            raise CorpusError(f"year {year!r} is not a number", file=cf.path, line=n)
        meta = DocumentMeta(doc_id, str(cf.path), "records", region, int(year) if year is not None else None, title)
        doc = Document(meta, [content])
        region_code = cf.region_code or region or infer_region(title)
        doc.meta = replace(meta, region_code=region_code, year=cf.year if cf.year is not None else meta.year)
        yield doc
    if seen == 0:
        raise CorpusError("no records", file=cf.path)


def _pages(path: Path) -> Iterator[str]:
    """``inside`` of each line; page headers/footers, and text rows repeating one, are dropped."""
    furniture: set[str] = set()
    for n, line in _lines(path):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"malformed JSON page line: {exc.msg}", file=path, line=n) from exc
        if not isinstance(row, dict):
            continue
        inside = row.get("inside")
        if not isinstance(inside, str) or not inside:
            continue
        if row.get("type") in ("页眉", "页脚"):
            furniture.add(inside)
            continue
        if inside in furniture and not inside.isdigit():  # a header the parser mislabelled as text
            continue
        if row.get("type") == "excel" and inside.startswith("['") and inside.endswith("']"):
            inside = " ".join(inside[2:-2].split("', '"))  # a table row written as a Python list
        yield inside


def _tmx(path: Path, lang: str) -> Iterator[str]:
    _check_head(path)
    lang_key = "{http://www.w3.org/XML/1998/namespace}lang"
    try:
        with path.open("rb") as fh:
            for _, el in ET.iterparse(fh, events=("end",)):
                if el.tag == "tuv":
                    if (el.get(lang_key) or el.get("lang") or "").lower().startswith(lang.lower()):
                        seg = el.find("seg")
                        if seg is not None:
                            yield "".join(seg.itertext())
                    el.clear()
    except ET.ParseError as exc:
        raise CorpusError(f"malformed TMX/XML: {exc}", file=path, line=exc.position[0]) from exc


_HEADER = ("【法宝引证码】", "原文链接")
_DOCNO = re.compile(r"[〔\[［(（]((?:19|20)\d\d)[〕\]］)）]")


def _plain(cf: CorpusFile) -> Document:
    lines = _lines(cf.path)
    head: list[str] = []
    for _, line in lines:
        s = line.strip()
        if not s or s.startswith(_HEADER):
            continue
        head.append(line)
        if len(head) >= 8:
            break
    if not head:
        raise CorpusError("no text", file=cf.path)
    title = head[0].strip()
    year = None
    m = _DOCNO.search("".join(head))
    if m:
        year = int(m.group(1))
    else:
        m2 = re.search(r"((?:19|20)\d\d)年", title)
        year = int(m2.group(1)) if m2 else year_from_name(cf.path.name)
    meta = DocumentMeta(cf.path.stem, str(cf.path), "text", None, year, title)
    return Document(meta, _chain(head, (line for _, line in lines)))
