"""Sandbox payment gateway: the part of Stripe's API that Duely uses, served on 127.0.0.1.

A compact implementation (aiohttp + SQLite in ``--state-dir``) that replaced localstripe:
localstripe lacked ``us_bank_account``, ``processing`` debits, settlement, mandates and webhook
retries, and pickled its whole store every half second (the cost of a charge grew with every
charge stored). Here every object is one SQLite row found by id or an index.

Speaks Stripe's wire format (form-encoded requests, JSON answers, Stripe's error shape), so the
official ``stripe`` SDK works against it with ``base_addresses={"api": "http://127.0.0.1:<port>"}``:

* customers create / retrieve / update / list; ``GET /v1/customers/{id}/payment_methods``.
* payment_methods create (``card``, ``us_bank_account``, ``sepa_debit``) / retrieve / update /
  attach / detach / list (customer, type). Stripe's test ids (``pm_card_visa``, ``pm_card_mastercard``,
  ``pm_card_amex``, ``pm_card_chargeCustomerFail``, the decline ids, ``pm_usBankAccount_*``) can be
  used wherever a method id is accepted; using one creates a new ``pm_…`` like Stripe does.
* setup_intents create (+ ``confirm``) / confirm / retrieve: attaches the method to the customer;
  for debits ``mandate_data`` is required and a Mandate is created (``setup_intent.mandate``).
* mandates retrieve (``payment_method_details.sepa_debit.reference``).
* payment_intents create / confirm / cancel / retrieve / list; charges retrieve / list. Cards settle
  at once (declines: HTTP 402 ``card_error`` with the PaymentIntent in the error). Debits answer
  ``processing``; after the settlement delay they succeed or fail per the test account
  (``requires_payment_method``, ``last_payment_error.code`` insufficient_funds / account_closed /
  generic_decline ...). API answers carry ``latest_charge`` expanded (localstripe did; payments
  reads the card from it); events carry its id, as Stripe does.
* refunds create / retrieve / list (full or partial; more than what is left is refused; debit
  refunds are ``pending`` until the settlement delay has passed).
* webhook_endpoints create / retrieve / update / delete / list; events retrieve / list. Events are
  POSTed signed (``Stripe-Signature: t=…,v1=…``) to every enabled endpoint, retried with backoff.
* Keys: a secret key (``sk_…``, or none at all, as before) may call everything. A publishable key
  (``Authorization: Bearer pk_…``, what Stripe.js sends from a browser) may only create a PaymentMethod
  (``POST /v1/payment_methods``); anything else with it is a 401 as Stripe answers. That endpoint also
  answers CORS (preflight ``OPTIONS`` and ``Access-Control-Allow-Origin: *``), so a hosted page's script
  can tokenize bank details straight at the gateway: raw account numbers never reach Duely's servers.
* ``Idempotency-Key`` on POST as Stripe: the first result for a key is replayed
  (``Idempotent-Replayed: true``); the same key on another endpoint or body is a 400
  ``idempotency_error``. Validation errors are not stored.
* test controls: ``POST /_config/settlement_delay`` (``seconds``), ``GET`` it,
  ``POST /_config/webhook_endpoint`` (``url``, ``secret`` optional, ``enabled_events`` optional: the
  endpoint for that URL with that secret, as ``--webhook-url/--webhook-secret`` do),
  ``POST /_config/settle_now`` (``payment_intent`` optional: settle pending debits now),
  ``DELETE /_config/data`` (forget everything, keep the endpoint given on the command line).

Pending settlements and undelivered events are rows in SQLite: a restart loses neither.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import logging
import re
import secrets
import shutil
import sqlite3
import string
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from duely_devstack import sandbox_testdata as td
from duely_devstack.sandbox_store import Store, new_id, now

log = logging.getLogger("duely_devstack.sandbox_gateway")

API_VERSION = "2024-06-20"
DEFAULT_SETTLEMENT_DELAY_S = 5.0


# --- errors and parameters --------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"type": type, "message": message, **({"code": code} if code else {}),
                     **({"param": param} if param else {}), **extra}


def missing(param: str) -> ApiError:
    return ApiError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def no_such(kind: str, object_id: str, param: str | None = None, status: int = 404) -> ApiError:
    return ApiError(status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket notation (``card[number]``, ``payment_method_types[0]``, ``a[]``) → nested values."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        parts = [head] + re.findall(r"\[([^\]]*)\]", key[len(head):])
        node = root
        for i, part in enumerate(parts):
            if part == "":
                part = str(len(node))
            if i == len(parts) - 1:
                node[part] = value
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ApiError(400, f"Invalid parameter: {key}", param=key)
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    node = {k: _lists(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


class Params:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def str(self, name: str, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value in (None, ""):
            if required:
                raise missing(name)
            return None
        if not isinstance(value, str):
            raise ApiError(400, f"Invalid string: {name}", param=name)
        return value

    def int(self, name: str, required: bool = False) -> int | None:
        value = self.str(name, required)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise ApiError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=name) from None

    def bool(self, name: str) -> bool:
        value = self.values.get(name)
        if value in (None, ""):
            return False
        if value not in ("true", "false"):
            raise ApiError(400, f"Invalid boolean: {value}", param=name)
        return value == "true"

    def dict(self, name: str) -> dict[str, Any]:
        value = self.values.get(name) or {}
        if not isinstance(value, dict):
            raise ApiError(400, f"Invalid hash: {name}", param=name)
        return value

    def list(self, name: str) -> list[str] | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise ApiError(400, f"Invalid array: {name}", param=name)
        return value

    def metadata(self, current: dict[str, str] | None = None) -> dict[str, str]:
        merged = dict(current or {})
        for key, value in self.dict("metadata").items():
            if value == "":
                merged.pop(key, None)
            else:
                merged[key] = str(value)
        return merged


def public(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    """An object as the API shows it: our private fields (leading underscore) removed."""
    if obj is None:
        return None
    return {k: v for k, v in obj.items() if not k.startswith("_")}


# --- the gateway: objects and their life -----------------------------------------------------


@dataclass
class Settings:
    settlement_delay_s: float = DEFAULT_SETTLEMENT_DELAY_S
    webhook_url: str | None = None
    webhook_secret: str | None = None
    retry_base_s: float = 1.0
    retry_max_s: float = 60.0
    max_attempts: int = 8
    delivery_timeout_s: float = 10.0


class Gateway:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.wake = asyncio.Event()

    # -- events ---------------------------------------------------------------------------

    def emit(self, event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
        """Record an event and queue its delivery to every enabled endpoint, in the caller's transaction."""
        endpoints = [e for e in self.store.all_of("webhook_endpoint")
                     if e["status"] == "enabled" and ("*" in e["enabled_events"] or event_type in e["enabled_events"])]
        data: dict[str, Any] = {"object": public(obj)}
        if previous:
            data["previous_attributes"] = previous
        event = {"id": new_id("evt"), "object": "event", "api_version": API_VERSION, "created": now(),
                 "data": data, "livemode": False, "pending_webhooks": len(endpoints),
                 "request": {"id": None, "idempotency_key": None}, "type": event_type}
        self.store.put(event, sub=event_type)
        at = time.time()
        for endpoint in endpoints:
            self.store.add_delivery(event["id"], endpoint["id"], at)
        self.wake.set()

    # -- customers ------------------------------------------------------------------------

    def customer(self, customer_id: str | None, param: str = "customer", status: int = 400) -> dict[str, Any] | None:
        if customer_id is None:
            return None
        found = self.store.get(customer_id, "customer")
        if found is None or found.get("deleted"):
            raise no_such("customer", customer_id, param, status)
        return found

    def create_customer(self, p: Params) -> dict[str, Any]:
        customer = {"id": new_id("cus"), "object": "customer", "address": None, "balance": 0, "created": now(),
                    "currency": None, "default_source": None, "delinquent": False,
                    "description": p.str("description"), "email": p.str("email"),
                    "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
                    "livemode": False, "metadata": p.metadata(), "name": p.str("name"), "phone": p.str("phone"),
                    "preferred_locales": [], "shipping": None}
        with self.store.tx():
            self.store.put(customer)
            if p.str("payment_method"):
                self.attach(p.str("payment_method"), customer["id"])
        return customer

    def update_customer(self, customer_id: str, p: Params) -> dict[str, Any]:
        with self.store.tx():
            customer = self.customer(customer_id, None, 404)
            for name in ("description", "email", "name", "phone"):
                if name in p.values:
                    customer[name] = p.str(name)
            customer["metadata"] = p.metadata(customer["metadata"])
            settings = p.dict("invoice_settings")
            if "default_payment_method" in settings:
                pm_id = settings["default_payment_method"] or None
                if pm_id:
                    pm = self.store.get(pm_id, "payment_method")
                    if pm is None or pm["customer"] != customer_id:
                        raise ApiError(400, f"No such PaymentMethod: '{pm_id}'; it must be attached to this "
                                            f"customer first.", code="resource_missing",
                                       param="invoice_settings[default_payment_method]")
                customer["invoice_settings"]["default_payment_method"] = pm_id
            return self.store.put(customer)

    # -- payment methods ------------------------------------------------------------------

    def _card(self, number: str, exp_month: int, exp_year: int) -> dict[str, Any]:
        funding = "debit" if number in td.DEBIT_CARDS else "credit"
        return {"brand": td.card_brand(number), "checks": {"address_line1_check": None,
                "address_postal_code_check": None, "cvc_check": "pass"}, "country": "US",
                "display_brand": td.card_brand(number), "exp_month": exp_month, "exp_year": exp_year,
                "fingerprint": td.fingerprint(number), "funding": funding, "generated_from": None,
                "last4": number[-4:], "networks": {"available": [td.card_brand(number)], "preferred": None},
                "three_d_secure_usage": {"supported": True}, "wallet": None}

    def _payment_method(self, pm_type: str, details: dict[str, Any], billing: dict[str, Any],
                        metadata: dict[str, str], secret: dict[str, Any]) -> dict[str, Any]:
        address = billing.get("address") if isinstance(billing.get("address"), dict) else {}
        return {"id": new_id("pm"), "object": "payment_method", "allow_redisplay": "unspecified",
                "billing_details": {"address": {k: address.get(k) for k in ("city", "country", "line1", "line2",
                                                                          "postal_code", "state")},
                                    "email": billing.get("email") or None, "name": billing.get("name") or None,
                                    "phone": billing.get("phone") or None},
                "created": now(), "customer": None, "livemode": False, "metadata": metadata, "type": pm_type,
                pm_type: details, **secret}

    def create_payment_method(self, p: Params) -> dict[str, Any]:
        pm_type = p.str("type", required=True)
        billing = p.dict("billing_details")
        if pm_type == "card":
            card = p.dict("card")
            number = re.sub(r"[\s-]", "", card.get("number") or "")
            if not number:
                raise missing("card[number]")
            if not td.luhn_ok(number):
                raise ApiError(402, "Your card number is incorrect.", type="card_error", code="incorrect_number",
                               param="card[number]")
            try:
                exp_month, exp_year = int(card.get("exp_month") or 0), int(card.get("exp_year") or 0)
            except ValueError:
                raise ApiError(400, "Invalid integer", param="card[exp_month]") from None
            if exp_year < 100:
                exp_year += 2000
            if not 1 <= exp_month <= 12:
                raise ApiError(402, "Your card's expiration month is invalid.", type="card_error",
                               code="invalid_expiry_month", param="card[exp_month]")
            today = time.gmtime()
            if (exp_year, exp_month) < (today.tm_year, today.tm_mon):
                raise ApiError(402, "Your card's expiration year is invalid.", type="card_error",
                               code="invalid_expiry_year", param="card[exp_year]")
            cvc = card.get("cvc")
            if cvc is not None and not (cvc.isdigit() and 3 <= len(cvc) <= 4):
                raise ApiError(402, "Your card's security code is invalid.", type="card_error",
                               code="invalid_cvc", param="card[cvc]")
            pm = self._payment_method("card", self._card(number, exp_month, exp_year), billing, p.metadata(),
                                      {"_number": number})
        elif pm_type == "us_bank_account":
            bank = p.dict("us_bank_account")
            routing = bank.get("routing_number") or ""
            account = bank.get("account_number") or ""
            holder = bank.get("account_holder_type") or "individual"
            if not routing:
                raise missing("us_bank_account[routing_number]")
            if not account:
                raise missing("us_bank_account[account_number]")
            if not td.routing_ok(routing):
                raise ApiError(400, "Routing number must have 9 digits and be a valid routing number.",
                               code="routing_number_invalid", param="us_bank_account[routing_number]")
            if not (account.isdigit() and 4 <= len(account) <= 17):
                raise ApiError(400, "Account number must be 4 to 17 digits.", code="account_number_invalid",
                               param="us_bank_account[account_number]")
            if holder not in ("individual", "company"):
                raise ApiError(400, f"Invalid account_holder_type: {holder}",
                               param="us_bank_account[account_holder_type]")
            if not billing.get("name"):
                raise missing("billing_details[name]")
            pm = self._payment_method("us_bank_account", self._bank(routing, account, holder,
                                      bank.get("account_type") or "checking"), billing, p.metadata(),
                                      {"_account": account, "_outcome": td.ACH_OUTCOMES.get(account)})
        elif pm_type == "sepa_debit":
            iban = td.normalize_iban(p.dict("sepa_debit").get("iban") or "")
            if not iban:
                raise missing("sepa_debit[iban]")
            if not td.iban_ok(iban):
                raise ApiError(400, "The provided IBAN is invalid.", code="invalid_bank_account_iban",
                               param="sepa_debit[iban]")
            for field in ("name", "email"):
                if not billing.get(field):
                    raise missing(f"billing_details[{field}]")
            pm = self._payment_method("sepa_debit", self._sepa(iban), billing, p.metadata(),
                                      {"_iban": iban, "_outcome": td.SEPA_OUTCOMES.get(iban)})
        else:
            raise ApiError(400, f"Invalid type: must be one of card, us_bank_account or sepa_debit.", param="type")
        with self.store.tx():
            return self.store.put(pm, sub=pm["type"])

    @staticmethod
    def _bank(routing: str, account: str, holder: str, account_type: str) -> dict[str, Any]:
        return {"account_holder_type": holder, "account_type": account_type,
                "bank_name": "STRIPE TEST BANK" if routing == td.TEST_ROUTING_NUMBER else "TEST BANK",
                "financial_connections_account": None, "fingerprint": td.fingerprint(routing + account),
                "last4": account[-4:], "networks": {"preferred": "ach", "supported": ["ach"]},
                "routing_number": routing, "status_details": None}

    @staticmethod
    def _sepa(iban: str) -> dict[str, Any]:
        return {"bank_code": td.iban_bank_code(iban), "branch_code": "", "country": iban[:2],
                "fingerprint": td.fingerprint(iban), "generated_from": {"charge": None, "setup_attempt": None},
                "last4": iban[-4:]}

    def _test_method(self, pm_id: str) -> dict[str, Any] | None:
        """A Stripe test id rendered as a fresh (unsaved) PaymentMethod, or None."""
        if pm_id in td.TEST_CARD_IDS:
            number = td.TEST_CARD_IDS[pm_id]
            month, year = td.default_expiry()
            return self._payment_method("card", self._card(number, month, year), {}, {}, {"_number": number})
        if pm_id in td.TEST_ACH_IDS:
            account = td.TEST_ACH_IDS[pm_id]
            return self._payment_method("us_bank_account", self._bank(td.TEST_ROUTING_NUMBER, account, "individual",
                                                                      "checking"),
                                        {"name": "Jenny Rosen"}, {}, {"_account": account,
                                                                      "_outcome": td.ACH_OUTCOMES.get(account)})
        return None

    def retrieve_payment_method(self, pm_id: str) -> dict[str, Any]:
        found = self.store.get(pm_id, "payment_method")
        if found is None:
            test = self._test_method(pm_id)
            if test is None:
                raise no_such("PaymentMethod", pm_id)
            found = dict(test, id=pm_id)
        return found

    def use_payment_method(self, pm_id: str | None, param: str = "payment_method") -> dict[str, Any]:
        """The method a request names: a stored one, or a new one made from a Stripe test id."""
        if not pm_id:
            raise missing(param)
        found = self.store.get(pm_id, "payment_method")
        if found is not None:
            return found
        test = self._test_method(pm_id)
        if test is None:
            raise no_such("PaymentMethod", pm_id, param, 400)
        return self.store.put(test, sub=test["type"])

    def update_payment_method(self, pm_id: str, p: Params) -> dict[str, Any]:
        with self.store.tx():
            pm = self.store.get(pm_id, "payment_method")
            if pm is None:
                raise no_such("PaymentMethod", pm_id)
            previous: dict[str, Any] = {}
            billing = p.dict("billing_details")
            for key in ("email", "name", "phone"):
                if key in billing:
                    previous.setdefault("billing_details", dict(pm["billing_details"]))
                    pm["billing_details"][key] = billing[key] or None
            if pm["type"] == "card":
                card = p.dict("card")
                for key in ("exp_month", "exp_year"):
                    if card.get(key):
                        previous.setdefault("card", {})[key] = pm["card"][key]
                        pm["card"][key] = int(card[key])
            pm["metadata"] = p.metadata(pm["metadata"])
            self.store.put(pm, customer=pm["customer"], sub=pm["type"])
            if pm["customer"]:
                self.emit("payment_method.updated", pm, previous)
            return pm

    def _card_behaviour(self, pm: dict[str, Any]) -> td.CardBehaviour:
        return td.CARD_BEHAVIOUR.get(pm.get("_number") or "", td.CardBehaviour())

    def _decline_attach(self, pm: dict[str, Any], **extra: Any) -> ApiError:
        behaviour = self._card_behaviour(pm)
        return ApiError(402, td.DECLINE_MESSAGES.get(behaviour.decline_code or "", "Your card was declined."),
                        type="card_error", code=behaviour.error_code, decline_code=behaviour.decline_code, **extra)

    def attach(self, pm_id: str, customer_id: str | None) -> dict[str, Any]:
        with self.store.tx():
            customer = self.customer(customer_id)
            if customer is None:
                raise missing("customer")
            pm = self.use_payment_method(pm_id)
            return self._attach(pm, customer["id"])

    def _attach(self, pm: dict[str, Any], customer_id: str) -> dict[str, Any]:
        if pm["customer"] == customer_id:
            return pm
        if pm["customer"] is not None:
            raise ApiError(400, "The payment method you provided has already been attached to a customer.",
                           code="payment_method_unexpected_state", param="payment_method")
        if pm.get("_detached"):
            raise ApiError(400, "This PaymentMethod was previously used without being attached to a Customer or was "
                                "detached from a Customer, and may not be used again.",
                           code="payment_method_unexpected_state", param="payment_method")
        if pm["type"] == "card" and self._card_behaviour(pm).attach_fails:
            raise self._decline_attach(pm)
        pm["customer"] = customer_id
        self.store.put(pm, customer=customer_id, sub=pm["type"])
        self.emit("payment_method.attached", pm)
        return pm

    def detach(self, pm_id: str) -> dict[str, Any]:
        with self.store.tx():
            pm = self.store.get(pm_id, "payment_method")
            if pm is None:
                raise no_such("PaymentMethod", pm_id)
            if pm["customer"] is None:
                raise ApiError(400, "The payment method you provided is not attached to a customer so detachment "
                                    "is impossible.", code="payment_method_unexpected_state")
            previous = {"customer": pm["customer"]}
            pm["customer"], pm["_detached"] = None, True
            if pm.get("_mandate"):
                mandate = self.store.get(pm["_mandate"], "mandate")
                if mandate:
                    mandate["status"] = "inactive"
                    self.store.put(mandate)
            self.store.put(pm, sub=pm["type"])
            self.emit("payment_method.detached", pm, previous)
            customer = self.store.get(previous["customer"], "customer")
            if customer and customer["invoice_settings"]["default_payment_method"] == pm_id:
                customer["invoice_settings"]["default_payment_method"] = None
                self.store.put(customer)
            return pm

    # -- mandates -------------------------------------------------------------------------

    def _mandate(self, pm: dict[str, Any], mandate_data: dict[str, Any], param: str) -> dict[str, Any]:
        acceptance = mandate_data.get("customer_acceptance")
        if not isinstance(acceptance, dict):
            raise missing(f"{param}[customer_acceptance]")
        kind = acceptance.get("type")
        if kind not in ("online", "offline"):
            raise missing(f"{param}[customer_acceptance][type]")
        accepted_at = acceptance.get("accepted_at") or now()
        try:
            accepted_at = int(accepted_at)
        except ValueError:
            raise ApiError(400, "Invalid integer", param=f"{param}[customer_acceptance][accepted_at]") from None
        online = None
        if kind == "online":
            given = acceptance.get("online") if isinstance(acceptance.get("online"), dict) else {}
            for field in ("ip_address", "user_agent"):
                if not given.get(field):
                    raise missing(f"{param}[customer_acceptance][online][{field}]")
            online = {"ip_address": given["ip_address"], "user_agent": given["user_agent"]}
        if pm["type"] == "sepa_debit":
            reference = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
            details = {"sepa_debit": {"reference": reference, "url": f"/mandates/{reference}"}, "type": "sepa_debit"}
        else:
            details = {"us_bank_account": {"collection_method": None}, "type": "us_bank_account"}
        mandate = {"id": new_id("mandate"), "object": "mandate",
                   "customer_acceptance": {"accepted_at": accepted_at, "offline": {} if kind == "offline" else None,
                                           "online": online, "type": kind},
                   "livemode": False, "multi_use": {}, "payment_method": pm["id"],
                   "payment_method_details": details, "status": "active", "type": "multi_use"}
        self.store.put(mandate)
        return mandate

    def _usable_mandate(self, pm: dict[str, Any], mandate_id: str | None, mandate_data: dict[str, Any]) -> str:
        if mandate_id:
            mandate = self.store.get(mandate_id, "mandate")
            if mandate is None:
                raise no_such("mandate", mandate_id, "mandate", 400)
            if mandate["payment_method"] != pm["id"] or mandate["status"] != "active":
                raise ApiError(400, f"The mandate {mandate_id} is not active for PaymentMethod {pm['id']}.",
                               code="mandate_invalid", param="mandate")
            return mandate_id
        if mandate_data:
            return self._mandate(pm, mandate_data, "mandate_data")["id"]
        if pm.get("_mandate"):
            mandate = self.store.get(pm["_mandate"], "mandate")
            if mandate and mandate["status"] == "active":
                return mandate["id"]
        raise ApiError(400, f"A mandate is required to debit a {pm['type']} PaymentMethod: pass `mandate` or "
                            f"`mandate_data`, or set the method up with a SetupIntent first.",
                       code="mandate_required", param="mandate")

    # -- setup intents --------------------------------------------------------------------

    def create_setup_intent(self, p: Params) -> dict[str, Any]:
        usage = p.str("usage") or "off_session"
        if usage not in ("on_session", "off_session"):
            raise ApiError(400, "Invalid usage: must be on_session or off_session.", param="usage")
        with self.store.tx():
            customer = self.customer(p.str("customer"))
            seti = {"id": new_id("seti"), "object": "setup_intent", "application": None, "cancellation_reason": None,
                    "client_secret": None, "created": now(), "customer": customer["id"] if customer else None,
                    "description": p.str("description"), "flow_directions": None, "last_setup_error": None,
                    "latest_attempt": None, "livemode": False, "mandate": None, "metadata": p.metadata(),
                    "next_action": None, "on_behalf_of": None, "payment_method": None,
                    "payment_method_options": {}, "payment_method_types": p.list("payment_method_types") or ["card"],
                    "single_use_mandate": None, "status": "requires_payment_method", "usage": usage}
            seti["client_secret"] = f"{seti['id']}_secret_{secrets.token_hex(8)}"
            if p.str("payment_method"):
                seti["payment_method"] = self.use_payment_method(p.str("payment_method"))["id"]
                seti["status"] = "requires_confirmation"
            self.store.put(seti, customer=seti["customer"])
            failure = self._confirm_setup(seti, p, creating=True) if p.bool("confirm") else None
        if failure:
            raise failure
        return seti

    def confirm_setup_intent(self, seti_id: str, p: Params) -> dict[str, Any]:
        with self.store.tx():
            seti = self.store.get(seti_id, "setup_intent")
            if seti is None:
                raise no_such("setup_intent", seti_id)
            failure = self._confirm_setup(seti, p)
        if failure:
            raise failure
        return seti

    def _confirm_setup(self, seti: dict[str, Any], p: Params, creating: bool = False) -> ApiError | None:
        failure: ApiError | None = None
        if seti["status"] == "succeeded":
            raise ApiError(400, "You cannot confirm this SetupIntent because it has already succeeded.",
                           code="setup_intent_unexpected_state")
        pm = self.use_payment_method((None if creating else p.str("payment_method")) or seti["payment_method"])
        seti["payment_method"] = pm["id"]
        if pm["type"] not in seti["payment_method_types"]:
            raise ApiError(400, f"The PaymentMethod provided ({pm['type']}) is not allowed for this SetupIntent. "
                                f"Please attach a PaymentMethod of one of the following types: "
                                f"{', '.join(seti['payment_method_types'])}.",
                           code="payment_intent_incompatible_payment_method", param="payment_method")
        seti["latest_attempt"] = new_id("setatt")
        if pm["type"] == "card" and self._card_behaviour(pm).attach_fails:
            declined = self._decline_attach(pm)
            seti["status"] = "requires_payment_method"
            seti["last_setup_error"] = {**declined.body, "payment_method": public(pm)}
            self.store.put(seti, customer=seti["customer"])
            self.emit("setup_intent.setup_failed", seti)
            failure = self._decline_attach(pm, setup_intent=public(seti), payment_method=public(pm))
        else:
            if pm["type"] != "card":
                mandate_data = p.dict("mandate_data")
                if not mandate_data:
                    raise missing("mandate_data")
                mandate = self._mandate(pm, mandate_data, "mandate_data")
                seti["mandate"] = mandate["id"]
                pm["_mandate"] = mandate["id"]
                self.store.put(pm, customer=pm["customer"], sub=pm["type"])
            if seti["customer"]:
                pm = self._attach(pm, seti["customer"])
            seti["status"] = "succeeded"
            seti["last_setup_error"] = None
            self.store.put(seti, customer=seti["customer"])
            self.emit("setup_intent.succeeded", seti)
        return failure

    # -- payment intents ------------------------------------------------------------------

    def create_payment_intent(self, p: Params) -> dict[str, Any]:
        amount = p.int("amount", required=True)
        if amount < 1:
            raise ApiError(400, "Amount must be at least 1.", code="amount_too_small", param="amount")
        currency = (p.str("currency", required=True) or "").lower()
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise ApiError(400, f"Invalid currency: {currency}", param="currency")
        with self.store.tx():
            customer = self.customer(p.str("customer"))
            pi = {"id": new_id("pi"), "object": "payment_intent", "amount": amount, "amount_capturable": 0,
                  "amount_received": 0, "application": None, "canceled_at": None, "cancellation_reason": None,
                  "capture_method": "automatic", "client_secret": None, "confirmation_method": "automatic",
                  "created": now(), "currency": currency, "customer": customer["id"] if customer else None,
                  "description": p.str("description"), "last_payment_error": None, "latest_charge": None,
                  "livemode": False, "mandate": None, "metadata": p.metadata(), "next_action": None,
                  "on_behalf_of": None, "payment_method": None, "payment_method_options": {},
                  "payment_method_types": p.list("payment_method_types") or ["card"], "processing": None,
                  "receipt_email": p.str("receipt_email"), "setup_future_usage": p.str("setup_future_usage"),
                  "statement_descriptor": None, "status": "requires_payment_method"}
            pi["client_secret"] = f"{pi['id']}_secret_{secrets.token_hex(8)}"
            if p.str("payment_method"):
                pi["payment_method"] = self.use_payment_method(p.str("payment_method"))["id"]
                pi["status"] = "requires_confirmation"
            self.store.put(pi, customer=pi["customer"])
            failure = self._confirm_payment(pi, p, creating=True) if p.bool("confirm") else None
        if failure:
            raise failure
        return self.export_intent(pi)

    def confirm_payment_intent(self, pi_id: str, p: Params) -> dict[str, Any]:
        with self.store.tx():
            pi = self.store.get(pi_id, "payment_intent")
            if pi is None:
                raise no_such("payment_intent", pi_id)
            failure = self._confirm_payment(pi, p)
        if failure:
            raise failure
        return self.export_intent(pi)

    def _confirm_payment(self, pi: dict[str, Any], p: Params, creating: bool = False) -> ApiError | None:
        failure: ApiError | None = None
        if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise ApiError(400, f"You cannot confirm this PaymentIntent because it has a status of "
                                f"{pi['status']}.", code="payment_intent_unexpected_state",
                           payment_intent=public(pi))
        pm = self.use_payment_method((None if creating else p.str("payment_method")) or pi["payment_method"])
        pi["payment_method"] = pm["id"]
        if pm["customer"] and pm["customer"] != pi["customer"]:
            raise ApiError(400, f"The provided PaymentMethod ({pm['id']}) belongs to a Customer "
                                f"({pm['customer']}); pass that customer with the PaymentIntent.",
                           code="payment_method_unexpected_state", param="customer")
        if pm.get("_detached"):
            raise ApiError(400, "This PaymentMethod was detached from a Customer and may not be used again.",
                           code="payment_method_unexpected_state", param="payment_method")
        if pm["type"] not in pi["payment_method_types"]:
            raise ApiError(400, f"The PaymentMethod provided ({pm['type']}) is not allowed for this "
                                f"PaymentIntent. Allowed types: {', '.join(pi['payment_method_types'])}.",
                           code="payment_intent_incompatible_payment_method", param="payment_method")
        wanted = {"sepa_debit": "eur", "us_bank_account": "usd"}.get(pm["type"])
        if wanted and pi["currency"] != wanted:
            raise ApiError(400, f"{pm['type']} payments must be in {wanted}.",
                           code="payment_intent_invalid_parameter", param="currency")
        if pm["type"] != "card":
            pi["mandate"] = self._usable_mandate(pm, p.str("mandate"), p.dict("mandate_data"))
        charge = self._charge(pi, pm)
        pi["latest_charge"] = charge["id"]
        if pm["type"] == "card":
            behaviour = self._card_behaviour(pm)
            if behaviour.decline_code:
                message = td.DECLINE_MESSAGES.get(behaviour.decline_code, "Your card was declined.")
                self._fail(pi, charge, pm, behaviour.error_code, message, behaviour.decline_code, "card_error")
                failure = ApiError(402, message, type="card_error", code=behaviour.error_code,
                                   decline_code=behaviour.decline_code, charge=charge["id"],
                                   payment_intent=self.export_intent(pi), payment_method=public(pm))
            else:
                self._succeed(pi, charge)
        else:
            pi["status"] = "processing"
            self.store.put(charge, customer=charge["customer"], payment_intent=pi["id"])
            self.store.put(pi, customer=pi["customer"])
            self.store.set_timer("settle_payment", pi["id"], time.time() + self.settings.settlement_delay_s)
            self.emit("charge.pending", charge)
            self.emit("payment_intent.processing", pi)
        return failure

    def _charge(self, pi: dict[str, Any], pm: dict[str, Any]) -> dict[str, Any]:
        details: dict[str, Any] = {"type": pm["type"]}
        if pm["type"] == "card":
            card = pm["card"]
            details["card"] = {k: card[k] for k in ("brand", "country", "exp_month", "exp_year", "fingerprint",
                                                    "funding", "last4", "checks")}
            details["card"].update(network=card["brand"], mandate=None)
        elif pm["type"] == "sepa_debit":
            sepa = pm["sepa_debit"]
            details["sepa_debit"] = {"bank_code": sepa["bank_code"], "branch_code": "", "country": sepa["country"],
                                     "fingerprint": sepa["fingerprint"], "last4": sepa["last4"],
                                     "mandate": pi["mandate"]}
        else:
            bank = pm["us_bank_account"]
            details["us_bank_account"] = {k: bank[k] for k in ("account_holder_type", "account_type", "bank_name",
                                                               "fingerprint", "last4", "routing_number")}
            details["us_bank_account"]["mandate"] = pi["mandate"]
        return {"id": new_id("ch"), "object": "charge", "amount": pi["amount"], "amount_captured": 0,
                "amount_refunded": 0, "balance_transaction": None, "billing_details": pm["billing_details"],
                "captured": False, "created": now(), "currency": pi["currency"], "customer": pi["customer"],
                "description": pi["description"], "disputed": False, "failure_code": None, "failure_message": None,
                "livemode": False, "metadata": pi["metadata"], "outcome": None, "paid": False,
                "payment_intent": pi["id"], "payment_method": pm["id"], "payment_method_details": details,
                "refunded": False, "status": "pending"}

    def _succeed(self, pi: dict[str, Any], charge: dict[str, Any]) -> None:
        charge.update(status="succeeded", paid=True, captured=True, amount_captured=charge["amount"],
                      outcome={"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                               "seller_message": "Payment complete.", "type": "authorized"})
        pi.update(status="succeeded", amount_received=pi["amount"], last_payment_error=None)
        self.store.put(charge, customer=charge["customer"], payment_intent=pi["id"])
        self.store.put(pi, customer=pi["customer"])
        self.emit("charge.succeeded", charge)
        self.emit("payment_intent.succeeded", pi)

    def _fail(self, pi: dict[str, Any], charge: dict[str, Any], pm: dict[str, Any], code: str, message: str,
              decline_code: str | None, error_type: str) -> None:
        charge.update(status="failed", failure_code=code, failure_message=message,
                      outcome={"network_status": "declined_by_network", "reason": decline_code or code,
                               "risk_level": "normal", "seller_message": "The bank did not return any further "
                               "details with this decline.", "type": "issuer_declined"})
        error = {"type": error_type, "code": code, "message": message, "charge": charge["id"],
                 "payment_method": public(pm), "payment_method_type": pm["type"]}
        if decline_code:
            error["decline_code"] = decline_code
        pi.update(status="requires_payment_method", last_payment_error=error)
        self.store.put(charge, customer=charge["customer"], payment_intent=pi["id"])
        self.store.put(pi, customer=pi["customer"])
        self.emit("charge.failed", charge)
        self.emit("payment_intent.payment_failed", pi)

    def settle_payment(self, pi_id: str) -> None:
        with self.store.tx():
            self.store.drop_timer("settle_payment", pi_id)
            pi = self.store.get(pi_id, "payment_intent")
            if pi is None or pi["status"] != "processing":
                return
            charge = self.store.get(pi["latest_charge"], "charge")
            pm = self.store.get(pi["payment_method"], "payment_method")
            outcome = pm.get("_outcome") if pm else "generic_decline"
            if outcome is None:
                self._succeed(pi, charge)
            else:
                self._fail(pi, charge, pm, outcome, td.FAILURE_MESSAGES.get(outcome, "The payment failed."),
                           None, "invalid_request_error")
            log.info("settled %s (%s): %s", pi_id, pm["type"] if pm else "?", pi["status"])

    def cancel_payment_intent(self, pi_id: str, p: Params) -> dict[str, Any]:
        with self.store.tx():
            pi = self.store.get(pi_id, "payment_intent")
            if pi is None:
                raise no_such("payment_intent", pi_id)
            if pi["status"] in ("succeeded", "processing", "canceled"):
                raise ApiError(400, f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}.",
                               code="payment_intent_unexpected_state", payment_intent=public(pi))
            pi.update(status="canceled", canceled_at=now(), cancellation_reason=p.str("cancellation_reason"))
            self.store.put(pi, customer=pi["customer"])
            self.emit("payment_intent.canceled", pi)
        return self.export_intent(pi)

    def export_intent(self, pi: dict[str, Any]) -> dict[str, Any]:
        """API answers carry latest_charge expanded (as localstripe did; payments reads the card from it)."""
        shown = public(pi)
        if pi.get("latest_charge"):
            shown["latest_charge"] = public(self.store.get(pi["latest_charge"], "charge"))
        return shown

    # -- refunds --------------------------------------------------------------------------

    def create_refund(self, p: Params) -> dict[str, Any]:
        reason = p.str("reason")
        if reason not in (None, "duplicate", "fraudulent", "requested_by_customer"):
            raise ApiError(400, "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                           param="reason")
        amount = p.int("amount")
        with self.store.tx():
            if p.str("payment_intent"):
                pi = self.store.get(p.str("payment_intent"), "payment_intent")
                if pi is None:
                    raise no_such("payment_intent", p.str("payment_intent"), "payment_intent", 400)
                charge = self.store.get(pi["latest_charge"], "charge") if pi["latest_charge"] else None
            elif p.str("charge"):
                charge = self.store.get(p.str("charge"), "charge")
                if charge is None:
                    raise no_such("charge", p.str("charge"), "charge", 400)
            else:
                raise ApiError(400, "One of the following params should be provided for this request: "
                                    "payment_intent or charge.", code="parameter_missing")
            if charge is None or charge["status"] != "succeeded":
                raise ApiError(400, "This PaymentIntent does not have a successful charge to refund.",
                               code="charge_not_refundable", param="payment_intent")
            left = charge["amount"] - charge["amount_refunded"]
            if left <= 0:
                raise ApiError(400, f"Charge {charge['id']} has already been refunded.",
                               code="charge_already_refunded")
            if amount is None:
                amount = left
            if amount < 1:
                raise ApiError(400, "Refund amount must be positive.", code="parameter_invalid_integer",
                               param="amount")
            if amount > left:
                raise ApiError(400, f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                                    f"({left}).", code="amount_too_large", param="amount")
            debit = charge["payment_method_details"]["type"] != "card"
            refund = {"id": new_id("re"), "object": "refund", "amount": amount, "balance_transaction": None,
                      "charge": charge["id"], "created": now(), "currency": charge["currency"],
                      "destination_details": None, "metadata": p.metadata(), "payment_intent": charge["payment_intent"],
                      "reason": reason, "receipt_number": None, "source_transfer_reversal": None,
                      "status": "pending" if debit else "succeeded", "transfer_reversal": None}
            self.store.put(refund, payment_intent=refund["payment_intent"], charge=charge["id"])
            previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            self.store.put(charge, customer=charge["customer"], payment_intent=charge["payment_intent"])
            if debit:
                self.store.set_timer("settle_refund", refund["id"], time.time() + self.settings.settlement_delay_s)
            self.emit("refund.created", refund)
            self.emit("charge.refunded", charge, previous)
        return refund

    def settle_refund(self, refund_id: str) -> None:
        with self.store.tx():
            self.store.drop_timer("settle_refund", refund_id)
            refund = self.store.get(refund_id, "refund")
            if refund is None or refund["status"] != "pending":
                return
            refund["status"] = "succeeded"
            self.store.put(refund, payment_intent=refund["payment_intent"], charge=refund["charge"])
            self.emit("refund.updated", refund, {"status": "pending"})

    # -- webhook endpoints ----------------------------------------------------------------

    def create_endpoint(self, url: str | None, events: list[str] | None, *, secret: str | None = None,
                        description: str | None = None, metadata: dict[str, str] | None = None,
                        api_version: str | None = None) -> dict[str, Any]:
        if not url:
            raise missing("url")
        if not re.match(r"https?://", url):
            raise ApiError(400, "Invalid URL: must be http:// or https://", code="url_invalid", param="url")
        if not events:
            raise missing("enabled_events")
        endpoint = {"id": new_id("we"), "object": "webhook_endpoint", "api_version": api_version,
                    "application": None, "created": now(), "description": description, "enabled_events": events,
                    "livemode": False, "metadata": metadata or {}, "status": "enabled", "url": url,
                    "_secret": secret or f"whsec_{secrets.token_hex(24)}"}
        with self.store.tx():
            self.store.put(endpoint)
        return dict(public(endpoint), secret=endpoint["_secret"])

    def register_cli_endpoint(self) -> None:
        """--webhook-url/--webhook-secret: one endpoint for that URL, with that secret, every event."""
        if self.settings.webhook_url:
            self.upsert_endpoint(self.settings.webhook_url, self.settings.webhook_secret, ["*"],
                                 "registered with --webhook-url")

    def upsert_endpoint(self, url: str, secret: str | None, events: list[str], description: str) -> dict[str, Any]:
        """The endpoint for this URL with this secret (a sandbox extension: Stripe always makes the secret)."""
        if secret is not None and not secret.startswith("whsec_"):
            raise ApiError(400, "A webhook secret starts with whsec_.", param="secret")
        for endpoint in self.store.all_of("webhook_endpoint"):
            if endpoint["url"] == url:
                endpoint.update(_secret=secret or endpoint["_secret"], enabled_events=events, status="enabled")
                with self.store.tx():
                    self.store.put(endpoint)
                return dict(public(endpoint), secret=endpoint["_secret"])
        return self.create_endpoint(url, events, secret=secret, description=description)

    # -- settlement and delivery workers ------------------------------------------------------

    async def settle_forever(self) -> None:
        while True:
            try:
                for kind, object_id in self.store.due_timers(time.time()):
                    (self.settle_payment if kind == "settle_payment" else self.settle_refund)(object_id)
            except Exception:  # noqa: BLE001 - keep settling; a bad row must not stop the rest
                log.exception("settlement failed")
            await asyncio.sleep(0.05)

    async def deliver_forever(self) -> None:
        in_flight: set[int] = set()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.settings.delivery_timeout_s)) as http:
            while True:
                self.wake.clear()
                for row in self.store.due_deliveries(time.time()):
                    if row[0] not in in_flight:
                        in_flight.add(row[0])
                        asyncio.create_task(self._deliver(http, *row, in_flight=in_flight))
                try:
                    await asyncio.wait_for(self.wake.wait(), 0.1)
                except asyncio.TimeoutError:
                    pass

    async def _deliver(self, http: aiohttp.ClientSession, delivery_id: int, event_id: str, endpoint_id: str,
                       attempts: int, in_flight: set[int]) -> None:
        try:
            endpoint = self.store.get(endpoint_id, "webhook_endpoint")
            event = self.store.get(event_id, "event")
            if endpoint is None or event is None or endpoint["status"] != "enabled":
                self.store.delivery_done(delivery_id)
                return
            payload = json.dumps(event, indent=2).encode()
            timestamp = int(time.time())
            signature = hmac.new(endpoint["_secret"].encode(), f"{timestamp}.".encode() + payload,
                                 hashlib.sha256).hexdigest()
            headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Stripe/1.0 (+duely sandbox)",
                       "Stripe-Signature": f"t={timestamp},v1={signature}"}
            attempts += 1
            try:
                async with http.post(endpoint["url"], data=payload, headers=headers) as response:
                    await response.read()
                    error = None if 200 <= response.status < 300 else f"HTTP {response.status}"
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            if error is None:
                log.info("webhook %s %s → %s delivered (attempt %d)", event["type"], event_id, endpoint["url"],
                         attempts)
                self.store.delivery_done(delivery_id)
                return
            if attempts >= self.settings.max_attempts:
                log.warning("webhook %s %s → %s failed (%s); gave up after %d attempts", event["type"], event_id,
                            endpoint["url"], error, attempts)
                self.store.delivery_retry(delivery_id, attempts, None, error)
                return
            delay = min(self.settings.retry_max_s, self.settings.retry_base_s * 2 ** (attempts - 1))
            log.warning("webhook %s %s → %s failed (%s), attempt %d; retry in %.1fs", event["type"], event_id,
                        endpoint["url"], error, attempts, delay)
            self.store.delivery_retry(delivery_id, attempts, time.time() + delay, error)
        except Exception:  # noqa: BLE001
            log.exception("webhook delivery %s crashed", delivery_id)
        finally:
            in_flight.discard(delivery_id)


# --- HTTP ----------------------------------------------------------------------------------


async def read_params(request: web.Request) -> Params:
    pairs = list(request.query.items())
    if request.method in ("POST", "DELETE"):
        raw = await request.read()  # cached: the idempotency middleware may have read it first
        if request.content_type == "application/json":
            body = json.loads(raw or b"{}")
            scalar = {k: (json.dumps(v) if isinstance(v, (bool, int, float)) else v) for k, v in body.items()}
            return Params({**dict(pairs), **scalar})
        pairs += parse_qsl(raw.decode(), keep_blank_values=True)
    return Params(decode_form(pairs))


def listing(request: web.Request, items: list[dict[str, Any]], has_more: bool) -> web.Response:
    return web.json_response({"object": "list", "data": items, "has_more": has_more, "url": request.path})


def routes(gw: Gateway) -> web.RouteTableDef:
    r = web.RouteTableDef()
    store = gw.store

    def page(request: web.Request, p: Params, kind: str, **filters: str | None):
        limit = p.int("limit") or 10
        if not 1 <= limit <= 100:
            raise ApiError(400, "Invalid limit: must be between 1 and 100", param="limit")
        return store.page(kind, limit=limit, starting_after=p.str("starting_after"),
                          ending_before=p.str("ending_before"), **{k: v for k, v in filters.items() if v})

    def get_or_404(object_id: str, kind: str, name: str) -> dict[str, Any]:
        found = store.get(object_id, kind)
        if found is None:
            raise no_such(name, object_id)
        return found

    def ok(obj: dict[str, Any] | None) -> web.Response:
        return web.json_response(public(obj))

    # customers
    @r.post("/v1/customers")
    async def _(request):
        return ok(gw.create_customer(await read_params(request)))

    @r.get("/v1/customers")
    async def _(request):
        p = await read_params(request)
        items, more = page(request, p, "customer")
        return listing(request, [public(i) for i in items], more)

    @r.get("/v1/customers/{id}")
    async def _(request):
        return ok(get_or_404(request.match_info["id"], "customer", "customer"))

    @r.post("/v1/customers/{id}")
    async def _(request):
        return ok(gw.update_customer(request.match_info["id"], await read_params(request)))

    @r.get("/v1/customers/{id}/payment_methods")
    async def _(request):
        p = await read_params(request)
        gw.customer(request.match_info["id"], None, 404)
        items, more = page(request, p, "payment_method", customer=request.match_info["id"], sub=p.str("type"))
        return listing(request, [public(i) for i in items], more)

    # payment methods
    @r.post("/v1/payment_methods")
    async def _(request):
        return ok(gw.create_payment_method(await read_params(request)))

    @r.get("/v1/payment_methods")
    async def _(request):
        p = await read_params(request)
        customer = p.str("customer", required=True)
        gw.customer(customer)
        items, more = page(request, p, "payment_method", customer=customer, sub=p.str("type"))
        return listing(request, [public(i) for i in items], more)

    @r.get("/v1/payment_methods/{id}")
    async def _(request):
        return ok(gw.retrieve_payment_method(request.match_info["id"]))

    @r.post("/v1/payment_methods/{id}")
    async def _(request):
        return ok(gw.update_payment_method(request.match_info["id"], await read_params(request)))

    @r.post("/v1/payment_methods/{id}/attach")
    async def _(request):
        p = await read_params(request)
        return ok(gw.attach(request.match_info["id"], p.str("customer", required=True)))

    @r.post("/v1/payment_methods/{id}/detach")
    async def _(request):
        await read_params(request)
        return ok(gw.detach(request.match_info["id"]))

    # setup intents and mandates
    @r.post("/v1/setup_intents")
    async def _(request):
        return ok(gw.create_setup_intent(await read_params(request)))

    @r.get("/v1/setup_intents/{id}")
    async def _(request):
        return ok(get_or_404(request.match_info["id"], "setup_intent", "setup_intent"))

    @r.post("/v1/setup_intents/{id}/confirm")
    async def _(request):
        return ok(gw.confirm_setup_intent(request.match_info["id"], await read_params(request)))

    @r.get("/v1/mandates/{id}")
    async def _(request):
        return ok(get_or_404(request.match_info["id"], "mandate", "mandate"))

    # payment intents and charges
    @r.post("/v1/payment_intents")
    async def _(request):
        return web.json_response(gw.create_payment_intent(await read_params(request)))

    @r.get("/v1/payment_intents")
    async def _(request):
        p = await read_params(request)
        items, more = page(request, p, "payment_intent", customer=p.str("customer"))
        return listing(request, [gw.export_intent(i) for i in items], more)

    @r.get("/v1/payment_intents/{id}")
    async def _(request):
        return web.json_response(gw.export_intent(get_or_404(request.match_info["id"], "payment_intent",
                                                             "payment_intent")))

    @r.post("/v1/payment_intents/{id}/confirm")
    async def _(request):
        return web.json_response(gw.confirm_payment_intent(request.match_info["id"], await read_params(request)))

    @r.post("/v1/payment_intents/{id}/cancel")
    async def _(request):
        return web.json_response(gw.cancel_payment_intent(request.match_info["id"], await read_params(request)))

    @r.get("/v1/charges")
    async def _(request):
        p = await read_params(request)
        items, more = page(request, p, "charge", customer=p.str("customer"), payment_intent=p.str("payment_intent"))
        return listing(request, [public(i) for i in items], more)

    @r.get("/v1/charges/{id}")
    async def _(request):
        return ok(get_or_404(request.match_info["id"], "charge", "charge"))

    # refunds
    @r.post("/v1/refunds")
    async def _(request):
        return ok(gw.create_refund(await read_params(request)))

    @r.get("/v1/refunds")
    async def _(request):
        p = await read_params(request)
        items, more = page(request, p, "refund", payment_intent=p.str("payment_intent"), charge=p.str("charge"))
        return listing(request, [public(i) for i in items], more)

    @r.get("/v1/refunds/{id}")
    async def _(request):
        return ok(get_or_404(request.match_info["id"], "refund", "refund"))

    # webhook endpoints and events
    @r.post("/v1/webhook_endpoints")
    async def _(request):
        p = await read_params(request)
        return web.json_response(gw.create_endpoint(
            p.str("url", required=True), p.list("enabled_events"), description=p.str("description"),
            metadata=p.metadata(), api_version=p.str("api_version") or request.headers.get("Stripe-Version")))

    @r.get("/v1/webhook_endpoints")
    async def _(request):
        p = await read_params(request)
        items, more = page(request, p, "webhook_endpoint")
        return listing(request, [public(i) for i in items], more)

    @r.get("/v1/webhook_endpoints/{id}")
    async def _(request):
        return ok(get_or_404(request.match_info["id"], "webhook_endpoint", "webhook_endpoint"))

    @r.post("/v1/webhook_endpoints/{id}")
    async def _(request):
        p = await read_params(request)
        with store.tx():
            endpoint = get_or_404(request.match_info["id"], "webhook_endpoint", "webhook_endpoint")
            if p.str("url"):
                endpoint["url"] = p.str("url")
            if p.list("enabled_events"):
                endpoint["enabled_events"] = p.list("enabled_events")
            if "disabled" in p.values:
                endpoint["status"] = "disabled" if p.bool("disabled") else "enabled"
            endpoint["metadata"] = p.metadata(endpoint["metadata"])
            store.put(endpoint)
        return ok(endpoint)

    @r.delete("/v1/webhook_endpoints/{id}")
    async def _(request):
        with store.tx():
            get_or_404(request.match_info["id"], "webhook_endpoint", "webhook_endpoint")
            store.delete(request.match_info["id"])
        return web.json_response({"id": request.match_info["id"], "object": "webhook_endpoint", "deleted": True})

    @r.get("/v1/events")
    async def _(request):
        p = await read_params(request)
        items, more = page(request, p, "event", sub=p.str("type"))
        return listing(request, items, more)

    @r.get("/v1/events/{id}")
    async def _(request):
        return ok(get_or_404(request.match_info["id"], "event", "event"))

    # test controls
    @r.get("/_config/settlement_delay")
    async def _(request):
        return web.json_response({"seconds": gw.settings.settlement_delay_s})

    @r.post("/_config/settlement_delay")
    async def _(request):
        p = await read_params(request)
        try:
            seconds = float(p.str("seconds", required=True))
        except ValueError:
            raise ApiError(400, "seconds must be a number", param="seconds") from None
        if seconds < 0:
            raise ApiError(400, "seconds must be >= 0", param="seconds")
        gw.settings.settlement_delay_s = seconds
        return web.json_response({"seconds": seconds})

    @r.post("/_config/settle_now")
    async def _(request):
        p = await read_params(request)
        with store.tx():
            count = store.make_timers_due(0, p.str("payment_intent"))
        return web.json_response({"settling": count})

    @r.post("/_config/webhook_endpoint")
    async def _(request):
        p = await read_params(request)
        return web.json_response(gw.upsert_endpoint(p.str("url", required=True), p.str("secret"),
                                                    p.list("enabled_events") or ["*"], "registered by a test"))

    @r.delete("/_config/data")
    async def _(request):
        store.clear()
        gw.register_cli_endpoint()
        return web.json_response({"deleted": True})

    return r


# What a browser may call with a publishable key (Stripe.js's tokenization): method and path.
PUBLISHABLE_ROUTES = frozenset({("POST", "/v1/payment_methods")})
CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": "Authorization, Content-Type, Stripe-Version, Idempotency-Key",
                "Access-Control-Max-Age": "600"}


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


@web.middleware
async def keys_and_cors_middleware(request: web.Request, handler):
    """Publishable keys only for tokenizing (as Stripe); CORS for that one browser-facing endpoint."""
    browser_facing = request.path in {path for _, path in PUBLISHABLE_ROUTES}
    if request.method == "OPTIONS" and browser_facing:
        return web.Response(status=204, headers=CORS_HEADERS)
    key = _bearer(request)
    if key.startswith("pk_") and (request.method, request.path) not in PUBLISHABLE_ROUTES:
        response = web.json_response({"error": {
            "type": "invalid_request_error",
            "message": "This API call cannot be made with a publishable API key. Please use a secret API key."}},
            status=401)
    else:
        response = await handler(request)
    if browser_facing:
        response.headers.update({k: v for k, v in CORS_HEADERS.items() if k == "Access-Control-Allow-Origin"})
    return response


@web.middleware
async def errors_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except ApiError as exc:
        return web.json_response({"error": exc.body}, status=exc.status)
    except web.HTTPNotFound:
        return web.json_response({"error": {"type": "invalid_request_error", "message": (
            f"Unrecognized request URL ({request.method}: {request.path}).")}}, status=404)
    except web.HTTPMethodNotAllowed:
        return web.json_response({"error": {"type": "invalid_request_error", "message": (
            f"Unrecognized request URL ({request.method}: {request.path}).")}}, status=405)


# --- idempotency keys ------------------------------------------------------------------


class IdempotencyStore:
    """First result per Idempotency-Key, in SQLite so it survives restarts."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS idempotency ("
            " key TEXT PRIMARY KEY, method TEXT, path TEXT, fingerprint TEXT,"
            " status INTEGER, content_type TEXT, body BLOB, created_at REAL)"
        )

    def get(self, key: str) -> sqlite3.Row | None:
        cur = self.db.execute(
            "SELECT method, path, fingerprint, status, content_type, body FROM idempotency WHERE key = ?", (key,)
        )
        return cur.fetchone()

    def put(self, key: str, method: str, path: str, fingerprint: str, status: int, content_type: str, body: bytes) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, method, path, fingerprint, status, content_type, body, time.time()),
        )

    def clear(self) -> None:
        self.db.execute("DELETE FROM idempotency")


def _idempotency_error(message: str) -> web.Response:
    body = {"error": {"type": "idempotency_error", "message": message}}
    return web.json_response(body, status=400)


def _worth_storing(response: web.StreamResponse) -> bool:
    # Stripe saves a result once the endpoint started executing; validation errors are not saved.
    return isinstance(response, web.Response) and (response.status < 400 or response.status == 402)


def idempotency_middleware(keys: IdempotencyStore):
    """aiohttp middleware implementing Stripe's Idempotency-Key semantics for POST."""
    locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.method == "DELETE" and request.path == "/_config/data":
            keys.clear()
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        raw = await request.read()  # cached by aiohttp, the handler can still read it
        fingerprint = hashlib.sha256(request.query_string.encode() + b"\0" + raw).hexdigest()
        async with locks[key]:  # a concurrent twin waits, then gets the replay
            saved = keys.get(key)
            if saved is not None:
                method, path, saved_fingerprint, status, content_type, body = saved
                if (method, path) != (request.method, request.path):
                    return _idempotency_error(
                        f"Keys for idempotent requests can only be used for the same endpoint they were first "
                        f"used for ('{method} {path}'). Try using a key other than '{key}'."
                    )
                if saved_fingerprint != fingerprint:
                    return _idempotency_error(
                        f"Keys for idempotent requests can only be used with the same parameters they were "
                        f"first used with. Try using a key other than '{key}' if you meant to execute a "
                        f"different request."
                    )
                response = web.Response(body=body, status=status, content_type=content_type)
                response.headers["Idempotent-Replayed"] = "true"
            else:
                response = await handler(request)
                if _worth_storing(response):
                    keys.put(key, request.method, request.path, fingerprint, response.status,
                             response.content_type, response.body or b"")
            response.headers["Idempotency-Key"] = key
            return response

    return middleware


# --- serving ---------------------------------------------------------------------------


def build_app(state_dir: str | Path, reset: bool = False, settings: Settings | None = None) -> web.Application:
    """The sandbox's aiohttp app, state kept in state_dir; its workers run while the app runs."""
    state = Path(state_dir)
    if reset and state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)
    gateway = Gateway(Store(state / "sandbox.sqlite3"), settings or Settings())
    gateway.register_cli_endpoint()
    app = web.Application(middlewares=[keys_and_cors_middleware,
                                       idempotency_middleware(IdempotencyStore(state / "idempotency.sqlite3")),
                                       errors_middleware])
    app.add_routes(routes(gateway))
    app["gateway"] = gateway

    async def workers(app: web.Application):
        tasks = [asyncio.create_task(gateway.settle_forever()), asyncio.create_task(gateway.deliver_forever())]
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    app.cleanup_ctx.append(workers)
    return app


def main(argv: list[str] | None = None) -> None:
    """`python -m duely_devstack.sandbox_gateway --port 8420 --state-dir var/sandbox-gateway`."""
    parser = argparse.ArgumentParser(description="Stripe-compatible sandbox payment gateway.")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (0.0.0.0 only inside a container)")
    parser.add_argument("--state-dir", default="var/sandbox-gateway")
    parser.add_argument("--reset", action="store_true", help="forget all objects and idempotency keys first")
    parser.add_argument("--settlement-delay-s", type=float, default=DEFAULT_SETTLEMENT_DELAY_S,
                        help="how long a bank debit (and its refund) stays processing/pending")
    parser.add_argument("--webhook-url", help="register a webhook endpoint for every event at this URL")
    parser.add_argument("--webhook-secret", help="its signing secret (whsec_...); default: generated")
    parser.add_argument("--webhook-retry-base-s", type=float, default=1.0, help="first retry delay, doubled each try")
    parser.add_argument("--webhook-retry-max-s", type=float, default=60.0, help="longest delay between tries")
    parser.add_argument("--webhook-max-attempts", type=int, default=8, help="tries per event and endpoint")
    parser.add_argument("--webhook-timeout-s", type=float, default=10.0, help="timeout of one delivery")
    args = parser.parse_args(argv)
    if args.webhook_secret and not args.webhook_secret.startswith("whsec_"):
        parser.error("--webhook-secret must start with whsec_")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings(settlement_delay_s=args.settlement_delay_s, webhook_url=args.webhook_url,
                        webhook_secret=args.webhook_secret, retry_base_s=args.webhook_retry_base_s,
                        retry_max_s=args.webhook_retry_max_s, max_attempts=args.webhook_max_attempts,
                        delivery_timeout_s=args.webhook_timeout_s)
    app = build_app(args.state_dir, reset=args.reset, settings=settings)
    log.info("sandbox gateway on http://%s:%d, state in %s, settlement delay %.1fs", args.host, args.port,
             args.state_dir, args.settlement_delay_s)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
