from huey.contrib.djhuey import db_task

from kalrav.hooks import delivery


@db_task()
def deliver(delivery_id: int) -> None:
    """Try a delivery; a failure worth retrying schedules the next try with a longer wait."""
    outcome = delivery.attempt(delivery_id)
    if outcome is not None and outcome.retry_in is not None:
        deliver.schedule(args=(delivery_id,), delay=outcome.retry_in)
