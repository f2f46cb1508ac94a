from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from guichet_common.settings import CommonSettings


class BackofficeSettings(CommonSettings):
    """Environment variables: the shared ones, plus BACKOFFICE_DATABASE_URL, BACKOFFICE_DATABASE_POOL_SIZE and
    BACKOFFICE_HTTP_PORT (the pages and the operational routes share the port)."""

    model_config = SettingsConfigDict(env_prefix="BACKOFFICE_", extra="ignore", frozen=True)

    # Sign-in (guichet_backoffice.web.auth). The session cookie is Secure unless BACKOFFICE_COOKIE_SECURE=false,
    # which only a plain-http address on the loopback (tests, `make demo` on 127.0.0.1) should ever set.
    cookie_secure: bool = True
    session_idle_minutes: int = Field(30, ge=1)
    session_max_hours: int = Field(12, ge=1)
    lockout_after_failures: int = Field(5, ge=1)
    lockout_minutes: int = Field(15, ge=1)
    # OpenID Connect, off unless BACKOFFICE_OIDC_ISSUER is set (see the README: connecting an identity provider).
    # The roles claim's values map to roles through BACKOFFICE_OIDC_ROLE_MAPPING, JSON such as
    # {"guichet-instructeurs": "caseworker"}; a person none of whose values maps cannot sign in.
    oidc_issuer: str | None = None
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr | None = None
    oidc_roles_claim: str = "roles"
    oidc_login_claim: str = "preferred_username"
    oidc_role_mapping: dict[str, str] = Field(default_factory=dict)
    oidc_label: str = "Se connecter avec le compte de l'agence"
    # The address people reach the back-office at (for the identity provider's redirect), e.g. https://bo.example.
    public_url: str | None = None
