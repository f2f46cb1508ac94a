"""`claims.submitted.v1`: a grant claim published by an upstream portal. Key: the applicant SIREN."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from pydantic import EmailStr, Field

from guichet_common.contracts.base import Cents, ClosedContract, Siren, Timestamp

TOPIC = "claims.submitted.v1"

InvoiceCategory = Literal[
    "ecommerce_site",
    "showcase_site",
    "content_creation",
    "online_payment",
    "marketplace",
    "web_visibility",
    "online_booking",
    "stock_order_delivery",
    "point_of_sale",
    "hosting_domain_security",
    "customer_relationship",
    "email_marketing",
    "digitalisation_support",
]


class Address(ClosedContract):
    line1: Annotated[str, Field(min_length=1, max_length=200)]
    line2: Annotated[str, Field(max_length=200)] | None = None
    postcode: Annotated[str, Field(pattern=r"^[0-9]{5}$")]
    city: Annotated[str, Field(min_length=1, max_length=100)]
    country: Literal["FR"]


class Applicant(ClosedContract):
    siren: Siren
    siret: Annotated[str, Field(pattern=r"^[0-9]{14}$")]
    legal_name: Annotated[str, Field(min_length=1, max_length=200)]
    naf_code: Annotated[str, Field(pattern=r"^[0-9]{2}\.[0-9]{2}[A-Z]$")]
    headcount: Annotated[int, Field(ge=0, le=1_000_000)]
    annual_turnover_cents: Annotated[int, Field(ge=0, le=100_000_000_000_000)]
    activity_started_on: dt.date
    closed_to_public_since_2020_10_30: bool
    registered_rcs_rm: bool
    manager_full_time_employee_since_2020_10_30: bool
    address: Address


class Contact(ClosedContract):
    full_name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[EmailStr, Field(max_length=254)]
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 .-]{6,20}$")] | None = None


class BankAccount(ClosedContract):
    iban: Annotated[str, Field(min_length=15, max_length=34)]
    bic: Annotated[str, Field(pattern=r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")] | None = None
    holder_name: Annotated[str, Field(min_length=1, max_length=140)]


class Invoice(ClosedContract):
    invoice_number: Annotated[str, Field(min_length=1, max_length=64)]
    issued_on: dt.date
    supplier_name: Annotated[str, Field(min_length=1, max_length=200)]
    supplier_siren: Siren | None = None
    supplier_vat_number: Annotated[str, Field(pattern=r"^[A-Z]{2}[0-9A-Z+*]{2,13}$")] | None = None
    amount_excl_tax_cents: Annotated[Cents, Field(le=10_000_000_000)]
    amount_incl_tax_cents: Annotated[Cents, Field(le=10_000_000_000)]
    category: InvoiceCategory
    file_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


class Declarations(ClosedContract):
    tax_and_social_obligations_met: bool
    not_in_liquidation: bool
    information_accurate: bool


class FiledBy(ClosedContract):
    kind: Literal["applicant", "accountant", "digital_provider"]
    siren: Siren | None = None


class SubmittedClaim(ClosedContract):
    claim_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{7,63}$")]
    programme: Annotated[str, Field(min_length=1, max_length=64)]
    submitted_at: Timestamp
    applicant: Applicant
    contact: Contact
    bank_account: BankAccount
    invoices: Annotated[list[Invoice], Field(min_length=1, max_length=20)]
    declarations: Declarations
    filed_by: FiledBy


class ClaimSubmittedV1(ClosedContract):
    event_id: UUID
    event_type: Literal["claim.submitted"]
    schema_version: Literal[1]
    occurred_at: Timestamp
    source: Annotated[str, Field(min_length=1, max_length=100)]
    claim: SubmittedClaim
