"""The back-office: a web application for caseworkers, supervisors and finance, on a read model of the events."""
