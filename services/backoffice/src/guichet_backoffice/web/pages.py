"""The back-office's pages (not sign-in, accounts, audit or decisions: guichet_backoffice.web.app's, which also
serves `/` and the style sheet), for create_web to mount: `routes()`.

Each family of pages is a module of its own: pages_review (queue and claim), pages_operations (dead letters and
set-aside items), pages_dashboard, pages_finance (payments, SEPA batches, waitlist, budget). pages_common holds
what they share: the templates, who opens which page, the menu.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from guichet_backoffice.web import pages_controls, pages_dashboard, pages_finance, pages_operations, pages_review


def routes() -> list[BaseRoute]:
    return [
        *pages_review.routes(),
        *pages_operations.routes(),
        *pages_dashboard.routes(),
        *pages_finance.routes(),
        *pages_controls.routes(),
    ]
