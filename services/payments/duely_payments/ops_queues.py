"""The payments work queues on its ops page: charges in flight, AutoPay requests and refunds pending."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.ops import QueueFigure
from duely_runtime.ops.figures import queue_figure
from duely_payments.models import AutopayRequest, PaymentAttempt, Refund


async def queues(session: AsyncSession) -> list[QueueFigure]:
    attempts, autopay, refunds = PaymentAttempt.__table__, AutopayRequest.__table__, Refund.__table__
    return [
        await queue_figure(session, "charges in flight", pending=attempts.c.status == "processing",
                           due=attempts.c.next_check_at, created=attempts.c.created_at,
                           note="late: the gateway's answer is overdue (the recovery worker asks again)"),
        await queue_figure(session, "autopay requests", pending=autopay.c.status.in_(("pending", "started")),
                           failing=autopay.c.status == "failed", due=autopay.c.next_check_at,
                           created=autopay.c.created_at),
        await queue_figure(session, "refunds", pending=refunds.c.status == "pending",
                           failing=refunds.c.status == "failed", due=refunds.c.next_check_at,
                           created=refunds.c.created_at),
    ]
