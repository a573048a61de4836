"""The official schematron XSLTs without the work whose result nobody reads.

A compiled schematron (ISO skeleton) walks the whole document once per pattern: the
Factur-X EN 16931 rules walk a 10,000-line invoice 66 times in their own modes, 66 more
times in the default mode, and write one ``svrl:fired-rule`` element for every element
each rule matched (29 MB of SVRL for 10,000 lines). `lean_stylesheet` removes, from the
stylesheet text and nothing else:

- the ``svrl:fired-rule`` literal results: they report that a rule's context matched,
  never a finding (`schematron._findings` reads failed asserts and successful reports);
- the ``xsl:apply-templates`` in the default mode inside each ``svrl:active-pattern``,
  when the default mode holds no template but the root one and the text suppressor: that
  walk writes nothing;
- the visit of attributes in a pattern's mode when no rule of that mode can match an
  attribute: the visit can only reach the catch-all template, which writes nothing.

Every assert and report, its test, context, flag and text stay as published; the tests
prove that the findings are the same with and without these cuts.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["lean_stylesheet"]

_XSL = "http://www.w3.org/1999/XSL/Transform"
_SVRL = "http://purl.oclc.org/dsdl/svrl"
_T = f"{{{_XSL}}}template"
_APPLY = f"{{{_XSL}}}apply-templates"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def lean_stylesheet(text: str) -> str:
    """The stylesheet ``text`` with the idle walks and the fired-rule output cut (see module)."""
    root = etree.fromstring(text.encode("utf-8"), _PARSER)
    _drop_fired_rules(root)
    _drop_idle_default_walks(root)
    _skip_unmatched_attributes(root)
    return etree.tostring(root, encoding="unicode")


def _drop_fired_rules(root: etree._Element) -> None:
    for el in list(root.iter(f"{{{_SVRL}}}fired-rule")):
        _remove(el)


def _drop_idle_default_walks(root: etree._Element) -> None:
    default_mode = [t.get("match") for t in root.iter(_T) if t.get("mode") is None and t.get("match") is not None]
    if sorted(default_mode) != ["/", "text()"] or any(t.get("name") is None and t.get("match") is None
                                                       for t in root.iter(_T)):
        return
    for pattern in root.iter(f"{{{_SVRL}}}active-pattern"):
        for walk in [c for c in pattern if c.tag == _APPLY and not c.attrib and len(c) == 0]:
            _remove(walk)


def _skip_unmatched_attributes(root: etree._Element) -> None:
    matches: dict[str, list[str]] = {}
    for t in root.iter(_T):
        mode, match = t.get("mode"), t.get("match")
        if mode is not None and match is not None:
            matches.setdefault(mode, []).append(match)
    for mode, patterns in matches.items():
        rules = [m for m in patterns if m not in ("@*|node()", "text()")]
        if "@*|node()" not in patterns or any("@" in m or "attribute" in m for m in rules):
            continue
        for apply in root.iter(_APPLY):
            if apply.get("mode") == mode and apply.get("select") == "@*|*":
                apply.set("select", "*")


def _remove(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    # keep the text that followed the element (whitespace, in these stylesheets)
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
