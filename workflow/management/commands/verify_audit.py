import os

from django.core.management.base import BaseCommand, CommandError

from workflow.services.audit import verify_chains


class Command(BaseCommand):
    help = "Recompute every audit hash chain; exit non-zero naming the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--proposal", type=int, help="verify only this đề án's chain")
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes verifying ranges of đề án side by side (default: one per CPU)",
        )

    def handle(self, *args, proposal=None, workers=1, **options):
        report = verify_chains(proposal_id=proposal, workers=workers)
        if not report.ok:
            raise CommandError(
                f"Audit chain BROKEN at proposal={report.broken_proposal} seq={report.broken_seq} "
                f"row id={report.broken_id}: {report.problem} ({report.events} events verified before it)"
            )
        self.stdout.write(f"Audit chains intact: {report.events} events in {report.chains} chains.")
