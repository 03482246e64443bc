"""The platform's privacy policy, kept as text in ``content/privacy-policy.md``.

The file uses a small part of Markdown: ``#`` for the title, ``##`` for a
section, ``-`` for a list item, blank lines between paragraphs and a closing
``Last updated: <date>`` line. It is parsed into plain structures that the
template renders (and escapes); no HTML is produced from the text.
"""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

POLICY_FILE = Path(__file__).parent / "content" / "privacy-policy.md"
UPDATED = "Last updated:"


@dataclass
class Section:
    heading: str
    blocks: list = field(default_factory=list)
    """("p", text) and ("ul", [item, ...]) in order."""


@dataclass
class Policy:
    title: str
    sections: list
    last_updated: str
    """As written in the file, e.g. "April 7, 2026"."""

    @property
    def updated_on(self):
        """The "last updated" date as a date (ISO for the <time> element)."""
        return datetime.strptime(self.last_updated, "%B %d, %Y").date()


def load_policy(path=POLICY_FILE):
    return parse_policy(Path(path).read_text(encoding="utf-8"))


def parse_policy(text):
    title, updated = "Privacy Policy", ""
    sections = [Section("")]
    paragraph = []

    def end_paragraph():
        if paragraph:
            sections[-1].blocks.append(("p", " ".join(paragraph)))
            paragraph.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(UPDATED):
            end_paragraph()
            updated = line[len(UPDATED) :].strip()
        elif line.startswith("## "):
            end_paragraph()
            sections.append(Section(line[3:].strip()))
        elif line.startswith("# "):
            title = line[2:].strip()
        elif line.startswith("- "):
            end_paragraph()
            _add_item(sections[-1], line[2:].strip())
        elif line:
            paragraph.append(line)
        else:
            end_paragraph()
    end_paragraph()

    if not updated:
        raise ValueError(f"the policy has no '{UPDATED}' line")
    return Policy(title, [s for s in sections if s.heading or s.blocks], updated)


def _add_item(section, item):
    if section.blocks and section.blocks[-1][0] == "ul":
        section.blocks[-1][1].append(item)
    else:
        section.blocks.append(("ul", [item]))
