"""Parse a bank file without trusting it, tell its message by namespace, and check it against its schema.

Bank files come from outside: no DTD, no entity, no network, bounded size and depth. A schema error names the
element (its parent, its line) and says why, but never repeats the value that failed: it may be an IBAN or a name.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from lxml import etree

from guichet_payments.bank_files.reading_model import MESSAGES, BankFileRefused

ISO_NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
SCHEMA_FILES = {"camt.053.001.02": "camt.053.001.02.xsd", "camt.054.001.02": "camt.054.001.02.xsd"}


def local_name(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def where(element: etree._Element) -> str:
    """`Parent/Name (line N)`: enough for a person to find the element in the file."""
    parent = element.getparent()
    name = local_name(element) if parent is None else f"{local_name(parent)}/{local_name(element)}"
    return f"{name} (line {element.sourceline})" if element.sourceline else name


def parse_untrusted(file_name: str, content: bytes, max_bytes: int) -> etree._Element:
    if len(content) > max_bytes:
        raise BankFileRefused(file_name, "file", f"{len(content)} bytes, more than the {max_bytes} allowed")
    if not content.strip():
        raise BankFileRefused(file_name, "file", "empty")
    # Refused before parsing: a DTD is how entity expansion and external fetches get in.
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise BankFileRefused(file_name, "DOCTYPE", "a bank file may not declare a DTD or entities")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        raise BankFileRefused(file_name, f"document (line {error.lineno})", "not well-formed XML") from None
    except (ValueError, TypeError, LookupError):  # e.g. an encoding declaration lxml cannot honour
        raise BankFileRefused(file_name, "document", "not readable as XML") from None
    if root is None:
        raise BankFileRefused(file_name, "document", "not readable as XML")
    # The byte check above misses a DTD written in UTF-16: look at what the parser saw too.
    if root.getroottree().docinfo.doctype or any(True for _ in root.iter(etree.Entity)):
        raise BankFileRefused(file_name, "DOCTYPE", "a bank file may not declare a DTD or entities")
    return root


def message_of(file_name: str, root: etree._Element) -> str:
    if not isinstance(root.tag, str):
        raise BankFileRefused(file_name, "document", "no root element")
    qname = etree.QName(root)
    namespace = qname.namespace or ""
    message = namespace.removeprefix(ISO_NAMESPACE_PREFIX)
    if namespace.startswith(ISO_NAMESPACE_PREFIX) and message in MESSAGES:
        if qname.localname != "Document":
            raise BankFileRefused(file_name, where(root), "the root element of an ISO 20022 message is Document")
        return message
    known = ", ".join(MESSAGES)
    if namespace.startswith(ISO_NAMESPACE_PREFIX) and re.fullmatch(r"[a-z]{4}\.\d{3}\.\d{3}\.\d{2}", message):
        raise BankFileRefused(file_name, where(root), f"message {message} is not one payments reads ({known})")
    raise BankFileRefused(file_name, where(root), f"unknown namespace: payments reads {known}")


@cache
def _schema(message: str) -> etree.XMLSchema:
    source = resources.files("guichet_payments.bank_files").joinpath("schemas", SCHEMA_FILES[message])
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.fromstring(source.read_bytes(), parser))


def check_against_schema(file_name: str, message: str, root: etree._Element) -> None:
    schema = _schema(message)
    if schema.validate(root.getroottree()):
        return
    error = schema.error_log[0]
    element = _failing_element(root, error.path)
    place = where(element) if element is not None else f"document (line {error.line})"
    raise BankFileRefused(file_name, place, _problem(error.message))


def _failing_element(root: etree._Element, path: str | None) -> etree._Element | None:
    if not path:
        return None
    try:
        found = root.getroottree().xpath(path)
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


_NAMESPACED = re.compile(r"\{[^}]*\}")


def _problem(message: str) -> str:
    """libxml2's explanation without the values it quotes (they may be personal data)."""
    text = _NAMESPACED.sub("", message.split("': ", 1)[-1])
    if match := re.search(r"\[facet '(\w+)'\]", text):
        return f"the value does not satisfy the schema's {match.group(1)} rule"
    if match := re.search(r"is not a valid value of the (?:local )?atomic type '([^']+)'", text):
        return f"the value is not a valid {match.group(1)}"
    if "not a valid value of the local" in text or "is not a valid value" in text:
        return "the value is not valid for this element"
    if match := re.search(r"The attribute '(\w+)' is required but missing", text):
        return f"attribute {match.group(1)} is required but missing"
    if match := re.search(r"The attribute '(\w+)' is not allowed", text):
        return f"attribute {match.group(1)} is not allowed"
    if match := re.search(
        r"(This element is not expected|Missing child element\(s\))\. Expected is( one of)? \( ([^)]*) \)", text
    ):
        return f"{match.group(1).lower()}; expected {match.group(3)}"
    if "This element is not expected" in text:
        return "this element is not expected here"
    if "Missing child element" in text:
        return "a required child element is missing"
    if "Character content" in text:
        return "text is not allowed in this element"
    if "No matching global declaration" in text:
        return "not the root element of this message"
    return "does not follow the message's schema"
