"""Helpers for forms that call services."""

from django import forms

from .exceptions import DomainError


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's DomainError on the form: on its field when the form has it, else above the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
