"""Errors a client can act on: Django's own exceptions become 400, 409, 412 and 413 answers
instead of 500s."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from factbase.core.services import VersionConflict, error_dict


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it: fetch it again, then retry."
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        'This server requires If-Match on writes: send the ETag you read, such as "3" '
        "(or * to write whatever the version)."
    )
    default_code = "precondition_required"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"

    @classmethod
    def for_limit(cls, limit: int) -> "PayloadTooLarge":
        size = f"{limit:,} bytes"
        for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
            if limit and limit % factor == 0:
                size = f"{limit // factor:,} {unit} ({limit:,} bytes)"
                break
        return cls(f"The request body is larger than {size}, the most the API reads.")


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        # Django refused to read the body (DATA_UPLOAD_MAX_MEMORY_SIZE): without this, a
        # SuspiciousOperation, which Django answers with an HTML 400.
        forget_body(context.get("request"))
        exc = PayloadTooLarge.for_limit(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", 0) or 0)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(error_dict(exc))
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


def forget_body(request) -> None:
    """Give a request whose body could not be read empty data, as DRF does after a parse
    error, so that rendering the answer (the browsable API shows the body) does not try
    to read it again."""
    if request is not None and not hasattr(request, "_full_data"):
        from django.utils.datastructures import MultiValueDict

        request._data, request._files = {}, MultiValueDict()
        request._full_data = request._data
