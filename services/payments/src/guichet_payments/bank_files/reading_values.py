"""Values read from an already validated ISO 20022 tree: texts, euro amounts in cents, dates, IBANs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from lxml import etree

from guichet_payments.bank_files.reading_model import BankFileRefused
from guichet_payments.bank_files.reading_validation import where

NOT_PROVIDED = "NOTPROVIDED"


class Reader:
    """Finds children by path in the file's own namespace; refusals name the file."""

    def __init__(self, file_name: str, namespace: str) -> None:
        self.file_name = file_name
        self.namespace = namespace

    def _path(self, path: str) -> str:
        return "/".join(f"{{{self.namespace}}}{step}" for step in path.split("/"))

    def first(self, element: etree._Element, path: str) -> etree._Element | None:
        return element.find(self._path(path))

    def all(self, element: etree._Element, path: str) -> list[etree._Element]:
        return list(element.findall(self._path(path)))

    def text(self, element: etree._Element, path: str) -> str | None:
        found = self.first(element, path)
        if found is None or found.text is None:
            return None
        return found.text.strip() or None

    def required_text(self, element: etree._Element, path: str) -> str:
        value = self.text(element, path)
        if value is None:
            raise BankFileRefused(self.file_name, f"{where(element)}/{path}", "required and missing")
        return value

    def end_to_end_id(self, element: etree._Element, path: str) -> str | None:
        value = self.text(element, path)
        return None if value is None or value == NOT_PROVIDED else value

    def euro_cents(self, element: etree._Element, path: str) -> int | None:
        """Cents of the amount at `path`; a file in another currency is refused, never converted."""
        amount = self.first(element, path)
        if amount is None:
            return None
        currency = amount.get("Ccy")
        if currency != "EUR":
            shown = currency if currency and currency.isalpha() and len(currency) == 3 else "missing"
            raise BankFileRefused(self.file_name, where(amount), f"currency {shown}: payments reads euro amounts only")
        try:
            cents = Decimal((amount.text or "").strip()) * 100
        except InvalidOperation:
            raise BankFileRefused(self.file_name, where(amount), "not a decimal amount") from None
        if not cents.is_finite() or cents != cents.to_integral_value():
            raise BankFileRefused(self.file_name, where(amount), "a euro amount has at most two decimals")
        return int(cents)

    def date(self, element: etree._Element, path: str) -> dt.date | None:
        """An ISO date, or the date of an ISO date-time (`Dt` or `DtTm` under `path`)."""
        value = self.text(element, f"{path}/Dt") or self.text(element, f"{path}/DtTm")
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            raise BankFileRefused(self.file_name, f"{where(element)}/{path}", "not an ISO date") from None

    def iban(self, element: etree._Element, path: str) -> str | None:
        value = self.text(element, path)
        return None if value is None else "".join(value.split()).upper()

    def remittance(self, element: etree._Element, path: str) -> str | None:
        lines = [line.text.strip() for line in self.all(element, path) if line.text and line.text.strip()]
        return " ".join(lines) or None
