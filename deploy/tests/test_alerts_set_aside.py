"""Set-aside items wake an operator: an alert on any held item, and a dashboard panel by service and kind (the
e2e endpoint test checks the services serve the metric both use)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[1]


def test_any_held_set_aside_item_raises_an_alert_naming_its_kind() -> None:
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))
    rules = {rule["alert"]: rule for group in alerts["groups"] for rule in group["rules"]}
    rule = rules["GuichetItemsSetAside"]
    assert "guichet_set_aside_items" in rule["expr"] and rule["expr"].rstrip().endswith("> 0")
    assert "kind" in rule["expr"] and "guichet set-aside list" in rule["annotations"]["summary"]


def test_the_dashboard_shows_held_items_by_service_and_kind() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "guichet-dashboard.json").read_text(encoding="utf-8"))
    panels = [p for p in dashboard["panels"] if any("guichet_set_aside_items" in t["expr"] for t in p["targets"])]
    assert len(panels) == 1 and "kind" in panels[0]["targets"][0]["expr"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
