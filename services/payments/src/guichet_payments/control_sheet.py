"""The accountant's control sheet of a pain.001 file, in CSV (for a spreadsheet) and in printable HTML.

Pure: bytes in, bytes out. Everything on it is read back from the file itself (`sepa_versions.read_written_file`),
so the sheet says what goes to the bank, not what payments meant to write. It carries no personal data: no
names, and IBANs masked with the project's log mask; the EndToEndId, the remittance (the claim's reference),
the amount and the BIC are enough to tick each line off against the bank's statement.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
from dataclasses import dataclass
from decimal import Decimal

from guichet_common.logging import MASK, mask_text
from guichet_payments.sepa_versions import WrittenFile, read_written_file

TRANSFER_COLUMNS = ("EndToEndId", "Référence (libellé)", "Montant (EUR)", "IBAN (masqué)", "BIC")


def euros(cents: int) -> str:
    """Exact, for a machine: "1500.00"."""
    return f"{Decimal(cents) / 100:.2f}"


def euros_fr(cents: int) -> str:
    """Exact, for a reader: "1 500,00 €" (narrow no-break space between thousands)."""
    return f"{Decimal(cents) / 100:,.2f}".replace(",", "\u202f").replace(".", ",") + "\u00a0€"


def masked_iban(iban: str) -> str:
    masked = mask_text(iban)
    # The log mask leaves alone what does not look like an IBAN; a sheet never shows an account in full.
    return masked if masked != iban else iban[:2] + "**" + MASK


@dataclass(frozen=True)
class ControlSheet:
    programme: str
    file_name: str
    sha256: str
    file: WrittenFile

    @classmethod
    def of(cls, xml: bytes, *, programme: str, file_name: str) -> ControlSheet:
        return cls(programme, file_name, hashlib.sha256(xml).hexdigest(), read_written_file(xml))

    def summary(self) -> list[tuple[str, str]]:
        """The header lines, label then value, control sum exact in euros."""
        return [
            ("Lot", self.file.batch_id),
            ("Programme", self.programme),
            ("Message", self.file.message),
            ("Fichier", self.file_name),
            ("Créé le", self.file.created_at),
            ("Date d'exécution demandée", self.file.execution_date.isoformat()),
            ("Nombre de virements", str(self.file.transfer_count)),
            ("Somme de contrôle (EUR)", euros(self.file.control_sum_cents)),
            ("SHA-256 du fichier XML", self.sha256),
        ]

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        return [
            (t.end_to_end_id, t.remittance, euros(t.amount_cents), masked_iban(t.iban), t.bic or "")
            for t in self.file.transfers
        ]

    def csv(self) -> bytes:
        """UTF-8 with a byte-order mark (a spreadsheet then reads the accents), CRLF lines, comma-separated."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerows(_defused(line) for line in self.summary())
        writer.writerow(())
        writer.writerow(TRANSFER_COLUMNS)
        writer.writerows(_defused(row) for row in self.rows())
        return out.getvalue().encode("utf-8-sig")

    def html(self) -> bytes:
        """One printable page (A4, landscape when printed), every value escaped, no script."""
        summary = "\n".join(
            f"<tr><th scope='row'>{_e(label)}</th><td>{_e(value)}</td></tr>" for label, value in self._shown()
        )
        head = "".join(f"<th scope='col'>{_e(column)}</th>" for column in TRANSFER_COLUMNS)
        lines = "\n".join(
            "<tr>"
            f"<td><code>{_e(t.end_to_end_id)}</code></td><td>{_e(t.remittance)}</td>"
            f"<td class='amount'>{_e(euros_fr(t.amount_cents))}</td>"
            f"<td><code>{_e(masked_iban(t.iban))}</code></td><td><code>{_e(t.bic or '')}</code></td>"
            "</tr>"
            for t in self.file.transfers
        )
        total = sum(t.amount_cents for t in self.file.transfers)
        page = _PAGE.format(
            title=_e(f"Bordereau de contrôle – lot {self.file.batch_id}"),
            summary=summary,
            head=head,
            lines=lines,
            count=len(self.file.transfers),
            total=_e(euros_fr(total)),
        )
        return page.encode("utf-8")

    def _shown(self) -> list[tuple[str, str]]:
        return [
            (label, euros_fr(self.file.control_sum_cents) if label.startswith("Somme de contrôle") else value)
            for label, value in self.summary()
        ]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _defused(values: tuple[str, ...]) -> tuple[str, ...]:
    # A cell starting with = + - @ is a formula to a spreadsheet (a remittance may start with "+"): quote it.
    return tuple(f"'{v}" if v[:1] in ("=", "+", "-", "@") else v for v in values)


_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; font-size: 11pt; margin: 1.5em; color: #000; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #555; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }}
td.amount, tfoot td {{ text-align: right; white-space: nowrap; }}
code {{ font-size: 10pt; }}
@page {{ size: A4 landscape; margin: 1cm; }}
@media print {{ body {{ margin: 0; }} thead {{ display: table-header-group; }} tr {{ break-inside: avoid; }} }}
</style>
</head>
<body>
<h1>{title}</h1>
<table aria-label="Lot">
{summary}
</table>
<h2>Virements</h2>
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{lines}
</tbody>
<tfoot><tr><th scope="row" colspan="2">Total des {count} lignes</th><td>{total}</td><td colspan="2"></td></tr></tfoot>
</table>
<p>Les IBAN sont masqués ; le fichier envoyé à la banque est celui dont l'empreinte SHA-256 figure ci-dessus.</p>
</body>
</html>
"""
