"""Where a seal's visible stamp goes: one geometry for the invoice templates and the sealer.

The invoice templates are A4 with 16 mm side margins and a 21 mm bottom margin that holds the
footer (legal line, page n / N). A stamp in that margin would hide the footer, so when a
document is rendered to be sealed the template keeps a blank strip at the bottom of the last
page's content, on the right, and the sealer's default placement is that strip: the stamp
lines up with the content's right edge and covers nothing. A file rendered without the strip
(or by another tool) is stamped at the same place, over whatever is there.
"""

STAMP_SIZE = (300.0, 28.0)
"""The stamp's width and height, in points: two lines of text."""
STAMP_MARGIN = (45.35, 61.5)
"""Distance of the stamp from the page's right and bottom edges, in points (16 mm; 21 mm + 2 pt)."""
STAMP_SPACE = (STAMP_SIZE[0], STAMP_SIZE[1] + 4.0)
"""The strip the templates keep free: the stamp and 2 pt above and below it."""
