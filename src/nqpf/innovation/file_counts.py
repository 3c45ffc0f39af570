"""The per-file work of exposure: read one corpus file, count the taxonomy's forms per document.

Both backends call it: the local one in this process, the Dask one inside its workers
(:func:`count_files` is the task). It needs only the corpus readers and the matcher, so a
worker never imports the aggregation code (pandas tables, panels) of
:mod:`nqpf.innovation.exposure`, which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nqpf.innovation.corpus import CorpusError, CorpusFile, DocumentMeta, read_documents
from nqpf.innovation.matching import TermMatcher, normalize_pieces


@dataclass(frozen=True)
class Failure:
    """A file that could not be processed, and why."""

    file: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}" + (f":{self.line}" if self.line is not None else "") + f": {self.reason}"


@dataclass(frozen=True)
class DocumentCounts:
    """One document's metadata, character count and matches per form."""

    meta: DocumentMeta
    n_chars: int
    forms: dict[str, int]


@dataclass
class FileOutcome:
    """The documents of one file, or its failure; bytes read."""

    path: str
    documents: list[DocumentCounts] = field(default_factory=list)
    failure: Failure | None = None
    bytes: int = 0


def process_file(cf: CorpusFile, matcher: TermMatcher, *, tmx_lang: str = "zh") -> FileOutcome:
    """Count one file; a bad file yields a :class:`Failure` naming it, never an exception."""
    out = FileOutcome(str(cf.path), bytes=0 if cf.refused else cf.size)
    if cf.refused:
        out.failure = Failure(str(cf.path), f"not read: {cf.refused}")
        return out
    try:
        for doc in read_documents(cf, tmx_lang=tmx_lang):
            sc = matcher.scan(normalize_pieces(doc.pieces))
            if sc.chars == 0 and doc.meta.format != "records":
                raise CorpusError("no text after removing markup", file=cf.path)
            out.documents.append(DocumentCounts(doc.meta, sc.chars, dict(sc.counts)))
    except CorpusError as exc:
        out.documents = []
        out.failure = Failure(exc.file, exc.reason, exc.line)
    except Exception as exc:  # a reader bug must not stop the corpus; report it with the file
        out.documents = []
        out.failure = Failure(str(cf.path), f"unexpected {type(exc).__name__}: {exc}")
    return out


def count_files(files: Sequence[CorpusFile], matcher: TermMatcher, tmx_lang: str = "zh") -> list[FileOutcome]:
    """:func:`process_file` over a group of files, in order (one Dask task)."""
    return [process_file(cf, matcher, tmx_lang=tmx_lang) for cf in files]
