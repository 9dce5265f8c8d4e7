"""The verification pane: the verdict, each check (failing first), then Pith's own claims."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Rule, Static

from pith_tui.core.view import RecordView
from pith_tui.tui.present import (
    CLAIMS_HEADING,
    LABEL_STYLE,
    check_rows,
    claim_rows,
    no_claims_text,
    report_heading,
)
from pith_tui.tui.widgets.hanging_list import HangingList, Item
from pith_tui.tui.widgets.verdict_banner import VerdictBanner

ROOMY_HEIGHT = 18


class VerificationPane(Vertical):
    """The banner stays on top; per-document checks and then the claims scroll below it.

    The checks are pith-tui's own; the claims are the service's `verification_status`,
    under their own heading, in neutral words ("claims: yes") with no badge or colour.
    """

    def compose(self) -> ComposeResult:
        yield VerdictBanner(id="verdict")
        with VerticalScroll(id="checks-scroll"):
            yield HangingList(id="checks", label_width=14)
            yield Rule(id="claims-rule")
            yield Static(CLAIMS_HEADING, id="claims-heading", markup=False)
            yield HangingList(id="claims", label_width=24)

    def on_mount(self) -> None:
        for selector in ("#claims-rule", "#claims-heading"):
            self.query_one(selector).display = False

    def on_resize(self) -> None:
        # A taller banner when there is room for it; at 80x24 every line counts.
        self.set_class(self.size.height >= ROOMY_HEIGHT, "-roomy")

    def show(self, view: RecordView) -> None:
        self.query_one(VerdictBanner).show(view)
        checks: list[Item] = []
        for label, report in view.reports:
            if checks:
                checks.append(Content(""))
            checks.append(report_heading(label, report))
            checks.extend(check_rows(report))
        self.query_one("#checks", HangingList).update(checks)
        claims: list[Item] = list(claim_rows(view.server_claims))
        if not claims:
            claims = [Content.styled(no_claims_text(view.record is not None), LABEL_STYLE)]
        self.query_one("#claims", HangingList).update(claims)
        for selector in ("#claims-rule", "#claims-heading"):
            self.query_one(selector).display = True
        self.query_one("#checks-scroll").scroll_home(animate=False)
