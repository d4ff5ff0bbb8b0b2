"""Use cases of saved payment methods: save (SetupIntent at the gateway), list, get, make default, detach.

The method's id is the gateway's PaymentMethod id: the AutoPay setting names it, attempts charge it and the
events carry it, one name everywhere. Every change publishes payment_method.attached / updated / detached
(aggregate payment_method, the row's own version) in the change's transaction.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import PaymentMethodChanged
from duely_contracts.models import SAVED_METHOD_TYPES, CustomerRef, PaymentMethodRef
from duely_payments.domain.charging import gateway_field
from duely_payments.models import GatewayCustomer, SavedPaymentMethod
from duely_payments.payment_methods import repository as repo
from duely_payments.payment_methods.gateway import DEBIT_TYPES, MandateEvidence, MethodsGateway
from duely_payments.payment_methods.schemas import (
    CardOut, MandateOut, PaymentMethodOut, SavePaymentMethodRequest, SepaDebitOut, UsBankAccountOut,
)
from duely_runtime.db import Database
from duely_runtime.errors import conflict, found, invalid, not_found
from duely_runtime.invoicing_client import InvoicingClient
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.outbox import Outbox

ACTIVE, PENDING_VERIFICATION, EXPIRED, DETACHED = "active", "pending_verification", "expired", "detached"


# -- rules (no I/O) ---------------------------------------------------------------------

def is_expired(method: SavedPaymentMethod, today: date) -> bool:
    """A card works through the last day of its expiry month."""
    if method.type != "card" or not method.exp_year or not method.exp_month:
        return False
    return (method.exp_year, method.exp_month) < (today.year, today.month)


def status_of(method: SavedPaymentMethod, today: date | None = None) -> str:
    if method.status == ACTIVE and is_expired(method, today or utcnow().date()):
        return EXPIRED
    return method.status


def view(method: SavedPaymentMethod, today: date | None = None) -> PaymentMethodOut:
    out = PaymentMethodOut(id=method.id, customer_id=method.customer_id, type=method.type,
                           status=status_of(method, today), is_default=method.is_default and method.status != DETACHED,
                           mandate=None, created_at=method.created_at)
    if method.type == "card":
        out.card = CardOut(brand=method.brand, last4=method.last4, exp_month=method.exp_month,
                           exp_year=method.exp_year)
    elif method.type == "us_bank_account":
        out.us_bank_account = UsBankAccountOut(bank_name=method.bank_name, last4=method.last4,
                                               account_holder_type=method.account_holder_type)
    elif method.type == "sepa_debit":
        out.sepa_debit = SepaDebitOut(bank_code=method.bank_code, country=method.country, last4=method.last4)
    if method.gateway_mandate or method.mandate_accepted_at:
        out.mandate = MandateOut(reference=method.mandate_reference, accepted_at=method.mandate_accepted_at,
                                 ip_address=method.mandate_ip_address, user_agent=method.mandate_user_agent,
                                 authorization_text=method.authorization_text)
    return out


def ref_of(method: SavedPaymentMethod) -> PaymentMethodRef:
    return PaymentMethodRef(id=method.id, organization_id=method.organization_id, customer_id=method.customer_id,
                            type=method.type, brand=method.brand, bank_name=method.bank_name, last4=method.last4,
                            exp_month=method.exp_month, exp_year=method.exp_year, status=status_of(method),
                            is_default=method.is_default and method.status != DETACHED,
                            mandate_reference=method.mandate_reference)


# -- use cases ----------------------------------------------------------------------------

class PaymentMethods:
    def __init__(self, db: Database, outbox: Outbox, gateway: MethodsGateway, invoicing: InvoicingClient) -> None:
        self.db, self.outbox, self.gateway, self.invoicing = db, outbox, gateway, invoicing

    async def customer(self, organization_id: str, customer_id: str) -> CustomerRef:
        customer = await self.invoicing.fetch_customer(organization_id, customer_id)
        if customer is None:
            raise not_found("customer", customer_id)
        return customer

    async def save(self, organization_id: str, customer_id: str,
                   body: SavePaymentMethodRequest) -> tuple[SavedPaymentMethod, bool]:
        """Attach the method at the gateway and store it; (method, created). Saving the same gateway method
        again for the same customer answers the stored one."""
        customer = await self.customer(organization_id, customer_id)
        gateway_customer = await self._gateway_customer(organization_id, customer)
        method = await self.gateway.retrieve_method(body.payment_method)
        method_type = gateway_field(method, "type")
        if method_type not in SAVED_METHOD_TYPES:
            raise invalid("payment_method", f"A {method_type} payment method cannot be saved; saved methods are "
                                            f"{', '.join(SAVED_METHOD_TYPES)}.")
        mandate = None
        if method_type in DEBIT_TYPES:
            if body.mandate is None:
                raise invalid("mandate", f"A {method_type} method needs the customer's mandate acceptance: "
                                         "mandate.ip_address and mandate.user_agent (and accepted_at).",
                              code="parameter_missing")
            if method_type == "us_bank_account" and not body.authorization_text:
                raise invalid("authorization_text", "An ACH debit needs the authorization text the customer "
                                                    "accepted.", code="parameter_missing")
            now = utcnow()
            accepted_at = body.mandate.accepted_at or now
            if accepted_at.tzinfo is None:
                raise invalid("mandate.accepted_at", "mandate.accepted_at needs a timezone (e.g. ...Z).")
            if accepted_at > now:
                raise invalid("mandate.accepted_at", "mandate.accepted_at cannot be in the future.")
            mandate = MandateEvidence(accepted_at, body.mandate.ip_address, body.mandate.user_agent)
        async with self.db.transaction() as session:
            # Part of the key: a retry after a crash (nothing stored yet) replays the same SetupIntent.
            ever = await repo.count_methods_ever(session, organization_id, customer_id)
        setup = await self.gateway.set_up(
            idempotency_key=f"{organization_id}:{customer_id}:setup:{ever}:{body.payment_method}",
            gateway_customer=gateway_customer, payment_method=body.payment_method, method_type=method_type,
            mandate=mandate, metadata={"duely_organization_id": organization_id, "duely_customer_id": customer_id})
        saved = setup.payment_method
        now = utcnow()
        async with self.db.transaction() as session:
            await repo.get_gateway_customer(session, organization_id, customer_id, for_update=True)
            existing = await repo.get_any_method(session, saved.id)
            if existing is not None:
                if (existing.organization_id, existing.customer_id) != (organization_id, customer_id):
                    raise conflict("payment_method_in_use", "This payment method belongs to another customer.",
                                   param="payment_method")
                if existing.status == DETACHED:
                    raise invalid("payment_method", "This payment method was detached; save a new one.",
                                  code="payment_method_detached")
                return existing, False
            row = SavedPaymentMethod(
                id=saved.id, organization_id=organization_id, customer_id=customer_id,
                gateway_customer=gateway_customer, type=method_type, status=ACTIVE, is_default=False, version=1,
                gateway_setup_intent=setup.setup_intent_id, gateway_mandate=setup.mandate_id,
                mandate_reference=setup.mandate_reference, created_at=now)
            details = gateway_field(saved, method_type)
            row.last4 = gateway_field(details, "last4")
            if method_type == "card":
                row.brand = gateway_field(details, "brand")
                row.exp_month, row.exp_year = gateway_field(details, "exp_month"), gateway_field(details, "exp_year")
                row.exp_month = int(row.exp_month) if row.exp_month else None
                row.exp_year = int(row.exp_year) if row.exp_year else None
            elif method_type == "us_bank_account":
                row.bank_name = gateway_field(details, "bank_name")
                row.account_holder_type = gateway_field(details, "account_holder_type")
                if setup.setup_intent_status != "succeeded":  # micro-deposits still to verify
                    row.status = PENDING_VERIFICATION
                row.authorization_text = body.authorization_text
            else:
                row.bank_code = gateway_field(details, "bank_code")
                row.country = gateway_field(details, "country")
            if mandate is not None:
                row.mandate_accepted_at, row.mandate_ip_address, row.mandate_user_agent = (
                    mandate.accepted_at, mandate.ip_address, mandate.user_agent)
            others = await repo.attached_methods(session, organization_id, customer_id, for_update=True)
            row.is_default = not any(m.is_default for m in others) or bool(body.set_default)
            await repo.add_method(session, row)
            await self._emit(session, "payment_method.attached", row, customer)
            if row.is_default:
                for other in others:
                    if other.is_default:
                        other.is_default = False
                        other.version += 1
                        await self._emit(session, "payment_method.updated", other, customer)
            return row, True

    async def _gateway_customer(self, organization_id: str, customer: CustomerRef) -> str:
        async with self.db.transaction() as session:
            known = await repo.get_gateway_customer(session, organization_id, customer.id)
        if known is not None:
            return known.gateway_id
        gateway_id = await self.gateway.create_customer(organization_id=organization_id, customer_id=customer.id,
                                                        name=customer.name, email=customer.email)
        async with self.db.transaction() as session:
            row = await repo.add_gateway_customer_once(session, GatewayCustomer(
                id=new_id("gcus"), organization_id=organization_id, customer_id=customer.id, gateway_id=gateway_id,
                customer=customer.model_dump(mode="json"), created_at=utcnow()))
            return row.gateway_id

    async def list(self, session: AsyncSession, organization_id: str, customer_id: str) -> list[SavedPaymentMethod]:
        methods = await repo.attached_methods(session, organization_id, customer_id)
        if not methods and await repo.get_gateway_customer(session, organization_id, customer_id) is None:
            await self.customer(organization_id, customer_id)  # 404 for a customer that is not theirs
        return methods

    async def get(self, session: AsyncSession, organization_id: str, customer_id: str,
                  method_id: str) -> SavedPaymentMethod:
        method = await repo.get_method(session, organization_id, method_id)
        if method is None or method.customer_id != customer_id or method.status == DETACHED:
            raise not_found("payment_method", method_id)
        return method

    async def make_default(self, organization_id: str, customer_id: str, method_id: str) -> SavedPaymentMethod:
        customer = await self.customer(organization_id, customer_id)
        async with self.db.transaction() as session:
            await repo.get_gateway_customer(session, organization_id, customer_id, for_update=True)
            methods = await repo.attached_methods(session, organization_id, customer_id, for_update=True)
            chosen = found(next((m for m in methods if m.id == method_id), None), "payment_method", method_id)
            if chosen.is_default:
                return chosen
            for method in methods:
                if method.is_default or method is chosen:
                    method.is_default = method is chosen
                    method.version += 1
                    await self._emit(session, "payment_method.updated", method, customer)
            return chosen

    async def detach(self, organization_id: str, customer_id: str, method_id: str) -> SavedPaymentMethod:
        """Detach at the gateway, then here. The default is not handed to another method on its own:
        AutoPay then says there is none, rather than charging a method nobody chose."""
        async with self.db.transaction() as session:
            method = await self.get(session, organization_id, customer_id, method_id)
        customer = await self.customer(organization_id, customer_id)
        await self.gateway.detach(method.id)
        async with self.db.transaction() as session:
            method = await repo.get_method(session, organization_id, method_id, for_update=True)
            if method.status != DETACHED:
                method.status, method.detached_at, method.is_default = DETACHED, utcnow(), False
                method.version += 1
                await self._emit(session, "payment_method.detached", method, customer)
            return method

    async def verified(self, session: AsyncSession, setup_intent_id: str | None,
                       organization_id: str | None) -> SavedPaymentMethod | None:
        """The gateway says a SetupIntent succeeded: an ACH account waiting for verification is active now
        (payment_method.updated). None when that changes nothing of ours."""
        method = await repo.method_by_setup_intent(session, setup_intent_id)
        if method is None or method.organization_id != organization_id or method.status != PENDING_VERIFICATION:
            return None
        method.status = ACTIVE
        method.version += 1
        known = await repo.get_gateway_customer(session, method.organization_id, method.customer_id)
        await self._emit(session, "payment_method.updated", method,
                         CustomerRef.model_validate(known.customer) if known else None)
        return method

    async def _emit(self, session: AsyncSession, event_type: str, method: SavedPaymentMethod,
                    customer: CustomerRef | None) -> None:
        await session.flush()
        await self.outbox.emit(session, event_type, PaymentMethodChanged(payment_method=ref_of(method),
                                                                         customer=customer),
                               organization_id=method.organization_id, aggregate_id=method.id,
                               aggregate_version=method.version)


def method_types_accepted(accepted: list[str] | None) -> set[str] | None:
    """The invoice's accepted methods as gateway types; None = anything goes (older snapshots)."""
    if accepted is None:
        return None
    names = {"card": "card", "ach_debit": "us_bank_account", "sepa_debit": "sepa_debit"}
    return {names[a] for a in accepted if a in names}

