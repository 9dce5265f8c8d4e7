"""The one registry of commands and keys.

It feeds the key bindings (and so the footer), the help screen and the command palette, so
the three can never disagree. A `Command` with `bound_here=False` is bound by Textual or by a
built-in widget (tab, ctrl+q, Enter in a table); it is listed for the help screen only.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType

KEY_DISPLAY = {
    "slash": "/",
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "shift+tab": "Shift+Tab",
    "ctrl+p": "Ctrl+P",
    "ctrl+q": "Ctrl+Q",
    "f1": "F1",
    "up": "↑",
    "down": "↓",
    "right": "→",
    "home": "Home",
    "end": "End",
    "pageup": "PgUp",
    "pagedown": "PgDn",
}

SCOPES = {
    "app": "Everywhere",
    "record": "Main screen",
    "lookup": "Lookup box",
    "chips": "Check badges",
    "aliases": "Aliases pane",
    "timeline": "Timeline pane",
    "citations": "Cited-by pane",
    "raw": "Raw JSON view",
    "cache": "Cache review",
    "references": "References",
    "help": "This help",
}


@dataclass(frozen=True)
class Command:
    keys: str  # Textual key names, comma-separated: "question_mark,f1"
    action: str  # the action, run on the node that owns the scope
    label: str  # short: footer and palette title
    help: str  # one sentence: help screen and palette
    scope: str  # a key of SCOPES
    show: bool = True  # in the footer
    bound_here: bool = True  # False: Textual or a built-in widget binds the key
    palette: bool = False  # offered by the command palette

    @property
    def key_display(self) -> str:
        return " / ".join(KEY_DISPLAY.get(key, key) for key in self.keys.split(","))

    def binding(self) -> Binding:
        first = self.keys.split(",")[0]
        return Binding(
            self.keys,
            self.action,
            self.label,
            show=self.show,
            key_display=KEY_DISPLAY.get(first),
            tooltip=self.help,
        )


COMMANDS: tuple[Command, ...] = (
    # Everywhere
    Command("question_mark,f1", "help", "Help", "Show every key and what it does.", "app", palette=True),
    Command("c", "cache", "Cache", "Review the records in the local cache; Enter opens one.", "app", palette=True),
    Command("ctrl+p", "command_palette", "Commands", "Search every action, and open recent or cached records by id.", "app", show=False, bound_here=False),
    Command("tab", "focus_next", "Next pane", "Move to the next pane.", "app", show=False, bound_here=False),
    Command("shift+tab", "focus_previous", "Previous pane", "Move to the previous pane.", "app", show=False, bound_here=False),
    Command("ctrl+q", "quit", "Quit", "Quit pith-tui.", "app", show=False, bound_here=False),
    # The main screen
    Command("slash", "lookup", "Look up", "Focus the lookup box: an arXiv id, DOI, Pith Number, short id or URL, then Enter.", "record", palette=True),
    Command("left_square_bracket", "back", "Back", "Go back to the previous record you viewed.", "record", palette=True),
    Command("right_square_bracket", "forward", "Forward", "Go forward again after going back.", "record", palette=True),
    Command("r", "refresh", "Refresh", "Fetch the record again from the network and re-verify it.", "record", palette=True),
    Command("y", "copy_number", "Copy №", "Copy the Pith Number to the clipboard.", "record", palette=True),
    Command("b", "copy_bibtex", "Copy BibTeX", "Copy a BibTeX entry for the record (arXiv fields, DOI, Pith Number).", "record", show=False, palette=True),
    Command("o", "open_page", "Open page", "Open the record's page on the Pith site in your browser.", "record", palette=True),
    Command("j", "raw_json", "Raw JSON", "Show the whole document(s) as JSON, searchable.", "record", palette=True),
    Command("1", "focus_pane('metadata')", "Paper", "Focus the paper pane (title, authors, numbers, where each value comes from).", "record", show=False),
    Command("2", "focus_pane('verification')", "Verification", "Focus the verification pane (the verdict and one badge per check).", "record", show=False),
    Command("3", "focus_pane('aliases')", "Aliases", "Focus the aliases pane (its tab on a small terminal).", "record", show=False),
    Command("4", "focus_pane('timeline')", "Timeline", "Focus the event timeline (its tab on a small terminal).", "record", show=False),
    Command("5", "focus_pane('citations')", "Cited by", "Focus the cited-by pane (its tab on a small terminal).", "record", show=False),
    # The lookup box
    Command("enter", "submit", "Look up", "Look up what you typed, or the highlighted suggestion.", "lookup", bound_here=False),
    Command("down", "next_suggestion", "Next suggestion", "Highlight the next record in the suggestions under the box (ids and titles from the cache and history).", "lookup", show=False),
    Command("up", "previous_suggestion", "Previous suggestion", "Highlight the previous suggestion.", "lookup", show=False),
    Command("escape", "leave", "Leave", "Close the suggestions, or leave the lookup box.", "lookup"),
    # The check badges
    Command("left", "previous_chip", "Previous check", "Show the check of the badge to the left.", "chips", show=False),
    Command("right", "next_chip", "Next check", "Show the check of the badge to the right.", "chips", show=False),
    Command("enter", "choose", "Detail", "Show the full detail of the chosen check under the badges.", "chips"),
    # Panes
    Command("enter", "select_cursor", "Copy", "Copy the selected alias to the clipboard.", "aliases", bound_here=False),
    Command("g", "lookup_alias", "Look it up", "Look up the selected arXiv or DOI alias.", "aliases"),
    Command("up,down", "cursor_up", "Select", "Select an event; its check and payload show beside the list.", "timeline", show=False, bound_here=False),
    Command("enter", "select_cursor", "Open", "Look up the selected citing paper.", "citations", bound_here=False),
    # Raw JSON
    Command("slash", "focus_search", "Search", "Focus the search box: every match is highlighted; Enter jumps to the next and goes to the results.", "raw"),
    Command("n", "next_match", "Next", "Jump to the next match.", "raw"),
    Command("N", "previous_match", "Previous", "Jump to the previous match.", "raw"),
    Command("s", "toggle_signed", "Signed only", "Hide what is outside every signature, or show it again.", "raw"),
    Command("home", "go_home", "Top", "Go to the first line.", "raw"),
    Command("end", "go_end", "Bottom", "Go to the last line.", "raw"),
    Command("up", "cursor_up", "Line up", "Move to the line above; the line under the cursor says what covers it.", "raw", show=False),
    Command("down", "cursor_down", "Line down", "Move to the line below.", "raw", show=False),
    Command("pageup", "page_up", "Page up", "Move up a page.", "raw", show=False),
    Command("pagedown", "page_down", "Page down", "Move down a page.", "raw", show=False),
    Command("escape,q,j", "close", "Back", "Return to the record.", "raw"),
    # Cache review
    Command("escape", "back", "Back", "Close the cache review (from the filter: back to the list).", "cache"),
    Command("q", "back", "Back", "Close the cache review.", "cache", show=False),
    Command("enter", "open", "Open", "Open the highlighted record (re-verified from the cache).", "cache"),
    Command("slash", "focus_filter", "Filter", "Filter by Pith id, arXiv id, title or author; verdict:failed (or verified, incomplete, unknown) keeps one verdict.", "cache"),
    Command("s", "cycle_sort", "Sort", "Sort by the next column (or click a column header).", "cache"),
    Command("S", "reverse_sort", "Reverse", "Reverse the sort order.", "cache"),
    Command("f", "cycle_verdict", "Verdict", "Show one verdict only (failed, incomplete, verified, unknown, all): a verdict: word in the filter.", "cache"),
    Command("v", "reverify", "Re-verify all", "Re-verify every cached record from its stored bytes.", "cache"),
    Command("d", "delete", "Delete", "Delete the highlighted record from the cache (asks first).", "cache"),
    Command("e", "export", "Export mirror", "Write the cache as a static Pith mirror to a directory.", "cache"),
    Command("down", "focus_table", "To the list", "From the filter, move to the list.", "cache", show=False),
    # References (a .bib checked entry by entry)
    Command("B", "open_bibliography", "Open a bibliography", "Check every arXiv reference of a .bib file against signed records.", "app", show=False, palette=True),
    Command("escape", "back", "Back", "Close the references (from the filter: back to the list).", "references"),
    Command("enter", "open", "Open", "Open the highlighted entry's record in the main screen.", "references"),
    Command("slash", "focus_filter", "Filter", "Filter by key, identifier, title or verdict.", "references"),
    Command("s", "cycle_sort", "Sort", "Sort by the next column: file order, key, verdict, title check, identifier.", "references"),
    Command("S", "reverse_sort", "Reverse", "Reverse the sort order.", "references"),
    # Help
    Command("escape,q,question_mark,f1", "close", "Close", "Close this help.", "help"),
)  # fmt: skip


def commands_for(scope: str) -> tuple[Command, ...]:
    return tuple(command for command in COMMANDS if command.scope == scope)


def bindings_for(scope: str) -> list[BindingType]:
    """The `BINDINGS` of the node that owns `scope`."""
    return [command.binding() for command in commands_for(scope) if command.bound_here]


def palette_commands() -> tuple[Command, ...]:
    return tuple(command for command in COMMANDS if command.palette)
