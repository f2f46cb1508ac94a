from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from guichet_common.settings import CommonSettings, project_root


class PaymentsSettings(CommonSettings):
    """Environment variables: the shared ones, plus PAYMENTS_DATABASE_URL, PAYMENTS_FILES_DIR (where SEPA files
    are written), PAYMENTS_BATCH_MAX_SIZE and PAYMENTS_BATCH_MAX_AGE_S (a batch closes when either is reached:
    seconds in the demo, a day's worth for a daily cut-off), PAYMENTS_EXPIRY_SWEEP_S, and for the bank's files
    back PAYMENTS_INBOUND_DIR (where they are dropped: imported ones move to `imported/`, refused ones to
    `refused/`), PAYMENTS_BANK_FILE_MAX_BYTES and PAYMENTS_INBOUND_SCAN_S (how often an idle folder is looked at)."""

    model_config = SettingsConfigDict(env_prefix="PAYMENTS_", extra="ignore", frozen=True)

    files_dir: Path = Field(default_factory=lambda: project_root() / ".guichet" / "sepa")
    batch_max_size: int = Field(500, ge=1)
    batch_max_age_s: float = Field(5.0, gt=0)
    expiry_sweep_s: float = Field(60.0, gt=0)  # how often returned payments are checked for expiry
    inbound_dir: Path = Field(default_factory=lambda: project_root() / ".guichet" / "bank-inbound")
    bank_file_max_bytes: int = Field(20_000_000, ge=1)
    inbound_scan_s: float = Field(1.0, gt=0)
