"""Region registry: China's regions keyed by their GB/T 2260 administrative code.

Every region has a six-digit code (GB/T 2260-2007 and the Ministry of Civil Affairs' current
list), Chinese and English names and the aliases real files use: full names with 省 / 市 /
自治区 / 壮族自治区, short names, pinyin and English variants (``Nei Mongol``, ``Xizang``,
``Tibet``). Provinces are level ``province``; the nation is ``100000`` (全国). Prefecture cities
(``xxyy00``) and counties (``xxyyzz``) join by the same scheme through
:meth:`RegionRegistry.add`, with ``parent`` linking them upwards.

Groupings shipped:

* ``nbs4``: the NBS four economic regions (东部, 中部, 西部, 东北), as used by NBS since 2011
  (国家统计局《东西中部和东北地区划分方法》).
* ``belt3``: the three economic belts of the Seventh Five-Year Plan (1986), Hainan joined the
  East in 1988 and Chongqing the West in 1997: East 12, Central 9, West 10.

User-defined groups come from a CSV or YAML file (:meth:`RegionRegistry.load_groups`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nqpf.errors import UnknownRegionError
from nqpf.safeyaml import load_yaml

NATIONAL_CODE = "100000"


@dataclass(frozen=True)
class Region:
    """One region: code (GB/T 2260), names, level, parent code and aliases."""

    code: str
    name_zh: str
    name_en: str
    full_zh: str
    level: str = "province"
    parent: str | None = NATIONAL_CODE
    aliases: tuple[str, ...] = field(default=())

    def label(self, lang: str = "en") -> str:
        """The display name in ``"en"`` or ``"zh"``."""
        return self.name_zh if lang == "zh" else self.name_en


# code, short zh, English, full zh, extra aliases (English/pinyin/other spellings)
_PROVINCES: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("110000", "北京", "Beijing", "北京市", ("Peking",)),
    ("120000", "天津", "Tianjin", "天津市", ()),
    ("130000", "河北", "Hebei", "河北省", ()),
    ("140000", "山西", "Shanxi", "山西省", ()),
    ("150000", "内蒙古", "Inner Mongolia", "内蒙古自治区", ("Nei Mongol", "Neimenggu", "Nei Menggu", "Inner Mongolia Autonomous Region")),
    ("210000", "辽宁", "Liaoning", "辽宁省", ()),
    ("220000", "吉林", "Jilin", "吉林省", ()),
    ("230000", "黑龙江", "Heilongjiang", "黑龙江省", ()),
    ("310000", "上海", "Shanghai", "上海市", ()),
    ("320000", "江苏", "Jiangsu", "江苏省", ()),
    ("330000", "浙江", "Zhejiang", "浙江省", ()),
    ("340000", "安徽", "Anhui", "安徽省", ()),
    ("350000", "福建", "Fujian", "福建省", ()),
    ("360000", "江西", "Jiangxi", "江西省", ()),
    ("370000", "山东", "Shandong", "山东省", ()),
    ("410000", "河南", "Henan", "河南省", ()),
    ("420000", "湖北", "Hubei", "湖北省", ()),
    ("430000", "湖南", "Hunan", "湖南省", ()),
    ("440000", "广东", "Guangdong", "广东省", ("Canton",)),
    ("450000", "广西", "Guangxi", "广西壮族自治区", ("广西自治区", "Guangxi Zhuang", "Guangxi Zhuang Autonomous Region")),
    ("460000", "海南", "Hainan", "海南省", ()),
    ("500000", "重庆", "Chongqing", "重庆市", ("Chungking",)),
    ("510000", "四川", "Sichuan", "四川省", ("Szechwan", "Szechuan")),
    ("520000", "贵州", "Guizhou", "贵州省", ()),
    ("530000", "云南", "Yunnan", "云南省", ()),
    ("540000", "西藏", "Tibet", "西藏自治区", ("Xizang", "Tibet Autonomous Region", "Xizang Autonomous Region")),
    ("610000", "陕西", "Shaanxi", "陕西省", ("Shenxi",)),
    ("620000", "甘肃", "Gansu", "甘肃省", ("Kansu",)),
    ("630000", "青海", "Qinghai", "青海省", ()),
    ("640000", "宁夏", "Ningxia", "宁夏回族自治区", ("宁夏自治区", "Ningxia Hui", "Ningxia Hui Autonomous Region")),
    ("650000", "新疆", "Xinjiang", "新疆维吾尔自治区", ("新疆自治区", "Xinjiang Uygur", "Xinjiang Uyghur", "Xinjiang Uygur Autonomous Region", "Xinjiang Uyghur Autonomous Region")),
)

_NBS4: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "east": ("East", "东部", ("110000", "120000", "130000", "310000", "320000", "330000", "350000", "370000", "440000", "460000")),
    "central": ("Central", "中部", ("140000", "340000", "360000", "410000", "420000", "430000")),
    "west": ("West", "西部", ("150000", "450000", "500000", "510000", "520000", "530000", "540000", "610000", "620000", "630000", "640000", "650000")),
    "northeast": ("Northeast", "东北", ("210000", "220000", "230000")),
}

_BELT3: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "east": ("Eastern belt", "东部地带", ("110000", "120000", "130000", "210000", "310000", "320000", "330000", "350000", "370000", "440000", "450000", "460000")),
    "central": ("Central belt", "中部地带", ("140000", "150000", "220000", "230000", "340000", "360000", "410000", "420000", "430000")),
    "west": ("Western belt", "西部地带", ("500000", "510000", "520000", "530000", "540000", "610000", "620000", "630000", "640000", "650000")),
}

_SUFFIXES_ZH = ("维吾尔自治区", "回族自治区", "壮族自治区", "自治区", "特别行政区", "省", "市")
_SUFFIXES_EN = (" autonomous region", " province", " municipality", " shi", " sheng", " city")


def normalize_name(name: str) -> str:
    """Fold a region label to its lookup key.

    NFKC-normalises (full-width letters and spaces), removes every space (``"北   京"`` ->
    ``"北京"``), lower-cases Latin letters and drops apostrophes and hyphens
    (``"Xi'an"``, ``"Nei-Mongol"``).
    """
    s = unicodedata.normalize("NFKC", str(name)).strip().lower()
    s = s.replace("\u200b", "")
    s = re.sub(r"[\s'’\-_.]+", "", s)
    return s


@dataclass(frozen=True)
class Group:
    """A named set of regions (one category of a grouping)."""

    grouping: str
    key: str
    name_en: str
    name_zh: str
    codes: tuple[str, ...]


class RegionRegistry:
    """Look regions up by code or any alias; hold groupings.

    >>> REGISTRY.resolve("内蒙古自治区").code
    '150000'
    >>> REGISTRY.resolve("Nei Mongol").name_en
    'Inner Mongolia'
    """

    def __init__(self, regions: Iterable[Region] = ()) -> None:
        self._by_code: dict[str, Region] = {}
        self._by_key: dict[str, str] = {}
        self._groups: dict[str, dict[str, Group]] = {}
        for r in regions:
            self.add(r)

    def copy(self) -> RegionRegistry:
        """An independent registry with the same regions and groupings (change it freely)."""
        new = RegionRegistry(self._by_code.values())
        new._groups = {k: dict(v) for k, v in self._groups.items()}
        return new

    # -- regions -------------------------------------------------------------------
    def add(self, region: Region) -> None:
        """Register a region (provinces, later prefecture cities and counties)."""
        if not re.fullmatch(r"\d{6}", region.code):
            raise ValueError(f"region code must be six digits (GB/T 2260), got {region.code!r}")
        self._by_code[region.code] = region
        for alias in self._keys_for(region):
            other = self._by_key.get(alias)
            if other is not None and other != region.code:
                # an ambiguous short name (e.g. a county sharing a city's name) resolves by code only
                continue
            self._by_key[alias] = region.code

    @staticmethod
    def _keys_for(region: Region) -> set[str]:
        names = {region.code, region.name_zh, region.name_en, region.full_zh, *region.aliases}
        keys = {normalize_name(n) for n in names}
        en = normalize_name(region.name_en)
        keys.update(en + normalize_name(s) for s in _SUFFIXES_EN)
        return keys

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Region:
        """The region with this code; :class:`UnknownRegionError` if none."""
        try:
            return self._by_code[str(code)]
        except KeyError:
            raise UnknownRegionError(f"unknown region code {code!r}", region=str(code)) from None

    def provinces(self) -> list[Region]:
        """The 31 mainland provincial-level regions, in code order."""
        return sorted((r for r in self._by_code.values() if r.level == "province"), key=lambda r: r.code)

    def lookup(self, name: str | int) -> Region | None:
        """The region a name, alias or code denotes, or ``None``."""
        key = normalize_name(str(name))
        code = self._by_key.get(key)
        if code is None:
            for suffix in _SUFFIXES_ZH:
                if key.endswith(suffix) and len(key) > len(suffix) + 1:
                    code = self._by_key.get(key[: -len(suffix)])
                    if code is not None:
                        break
        return self._by_code.get(code) if code else None

    def resolve(self, name: str | int, *, file: str | None = None, line: int | None = None) -> Region:
        """Like :meth:`lookup` but raises :class:`UnknownRegionError` naming the closest match."""
        region = self.lookup(name)
        if region is None:
            hint = self.suggest(str(name))
            msg = f"unknown region {name!r}"
            if hint:
                msg += f"; did you mean {', '.join(hint)}?"
            raise UnknownRegionError(msg, file=file, line=line, region=str(name))
        return region

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """The closest known names to an unknown one (for error messages)."""
        key = normalize_name(name)
        close = difflib.get_close_matches(key, list(self._by_key), n=n * 3, cutoff=0.5)
        out: list[str] = []
        for k in close:
            r = self._by_code[self._by_key[k]]
            label = f"{r.name_en} ({r.name_zh}, {r.code})"
            if label not in out:
                out.append(label)
        return out[:n]

    def codes(self, names: Iterable[str | int]) -> list[str]:
        """Resolve many names at once; one error listing every unknown name."""
        out: list[str] = []
        bad: list[str] = []
        for n in names:
            r = self.lookup(n)
            if r is None:
                hint = self.suggest(str(n))
                bad.append(f"{n!r}" + (f" (did you mean {', '.join(hint)}?)" if hint else ""))
            else:
                out.append(r.code)
        if bad:
            raise UnknownRegionError(f"unknown regions: {'; '.join(bad)}", problems=bad)
        return out

    # -- groupings -----------------------------------------------------------------
    def add_grouping(self, grouping: str, groups: Mapping[str, tuple[str, str, Iterable[str]]]) -> None:
        """Add a grouping: ``{key: (name_en, name_zh, codes or names)}``."""
        built: dict[str, Group] = {}
        for key, (en, zh, members) in groups.items():
            built[key] = Group(grouping, key, en, zh, tuple(self.codes(members)))
        self._groups[grouping] = built

    def groupings(self) -> list[str]:
        """Names of the groupings held (``nbs4``, ``belt3`` and user ones)."""
        return list(self._groups)

    def groups(self, grouping: str = "nbs4") -> dict[str, Group]:
        """The groups of one grouping, by key."""
        try:
            return self._groups[grouping]
        except KeyError:
            raise KeyError(f"unknown grouping {grouping!r}; known: {', '.join(self._groups)}") from None

    def group_of(self, code: str, grouping: str = "nbs4") -> Group | None:
        """The group of ``grouping`` that contains region ``code``."""
        for g in self.groups(grouping).values():
            if code in g.codes:
                return g
        return None

    def load_table(self, path: str | Path) -> list[str]:
        """Add regions from a CSV table (prefecture cities, counties, or any units of your own).

        Columns: ``code`` (six digits), ``name_zh``, ``name_en``, and optionally ``full_zh``,
        ``level`` (default ``city``), ``parent`` (a code) and ``aliases`` (``;``-separated).
        Returns the codes added. Load into a copy (``REGISTRY.copy()``) and pass it on
        (``build_index(..., registry=reg)``): the shared registry is never changed.
        """
        import csv

        p = Path(path)
        try:
            with p.open(encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.DictReader(fh))
        except (OSError, UnicodeDecodeError) as exc:
            raise UnknownRegionError(f"cannot read the region table: {exc}", file=str(p)) from None
        need = {"code", "name_zh", "name_en"}
        if not rows or not need <= set(rows[0]):
            raise UnknownRegionError(f"a region table needs the columns {', '.join(sorted(need))}", file=str(p))
        added = []
        for i, row in enumerate(rows, start=2):
            code = (row.get("code") or "").strip()
            if not re.fullmatch(r"\d{6}", code):
                raise UnknownRegionError(f"code must be six digits (GB/T 2260), got {code!r}", file=str(p), line=i)
            parent = (row.get("parent") or "").strip() or None
            if parent is not None and parent not in self and parent not in {r.get("code") for r in rows}:
                raise UnknownRegionError(f"parent {parent!r} of {code} is not a known region", file=str(p), line=i)
            aliases = tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip())
            self.add(Region(code, row["name_zh"].strip(), row["name_en"].strip(), (row.get("full_zh") or "").strip(),
                            level=(row.get("level") or "city").strip(), parent=parent, aliases=aliases))
            added.append(code)
        return added

    def load_groups(self, path: str | Path, grouping: str | None = None) -> str:
        """Load a user-defined grouping from CSV (``region,group[,group_zh]``) or YAML.

        YAML form: ``{name: ..., groups: {key: {name_en, name_zh, regions: [...]}}}``.
        Regions may be given by any alias. Returns the grouping's name.
        """
        p = Path(path)
        groups: dict[str, tuple[str, str, list[str]]] = {}
        if p.suffix.lower() in {".yaml", ".yml"}:
            doc = load_yaml(p) or {}
            grouping = grouping or str(doc.get("name", p.stem))
            for key, spec in (doc.get("groups") or {}).items():
                groups[str(key)] = (
                    str(spec.get("name_en", key)),
                    str(spec.get("name_zh", spec.get("name_en", key))),
                    [str(x) for x in spec.get("regions", [])],
                )
        else:
            import csv

            grouping = grouping or p.stem
            with p.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                cols = {c.lower(): c for c in reader.fieldnames or []}
                if "region" not in cols or "group" not in cols:
                    raise UnknownRegionError(
                        "a group file needs the columns 'region' and 'group'", file=str(p)
                    )
                for i, row in enumerate(reader, start=2):
                    g = row[cols["group"]].strip()
                    zh = row.get(cols.get("group_zh", ""), "") or g
                    entry = groups.setdefault(g, (g, zh, []))
                    name = row[cols["region"]]
                    if self.lookup(name) is None:
                        self.resolve(name, file=str(p), line=i)
                    entry[2].append(name)
        self.add_grouping(grouping, groups)
        return grouping


def _default_registry() -> RegionRegistry:
    reg = RegionRegistry()
    reg.add(Region(NATIONAL_CODE, "全国", "China", "中华人民共和国", level="country", parent=None,
                   aliases=("China (national)", "National", "National total", "全国合计", "中国", "合计", "总计")))
    for code, zh, en, full, extra in _PROVINCES:
        reg.add(Region(code, zh, en, full, aliases=extra))
    reg.add_grouping("nbs4", _NBS4)
    reg.add_grouping("belt3", _BELT3)
    return reg


REGISTRY: RegionRegistry = _default_registry()
"""The shared registry: the nation, 31 provinces, groupings ``nbs4`` and ``belt3``."""
