"""HTTP API of custom email templates: /v1/email_templates (list, get, save, reset, preview)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from duely_runtime.kit.deps import Caller, DbSession

from duely_notifications.custom_templates.schemas import (
    EmailTemplateDeleted, EmailTemplateList, EmailTemplateOut, EmailTemplatePreview, EmailTemplatePreviewRequest,
    EmailTemplateSave,
)
from duely_notifications.custom_templates.service import EmailTemplates

Locale = Query(None, max_length=35, description="en_US, de_DE...; 'default' (the default): every locale without "
                                                "its own version.")


def router(templates: EmailTemplates) -> APIRouter:
    api = APIRouter(prefix="/v1/email_templates", tags=["email templates"])

    @api.get("", response_model=EmailTemplateList)
    async def list_email_templates(caller: Caller, session: DbSession):
        return EmailTemplateList(data=await templates.summaries(session, caller.organization_id))

    @api.get("/{name}", response_model=EmailTemplateOut)
    async def get_email_template(name: str, caller: Caller, session: DbSession, locale: str | None = Locale):
        return await templates.get(session, caller.organization_id, name, locale)

    @api.put("/{name}", response_model=EmailTemplateOut)
    async def save_email_template(name: str, body: EmailTemplateSave, caller: Caller, session: DbSession):
        return await templates.save(session, caller.organization_id, name, body)

    @api.delete("/{name}", response_model=EmailTemplateDeleted)
    async def reset_email_template(name: str, caller: Caller, session: DbSession, locale: str | None = Locale):
        return await templates.reset(session, caller.organization_id, name, locale)

    @api.post("/{name}/preview", response_model=EmailTemplatePreview)
    async def preview_email_template(name: str, body: EmailTemplatePreviewRequest, caller: Caller,
                                     session: DbSession):
        return await templates.preview(session, caller.organization_id, name, body)

    return api
