"""The verification pane: the verdict, one badge per check, the detail of the checks that
need attention (or of the chosen badge), then Pith's own claims."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Rule, Static

from pith_tui.core.verify import Status
from pith_tui.core.view import RecordView
from pith_tui.tui.badges import Chip, chips_for
from pith_tui.tui.present import (
    CLAIMS_HEADING,
    LABEL_STYLE,
    check_row,
    claim_rows,
    no_claims_text,
)
from pith_tui.tui.widgets.check_chips import CheckChips
from pith_tui.tui.widgets.hanging_list import HangingList, Item
from pith_tui.tui.widgets.verdict_banner import VerdictBanner

ROOMY_HEIGHT = 18
CHOOSE_HINT = "press 2, then ←/→ for the detail of any badge"


class VerificationPane(Vertical):
    """The banner and the badges stay on top; the detail and the claims scroll below.

    The checks are pith-tui's own; the claims are the service's `verification_status`,
    under their own heading, in neutral words ("claims: yes") with no badge or colour.
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._view: RecordView | None = None

    def compose(self) -> ComposeResult:
        yield VerdictBanner(id="verdict")
        yield CheckChips(id="chips")
        with VerticalScroll(id="checks-scroll"):
            yield Static("", id="checks-caption", markup=False)
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
        self._view = view
        self.query_one(VerdictBanner).show(view)
        chips = chips_for(view)
        self.query_one(CheckChips).update(chips)
        self._show_attention(chips)
        claims: list[Item] = list(claim_rows(view.server_claims))
        if not claims:
            claims = [Content.styled(no_claims_text(view.record is not None), LABEL_STYLE)]
        self.query_one("#claims", HangingList).update(claims)
        for selector in ("#claims-rule", "#claims-heading"):
            self.query_one(selector).display = True
        self.query_one("#checks-scroll").scroll_home(animate=False)

    def _documents(self) -> int:
        return len(self._view.reports) if self._view is not None else 0

    def _show_attention(self, chips: tuple[Chip, ...]) -> None:
        """The checks that did not pass, failing first, each with its detail."""
        many = self._documents() > 1
        rows: list[Item] = []
        for wanted in (Status.FAIL, Status.NOT_CHECKED, Status.WARN):
            for chip in chips:
                for label, check in chip.results:
                    if check.status is wanted:
                        rows.append(check_row(check, label if many else ""))
        total = sum(len(chip.results) for chip in chips)
        if rows:
            caption = f"{len(rows)} of {total} checks need attention ({CHOOSE_HINT}):"
        elif total:
            caption = f"All {total} checks passed ({CHOOSE_HINT})."
        else:
            caption = "No check could run: there is no verifiable document."
        self._set_detail(caption, rows)

    def _set_detail(self, caption: str, rows: list[Item]) -> None:
        self.query_one("#checks-caption", Static).update(Content.styled(caption, LABEL_STYLE))
        self.query_one("#checks", HangingList).update(rows)

    @on(CheckChips.Chosen)
    def _chosen(self, event: CheckChips.Chosen) -> None:
        event.stop()
        chip = event.chip
        many = self._documents() > 1
        rows: list[Item] = [
            check_row(check, label if many else "") for label, check in chip.results
        ]
        self._set_detail(f"{chip.title}: full detail (Tab leaves the badges)", rows)
        self.query_one("#checks-scroll").scroll_home(animate=False)

    def on_descendant_blur(self) -> None:
        """Back to the checks that need attention when the badges lose the focus."""
        if self._view is not None and not self.query_one(CheckChips).has_focus:
            self._show_attention(self.query_one(CheckChips).chips)
