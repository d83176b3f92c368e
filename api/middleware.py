"""One log line per /api/ request: client, method, path, status and time taken.

The logging module, not a table: a row per request would add a write and a commit to every call on the
hot path (and an unauthenticated flood would fill the database); log lines go wherever the server's
logs go (journald, a log shipper), keep working when the database does not, and need no clean-up job.
"""

import logging
import time

# The logger keeps the name it had before the API became its own app: log configurations depend on it.
logger = logging.getLogger("loyalty.api.requests")


class ApiRequestLogMiddleware:
    prefix = "/api/"

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(self.prefix):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        client = getattr(request, "auth", None)  # set by DRF's authentication (api.authentication)
        client_name = getattr(client, "name", "-")
        logger.info(
            "api %s %s %s %s %.1fms",
            client_name,
            request.method,
            request.path,
            response.status_code,
            elapsed_ms,
            extra={
                "api_client": client_name,
                "api_client_id": getattr(client, "pk", None),
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(elapsed_ms, 1),
            },
        )
        return response
