from django.apps import AppConfig


class PeersConfig(AppConfig):
    name = "bench.peers"
    label = "peers"
    verbose_name = "P1 peer (django-fsm-2 + django-fsm-log)"
    default_auto_field = "django.db.models.BigAutoField"
