from huey.contrib.djhuey import db_task

from kalrav.channels import services


@db_task(retries=2, retry_delay=30)
def check_channel(channel_id: int) -> None:
    services.check_channel(channel_id)


@db_task()
def renew_credentials(channel_id: int) -> None:
    services.renew_credentials(channel_id)
