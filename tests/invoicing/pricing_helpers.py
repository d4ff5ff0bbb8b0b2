"""Helpers for the pricing, drafts and listing tests."""

from __future__ import annotations

import httpx


async def create_tax_rate(client: httpx.AsyncClient, display_name: str, percentage: str, **extra) -> dict:
    response = await client.post("/v1/tax_rates", json={"display_name": display_name, "percentage": percentage,
                                                        **extra})
    assert response.status_code == 201, response.text
    return response.json()


def line(description: str = "Thing", quantity="1", unit_amount: int = 1000, **extra) -> dict:
    return {"description": description, "quantity": quantity, "unit_amount": unit_amount, **extra}


def assert_error(response: httpx.Response, status: int, code: str | None, param: str | None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"type", "code", "message", "param"} and error["message"]
    if code:
        assert error["code"] == code, error
    assert error["param"] == param, error
    return error


def assert_reconciles(invoice: dict) -> None:
    """What the API shows adds up: subtotal − discounts + exclusive tax = total = Σ line totals."""
    lines = invoice["lines"]
    exclusive_tax = sum(e["tax_amount"] for e in invoice["tax_breakdown"] if not e["inclusive"])
    assert invoice["subtotal"] == sum(line["amount"] for line in lines)
    assert invoice["total_discount"] == sum(line["discount_amount"] for line in lines)
    assert invoice["total"] == invoice["subtotal"] - invoice["total_discount"] + exclusive_tax
    assert invoice["total"] == sum(line["total"] for line in lines)
    assert invoice["tax"] == sum(line["tax_amount"] for line in lines)
    assert invoice["tax"] == sum(e["tax_amount"] for e in invoice["tax_breakdown"])
    own = sum(d["discount_amount"] for line in lines for d in line["discounts"])
    assert invoice["total_discount"] == own + sum(d["discount_amount"] for d in invoice["discounts"])
    assert invoice["amount_due"] == invoice["total"] - invoice["amount_paid"]
