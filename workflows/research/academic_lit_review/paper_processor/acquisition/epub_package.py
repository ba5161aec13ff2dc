"""Open an EPUB safely and read its package: what is in it, in which order, and what it is called.

An EPUB (2 or 3) is a zip archive (OCF) whose first entry is the stored, uncompressed `mimetype`
saying `application/epub+zip`; `META-INF/container.xml` names the package document (OPF), which
lists the publication's files (manifest), their reading order (spine), its metadata and its
table of contents (an EPUB 3 navigation document, or an EPUB 2 NCX).

Everything here treats the archive as hostile, and decides before inflating anything:

- the sizes the central directory declares must stay under a cap (zip bombs); Python's zipfile
  never inflates more than an entry declares, so the cap bounds the work actually done;
- no entry name, and no reference inside the package, may leave the archive's root;
- an archive with DRM (`META-INF/rights.xml`, or `encryption.xml` encrypting more than fonts,
  whose obfuscation is harmless) is `encrypted`: its text cannot be read;
- the XML of the package is parsed with defusedxml (no entity expansion, no external fetches).

Blocking: call it from a worker thread.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from ..errors import SourceFailed
from ..models import Reason

EPUB_MIMETYPE = b"application/epub+zip"
# A local file header is 30 bytes, then the name: a conforming EPUB starts with exactly this.
_MIMETYPE_ENTRY = re.compile(rb"^PK\x03\x04.{26}mimetype", re.DOTALL)
ZIP_MAGIC = b"PK\x03\x04"
MAX_ENTRIES = 10_000
# Compression ratios above this are bombs; text deflates ~5-10x, a megabyte of zeros ~1000x.
MAX_RATIO = 200
_RATIO_FLOOR_BYTES = 1024 * 1024  # small entries may compress as well as they like
# Fonts are obfuscated, not encrypted, by these algorithms (IDPF and Adobe).
_FONT_OBFUSCATION = frozenset(
    {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
)
_CONTENT_TYPES = frozenset({"application/xhtml+xml", "text/html", "application/x-dtbook+xml"})


# What zipfile raises for an entry it cannot inflate: damage, a bad CRC, an unknown method.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


def looks_like_epub(head: bytes) -> bool:
    """The first bytes are a zip whose first entry is named `mimetype` and says EPUB."""
    return bool(_MIMETYPE_ENTRY.match(head)) and EPUB_MIMETYPE in head[38:80]


@dataclass(frozen=True)
class ManifestItem:
    id: str
    path: str  # inside the archive, resolved against the package document
    media_type: str
    properties: frozenset[str] = frozenset()
    fallback: str | None = None


@dataclass(frozen=True)
class SpineItem:
    item: ManifestItem
    linear: bool


@dataclass(frozen=True)
class PackageInfo:
    """What the package document says about the publication."""

    version: str
    title: str | None
    creators: tuple[str, ...]
    identifiers: tuple[str, ...]
    spine: tuple[SpineItem, ...]
    nav_path: str | None  # EPUB 3 navigation document
    ncx_path: str | None  # EPUB 2 table of contents
    manifest: dict[str, ManifestItem] = field(default_factory=dict)


def _fail(detail: str) -> SourceFailed:
    return SourceFailed(Reason.CORRUPT_EPUB, detail)


class EpubArchive:
    """An open, checked EPUB archive; `read` returns an entry's bytes within the caps.

    Use as a context manager; `open_epub` builds one.
    """

    def __init__(self, zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> None:
        self._zip = zf
        self._names = names
        # Packages made on case-insensitive file systems name files in another case at times.
        self._folded = {name.casefold(): info for name, info in names.items()}

    def __enter__(self) -> EpubArchive:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._zip.close()

    def _entry(self, path: str) -> zipfile.ZipInfo | None:
        return self._names.get(path) or self._folded.get(path.casefold())

    def has(self, path: str) -> bool:
        return self._entry(path) is not None

    def size(self, path: str) -> int:
        """The unpacked size the archive declares for an entry (what `read` inflates at most)."""
        info = self._entry(path)
        return info.file_size if info is not None else 0

    def read(self, path: str) -> bytes:
        info = self._entry(path)
        if info is None:
            raise _fail(f"{path} is named in the package but missing from the archive")
        try:
            return self._zip.read(info)
        except _READ_ERRORS as exc:  # a damaged entry, or a method Python's zipfile lacks
            raise _fail(f"cannot read {path}: {exc}") from exc

    def package(self) -> PackageInfo:
        """Parse container.xml and the package document; raise SourceFailed if unusable."""
        container = self._xml("META-INF/container.xml")
        rootfile = container.find(".//rootfile")
        opf_path = rootfile.get("full-path") if rootfile is not None else None
        if not opf_path:
            raise _fail("META-INF/container.xml names no package document")
        opf_path = resolve_href("", opf_path)
        opf = self._xml(opf_path)
        return _read_package(opf, base=posixpath.dirname(opf_path))

    def _xml(self, path: str) -> Element:
        return parse_package_xml(self.read(path), path)


def parse_package_xml(data: bytes, path: str) -> Element:
    """Parse one XML file of the package safely, its element names reduced to local names:
    packages in the wild use the OPF namespace, a prefix for it, or none at all."""
    try:
        root = safe_xml.fromstring(data)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        # LookupError: an XML declaration naming an encoding that does not exist.
        raise _fail(f"{path} does not parse: {exc}") from exc
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]
    return root


def open_epub(path: Path, *, max_unpacked_bytes: int) -> EpubArchive:
    """Open and check the archive before anything is inflated; raise SourceFailed if unsafe."""
    try:
        zf = zipfile.ZipFile(path)
    except (*_READ_ERRORS, ValueError) as exc:
        raise _fail(f"not a readable zip archive: {exc}") from exc
    try:
        names = _checked_entries(zf, max_unpacked_bytes)
        _refuse_drm(zf, names)
    except BaseException:
        zf.close()
        raise
    return EpubArchive(zf, names)


def _checked_entries(zf: zipfile.ZipFile, max_unpacked_bytes: int) -> dict[str, zipfile.ZipInfo]:
    infos = zf.infolist()
    if not infos:
        raise _fail("empty zip archive")
    if len(infos) > MAX_ENTRIES:
        raise SourceFailed(Reason.TOO_LARGE, f"{len(infos)} entries; the limit is {MAX_ENTRIES}")
    first = infos[0]
    if first.filename != "mimetype" or first.compress_type != zipfile.ZIP_STORED:
        raise _fail("the first entry is not the stored `mimetype` an EPUB starts with")
    try:
        mimetype = zf.read(first) if first.file_size <= 64 else b""
    except _READ_ERRORS as exc:
        raise _fail(f"cannot read `mimetype`: {exc}") from exc
    if mimetype.strip() != EPUB_MIMETYPE:
        raise _fail("`mimetype` does not say application/epub+zip")
    total = 0
    names: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        if not is_inside_root(name):
            raise _fail(f"entry {name!r} escapes the archive's root")
        total += info.file_size
        if total > max_unpacked_bytes:
            raise SourceFailed(
                Reason.TOO_LARGE,
                f"unpacks to more than {max_unpacked_bytes} bytes (a zip bomb, or a huge book)",
            )
        if info.file_size > _RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(
            1, info.compress_size
        ):
            raise SourceFailed(
                Reason.TOO_LARGE,
                f"entry {name!r} inflates {info.file_size // max(1, info.compress_size)}x"
                f" ({info.compress_size} to {info.file_size} bytes): a zip bomb",
            )
        if info.flag_bits & 0x1:
            raise SourceFailed(Reason.ENCRYPTED, f"entry {name!r} is password-protected")
        if not name.endswith("/"):
            names[name] = info
    return names


def _refuse_drm(zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> None:
    if "META-INF/rights.xml" in names:
        raise SourceFailed(Reason.ENCRYPTED, "EPUB with DRM (META-INF/rights.xml)")
    info = names.get("META-INF/encryption.xml")
    if info is None:
        return
    try:
        data = zf.read(info)
    except _READ_ERRORS as exc:
        raise _fail(f"cannot read META-INF/encryption.xml: {exc}") from exc
    root = parse_package_xml(data, "META-INF/encryption.xml")
    for encrypted in root.iter("EncryptedData"):
        method = encrypted.find("EncryptionMethod")
        algorithm = method.get("Algorithm", "") if method is not None else ""
        if algorithm not in _FONT_OBFUSCATION:
            ref = encrypted.find(".//CipherReference")
            target = ref.get("URI", "?") if ref is not None else "?"
            raise SourceFailed(
                Reason.ENCRYPTED, f"EPUB with encrypted content ({target}, {algorithm or '?'})"
            )


def is_inside_root(name: str) -> bool:
    """An archive path that stays inside the root: relative, no `..`, no drive, no backslash."""
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        return False
    if re.match(r"^[A-Za-z]:", name):
        return False
    return ".." not in name.split("/")


def resolve_href(base_dir: str, href: str) -> str:
    """An href of a document in `base_dir`, as an archive path; SourceFailed if it leaves root."""
    target = unquote(urlsplit(href).path)
    joined = posixpath.normpath(posixpath.join(base_dir, target)) if target else base_dir
    if joined in (".", "") or not is_inside_root(joined):
        raise _fail(f"reference {href!r} escapes the archive's root")
    return joined


def _text(element: Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _read_package(opf: Element, *, base: str) -> PackageInfo:
    if opf.tag != "package":
        raise _fail("the package document is not an OPF <package>")
    # EPUB 2 may wrap Dublin Core in <dc-metadata>: search the whole metadata block.
    metadata = opf.find("metadata")
    titles = metadata.findall(".//title") if metadata is not None else []
    creators = metadata.findall(".//creator") if metadata is not None else []
    identifiers = metadata.findall(".//identifier") if metadata is not None else []
    manifest: dict[str, ManifestItem] = {}
    for item in opf.iterfind("manifest/item"):
        item_id, href = item.get("id"), item.get("href")
        if not item_id or not href or urlsplit(href).scheme:
            continue  # remote resources are not part of the text
        manifest[item_id] = ManifestItem(
            id=item_id,
            path=resolve_href(base, href),
            media_type=(item.get("media-type") or "").strip().lower(),
            properties=frozenset((item.get("properties") or "").split()),
            fallback=item.get("fallback"),
        )
    spine_element = opf.find("spine")
    if spine_element is None:
        raise _fail("the package document has no spine (no reading order)")
    spine = tuple(
        SpineItem(manifest[ref.get("idref", "")], linear=ref.get("linear", "yes") != "no")
        for ref in spine_element.iterfind("itemref")
        if ref.get("idref", "") in manifest
    )
    if not spine:
        raise _fail("the spine lists no document of the manifest")
    nav = next((i for i in manifest.values() if "nav" in i.properties), None)
    ncx_id = spine_element.get("toc")
    ncx = manifest.get(ncx_id) if ncx_id else None
    if ncx is None:
        ncx = next(
            (i for i in manifest.values() if i.media_type == "application/x-dtbncx+xml"), None
        )
    return PackageInfo(
        version=opf.get("version", ""),
        title=next((t for t in map(_text, titles) if t), None),
        creators=tuple(t for t in map(_text, creators) if t),
        identifiers=tuple(t for t in map(_text, identifiers) if t),
        spine=spine,
        nav_path=nav.path if nav else None,
        ncx_path=ncx.path if ncx else None,
        manifest=manifest,
    )


def content_document(package: PackageInfo, item: ManifestItem) -> ManifestItem | None:
    """The XHTML to read for a spine item: itself, or the first content document of its fallback
    chain (an image or other foreign spine item may name one); None when there is none."""
    seen: set[str] = set()
    current: ManifestItem | None = item
    while current is not None and current.id not in seen:
        if current.media_type in _CONTENT_TYPES:
            return current
        seen.add(current.id)
        current = package.manifest.get(current.fallback or "")
    return None
