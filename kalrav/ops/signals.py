from django.core.management import call_command


def create_cache_table(sender, using="default", **kwargs) -> None:
    # The database cache backs sign-in throttling when there is no Redis; create its table with
    # the schema, so `migrate` is the only setup step.
    call_command("createcachetable", database=using, verbosity=0)
