from django.core.management.base import BaseCommand, CommandError

from api.exceptions import ApiClientError
from api.models import ApiClient
from api.services import api_client_create, api_client_rotate


class Command(BaseCommand):
    help = (
        "Create an API client, or with --rotate give an active one a new key, and print the key (the last line "
        "of the output; it is not stored)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the system that will call the API, e.g. web-shop")
        parser.add_argument(
            "--rotate", action="store_true", help="a new key for the active client of this name (the old key stops)"
        )

    def handle(self, *args, name: str, rotate: bool = False, **options) -> None:
        origin = "command:create_api_client"
        try:
            if rotate:
                active = ApiClient.objects.filter(name=name, revoked_at__isnull=True).first()
                if active is None:
                    raise CommandError(f"no active API client is named “{name}”")
                created = api_client_rotate(client_id=active.pk, origin=origin)
            else:
                created = api_client_create(name=name, origin=origin)
        except ApiClientError as exc:
            raise CommandError(exc.message) from None
        client = created.client
        if rotate:
            self.stdout.write(f"API client “{client.name}” (id {client.pk}) has a new key, shown only now:")
        else:
            self.stdout.write(f"Created API client “{client.name}” (id {client.pk}). Its key is shown only now:")
        self.stdout.write("Send it as: Authorization: Token <key>")
        self.stdout.write(created.key)
