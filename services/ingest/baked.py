"""Unbaking: the credential an issuer embedded in a badge image (PNG iTXt chunk or SVG element).

Sources:
- Open Badges Baking Specification 2.0, "PNGs" and "SVGs" sections
  (https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/baking/index.html):
  PNG: an iTXt chunk with keyword `openbadges` whose text is the assertion JSON or a JWS;
  SVG: an `openbadges:assertion` element (namespace http://openbadges.org) whose text is the
  assertion JSON or a JWS, with a `verify` attribute naming the hosted assertion URL.
- Open Badges 3.0 §5.3 "Badge Baking" (https://www.imsglobal.org/spec/ob/v3p0): the same carriers
  with keyword `openbadgecredential` and element `openbadges:credential`
  (namespace https://purl.imsglobal.org/ob/v3p0), holding the credential JSON or its VC-JWT.
"""
from __future__ import annotations

import struct
import zlib
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORDS = ("openbadges", "openbadgecredential")
SVG_ELEMENTS = ("{http://openbadges.org}assertion", "{https://purl.imsglobal.org/ob/v3p0}credential")
MAX_TEXT = 1_000_000  # a decompressed iTXt text larger than this is refused (a zlib bomb is small on the wire)


class BakedError(ValueError):
    """The image is not a well-formed PNG/SVG, or its baked text cannot be read."""


def unbake_png(data: bytes) -> str | None:
    """The baked text of the first `openbadges`/`openbadgecredential` iTXt chunk, or None if there is none."""
    if not data.startswith(PNG_SIGNATURE):
        raise BakedError("not a PNG image")
    for ctype, chunk in _png_chunks(data):
        if ctype == b"iTXt":
            keyword, text = _itxt(chunk)
            if keyword in PNG_KEYWORDS:
                return text
        elif ctype == b"IEND":
            break
    return None


def _png_chunks(data: bytes):
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            raise BakedError("the PNG is truncated")
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + body) != crc:
            raise BakedError("a PNG chunk fails its CRC")
        yield ctype, body
        pos += 12 + length
    if pos != len(data):
        raise BakedError("the PNG is truncated")


def _itxt(chunk: bytes) -> tuple[str, str]:
    # PNG 1.2 §11.3.4.5 iTXt: keyword NUL, compression flag, method, language NUL, translated keyword NUL, text.
    try:
        keyword, rest = chunk.split(b"\0", 1)
        flag, method, rest = rest[0], rest[1], rest[2:]
        _language, rest = rest.split(b"\0", 1)
        _translated, text = rest.split(b"\0", 1)
    except (ValueError, IndexError):
        raise BakedError("a malformed iTXt chunk") from None
    if flag:
        if method != 0:
            raise BakedError("an iTXt chunk with an unknown compression method")
        text = _inflate(text)
    try:
        return keyword.decode("latin-1"), text.decode("utf-8")
    except UnicodeDecodeError:
        raise BakedError("the baked text is not UTF-8") from None


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT + 1)
    except zlib.error:
        raise BakedError("the baked text does not decompress") from None
    if len(out) > MAX_TEXT:
        raise BakedError("the baked text is too large")
    return out


def unbake_svg(data: bytes) -> tuple[str | None, str | None]:
    """(baked text, `verify` URL) of the first openbadges element; (None, None) if there is none."""
    try:
        # The parser, not a byte pattern, refuses the DTD: it sees through every encoding (UTF-16 too).
        # Entity declarations are how XML bombs and external-entity reads work; badges need none.
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise BakedError("SVGs with a DOCTYPE or entity declarations are not read") from None
    except ParseError:
        raise BakedError("not a well-formed SVG") from None
    if not root.tag.endswith("svg"):
        raise BakedError("not an SVG image")
    for element in root.iter():
        if element.tag in SVG_ELEMENTS:
            text = "".join(element.itertext()).strip()
            return (text or None), element.get("verify")
    return None, None
