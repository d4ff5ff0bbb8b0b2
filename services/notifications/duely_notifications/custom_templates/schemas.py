"""API models of /v1/email_templates."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from duely_contracts.timestamps import Timestamp
from duely_runtime.text import SingleLineText, Text

from duely_notifications.custom_templates.sandbox import SOURCE_LIMIT


def _part(description: str, **default):
    return Field(**default, max_length=SOURCE_LIMIT,
                 description=description + f" Jinja2 (sandboxed); at most {SOURCE_LIMIT} characters.")


class EmailTemplateSave(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: SingleLineText | None = Field(None, max_length=35, description="A locale such as en_US or de_DE, or 'default' "
                                                                "(the default): every locale without its own.")
    subject: Text = _part("The subject line (not HTML-escaped; whitespace collapsed to one line).")
    html: Text = _part("The HTML body; variables are HTML-escaped.")
    text: Text = _part("The plain-text body.")
    sms: Text | None = _part("The reminder SMS text (reminder templates).", default=None)


class EmailTemplatePreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: SingleLineText | None = Field(None, max_length=35)
    invoice_id: SingleLineText | None = Field(None, max_length=64, description="Render with this invoice of yours; sample "
                                                                    "data when absent.")
    subject: Text | None = _part("A draft subject to preview instead of the saved one.", default=None)
    html: Text | None = _part("A draft HTML body to preview instead of the saved one.", default=None)
    text: Text | None = _part("A draft text body to preview instead of the saved one.", default=None)
    sms: Text | None = _part("A draft SMS text to preview instead of the saved one.", default=None)


class EmailTemplateOut(BaseModel):
    object: Literal["email_template"] = "email_template"
    name: str
    locale: str
    customized: bool = Field(description="false: the starter source, to edit; the built-in email is sent.")
    subject: str
    html: str
    text: str
    sms: str | None
    variables: dict[str, str] = Field(description="The variables this template can use, with what each holds.")
    updated_at: Timestamp | None


class EmailTemplateSummary(BaseModel):
    object: Literal["email_template"] = "email_template"
    name: str
    customized: bool
    locales: list[str] = Field(description="The locales it is customized for ('default' included).")


class EmailTemplateList(BaseModel):
    object: Literal["list"] = "list"
    data: list[EmailTemplateSummary]
    has_more: bool = False


class EmailTemplateDeleted(BaseModel):
    object: Literal["email_template"] = "email_template"
    name: str
    locale: str
    deleted: bool
    customized: bool = False


class EmailTemplatePreview(BaseModel):
    object: Literal["email_template_preview"] = "email_template_preview"
    name: str
    customized: bool = Field(description="Whether a custom template (saved or the draft) was rendered; false: "
                                         "the built-in email.")
    template_name: str | None = Field(None, description="The custom template used (a reminder falls back to "
                                                         "invoice_reminder).")
    template_locale: str | None = None
    subject: str
    html: str
    text: str
    sms: str | None
    variables: dict[str, Any]
