"""Errors a client can act on: Django's own exceptions become 400, 409 and 412 answers
instead of 500s."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from factbase.services import VersionConflict

from .serializers import django_errors


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it: fetch it again, then retry."
    default_code = "precondition_failed"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    elif isinstance(exc, VersionConflict):
        exc = PreconditionFailed(
            f"The record is at version {exc.current_version}: fetch it again, then retry."
        )
    elif isinstance(exc, ProtectedError | RestrictedError):
        blocking = getattr(exc, "protected_objects", None) or exc.restricted_objects
        blockers = sorted({f"{obj._meta.verbose_name} {obj.pk}" for obj in blocking})
        shown = ", ".join(blockers[:10]) + (" ..." if len(blockers) > 10 else "")
        return Response(
            {"detail": f"Other records refer to this one; delete or change them first: {shown}"},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
