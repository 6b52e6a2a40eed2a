from django.core.management.base import BaseCommand

from workflow.lifecycle import get_lifecycle, mermaid


class Command(BaseCommand):
    help = "Print the lifecycle as a Mermaid state diagram, drawn from workflow/lifecycle.py."

    def add_arguments(self, parser):
        parser.add_argument("--highlight", help="status to highlight")

    def handle(self, *args, highlight=None, **options):
        self.stdout.write(mermaid(get_lifecycle(), highlight=highlight))
