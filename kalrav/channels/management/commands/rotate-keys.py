from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kalrav import crypto
from kalrav.accounts.models import User
from kalrav.channels.models import Channel


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (channel credentials, two-factor seeds) with the first key "
        "of KALRAV_ENCRYPTION_KEYS. Run it after putting a new key in front; then the old key can go."
    )

    def handle(self, *args, **options):
        counts = {"channels": 0, "two-factor seeds": 0}
        try:
            with transaction.atomic():
                for channel in Channel.objects.select_for_update().exclude(credentials=""):
                    channel.credentials = crypto.rotate(channel.credentials)
                    channel.save(update_fields=["credentials"])
                    counts["channels"] += 1
                for user in User.objects.select_for_update().exclude(totp_secret=""):
                    user.totp_secret = crypto.rotate(user.totp_secret)
                    user.save(update_fields=["totp_secret"])
                    counts["two-factor seeds"] += 1
        except crypto.DecryptionFailed as error:
            raise CommandError(
                f"{error}; nothing was changed. Keep the old key in the list until rotation succeeds."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                "Re-encrypted: " + ", ".join(f"{n} {what}" for what, n in counts.items())
            )
        )
