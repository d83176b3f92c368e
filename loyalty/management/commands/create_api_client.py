from django.core.management.base import BaseCommand, CommandError

from loyalty.api.services import api_client_create
from loyalty.exceptions import InvalidInput


class Command(BaseCommand):
    help = "Create an API client and print its key (the last line of the output; it is not stored)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the system that will call the API, e.g. web-shop")

    def handle(self, *args, name: str, **options) -> None:
        try:
            created = api_client_create(name=name, origin="command:create_api_client")
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        client = created.client
        self.stdout.write(f"Created API client “{client.name}” (id {client.pk}). Its key is shown only now:")
        self.stdout.write("Send it as: Authorization: Token <key>")
        self.stdout.write(created.key)
