from django.core.management.base import BaseCommand

from workflow.lifecycle import Track, get_lifecycle, mermaid


class Command(BaseCommand):
    help = "Print a track's lifecycle as a Mermaid state diagram, drawn from workflow/lifecycle.py."

    def add_arguments(self, parser):
        parser.add_argument("--highlight", help="status to highlight")
        parser.add_argument(
            "--track",
            choices=Track.values,
            default=Track.LOCAL,
            help="local (khuyến công địa phương, the default) or national (khuyến công quốc gia)",
        )

    def handle(self, *args, highlight=None, track=Track.LOCAL, **options):
        self.stdout.write(mermaid(get_lifecycle(track), highlight=highlight))
