"""Who may do what in the back-office, and the pure rules of signing in: roles, password hashes, lockout, tokens.

Nothing here touches the database or the web: `guichet_backoffice.accounts` stores accounts, and
`guichet_backoffice.web.auth` applies these rules to requests.
"""
