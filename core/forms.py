"""Helpers for forms that call services."""

from django import forms

from .exceptions import DomainError


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's DomainError on the form: on its field when the form has it, else above the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def idempotency_key_field() -> forms.CharField:
    """A hidden field for the key that makes a form safe to submit twice (`core.idempotency`): the view
    fills it with a fresh key when it shows the form, so a double click or a resubmitted form sends the
    same key again and the service replays instead of acting twice. At most 64 characters, leaving room
    for the caller's prefix ("till:") within the 100 a key column holds."""
    return forms.CharField(widget=forms.HiddenInput, max_length=64)
