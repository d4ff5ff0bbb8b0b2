"""The home page's charts as data: each chart is what Chart.js draws (labels, datasets in major units)
and the table of exact figures shown under it. Pure functions of the reports the API returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from datetime import date

from babel.dates import format_date

from duely_contracts.currency import to_major
from duely_gateway.dashboard.render import LOCALE, money

AGING_BUCKETS = (("current", "Not yet due"), ("1_30", "1–30 days"), ("31_60", "31–60 days"),
                 ("61_90", "61–90 days"), ("90_plus", "90+ days"))
OUTCOMES = (("recovered", "Recovered"), ("in_progress", "In dunning"), ("uncollectible", "Uncollectible"),
            ("sent_to_collections", "Sent to collections"))


@dataclass
class Chart:
    id: str
    title: str
    kind: str  # Chart.js type: bar, line, doughnut
    labels: list[str]
    datasets: list[dict]
    head: list[str]
    rows: list[list[str]]
    note: str = ""
    options: dict = field(default_factory=dict)

    def spec(self) -> dict:
        return {"type": self.kind, "labels": self.labels, "datasets": self.datasets, "options": self.options}


def _major(amount: int, currency: str) -> float:
    return float(to_major(int(amount), currency))


def aging(report: dict) -> list[Chart]:
    charts = []
    for row in report.get("currencies", []):
        currency = row["currency"].upper()
        buckets = row.get("aging", {})
        charts.append(Chart(
            id=f"aging-{currency.lower()}", title=f"Receivables aging ({currency})", kind="bar",
            labels=[label for _, label in AGING_BUCKETS],
            datasets=[{"label": f"Amount due ({currency})",
                       "data": [_major(buckets.get(key, 0), currency) for key, _ in AGING_BUCKETS]}],
            head=["Age", "Amount due"],
            rows=[[label, money(buckets.get(key, 0), currency)] for key, label in AGING_BUCKETS],
            note=f"Open {money(row['open_amount'], currency)} in {_invoices(row['open_count'])}; overdue "
                 f"{money(row['overdue_amount'], currency)} in {_invoices(row['overdue_count'])}.",
            options={"money": currency}))
    return charts


def collected(report: dict) -> list[Chart]:
    by_currency: dict[str, list[dict]] = {}
    for week in report.get("weeks", []):
        by_currency.setdefault(week["currency"].upper(), []).append(week)
    charts = []
    for currency, weeks in sorted(by_currency.items()):
        weeks.sort(key=lambda w: w["week_start"])
        charts.append(Chart(
            id=f"collected-{currency.lower()}", title=f"Collected per week ({currency})", kind="bar",
            labels=[_week(w["week_start"]) for w in weeks],
            datasets=[{"label": f"Collected ({currency})", "data": [_major(w["collected"], currency) for w in weeks]},
                      {"label": f"Refunded ({currency})", "data": [_major(w["refunded"], currency) for w in weeks]}],
            head=["Week of", "Collected", "Refunded", "Payments"],
            rows=[[_week(w["week_start"]), money(w["collected"], currency), money(w["refunded"], currency),
                   str(w["payments"])] for w in weeks],
            options={"money": currency}))
    return charts


def autopay(report: dict) -> Chart:
    cover = report.get("autopay") or {}
    customers, on = int(cover.get("customers", 0)), int(cover.get("customers_with_autopay", 0))
    invoices, covered = int(cover.get("open_invoices", 0)), int(cover.get("open_invoices_with_autopay", 0))
    return Chart(
        id="autopay", title="AutoPay coverage", kind="doughnut", labels=["AutoPay on", "AutoPay off"],
        datasets=[{"label": "Customers", "data": [on, customers - on]}],
        head=["", "AutoPay on", "All", "Share"],
        rows=[["Customers", str(on), str(customers), _share(on, customers)],
              ["Open invoices", str(covered), str(invoices), _share(covered, invoices)]],
        note=f"{_share(on, customers)} of customers pay by AutoPay.")


def dunning(report: dict) -> Chart:
    outcomes = report.get("outcomes") or {}
    rows = [[label, str(outcomes.get(key, 0))] for key, label in OUTCOMES]
    for amounts in report.get("amounts", []):
        currency = amounts["currency"].upper()
        rows.append([f"Recovered ({currency})", money(amounts.get("recovered", 0), currency)])
        rows.append([f"Uncollectible ({currency})", money(amounts.get("uncollectible", 0), currency)])
    return Chart(
        id="dunning", title=f"Dunning outcomes (last {report.get('days', 90)} days)", kind="doughnut",
        labels=[label for _, label in OUTCOMES],
        datasets=[{"label": "Invoices", "data": [int(outcomes.get(key, 0)) for key, _ in OUTCOMES]}],
        head=["Outcome", "Invoices"], rows=rows)


def _week(start: str) -> str:
    return format_date(date.fromisoformat(start), format="MMM d", locale=LOCALE)


def _invoices(count: int) -> str:
    return f"{count} invoice" if count == 1 else f"{count} invoices"


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"
