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
  attribute: the visit can only reach the catch-all template, which writes nothing;
- the walk itself, where it can be replaced by a selection of the same nodes: a pattern's
  walk applies its mode's templates to every element, in document order, from the document
  node down; each rule template writes its findings and applies the mode to its children, the
  catch-all template writes nothing and applies the mode to its children. The nodes that
  reach a rule template are therefore exactly the nodes that match one of the mode's rule
  patterns, each once, in document order: XSLT defines "node N matches pattern P" as "N is in
  ``root(N)//(P)``" (XSLT 3.0, 5.5.3). `_select_instead_of_walking` applies the mode to the
  union of those expressions (a union is in document order, without duplicates) and drops the
  rule templates' descent, so the same templates run on the same nodes in the same order,
  chosen by the same priorities, without the template dispatch on every other node (the
  Factur-X EN 16931 rules walk a 10,000-line invoice 66 times). It is done only where the
  shape is the ISO skeleton's, and where no rule reads its position in the walk (``position()``,
  ``last()``) nor uses ``current()`` in its pattern.

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
    _select_instead_of_walking(root)
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


_CATCH_ALL = ("@*|node()", "text()")
_DESCENT = ("@*|*", "*")


def _select_instead_of_walking(root: etree._Element) -> None:
    """Apply each pattern's mode to the nodes its rules match instead of walking the tree (see module)."""
    templates: dict[str, list[etree._Element]] = {}
    for t in root.iter(_T):
        if t.get("mode") is not None:
            templates.setdefault(t.get("mode"), []).append(t)
    walks: dict[str, list[etree._Element]] = {}
    for apply in root.iter(_APPLY):
        if apply.get("mode") is not None:
            walks.setdefault(apply.get("mode"), []).append(apply)
    for mode, applies in walks.items():
        starts = [a for a in applies if a.get("select") == "/"]
        rules = [t for t in templates.get(mode, []) if t.get("match") not in _CATCH_ALL]
        if len(starts) != 1 or not rules or not _walk_of_the_skeleton(mode, templates[mode], rules, applies):
            continue
        union = " | ".join(_as_expression(t.get("match")) for t in rules)
        starts[0].set("select", union)
        for t in rules:
            _remove(t[-1])  # the descent into the children, checked by _walk_of_the_skeleton


def _walk_of_the_skeleton(mode: str, all_templates: list[etree._Element], rules: list[etree._Element],
                          applies: list[etree._Element]) -> bool:
    """True when ``mode`` is walked as the ISO skeleton walks it, so that a selection can replace the walk."""
    by_match = {t.get("match"): t for t in all_templates if t.get("match") in _CATCH_ALL}
    text, catch_all = by_match.get("text()"), by_match.get("@*|node()")
    if text is None or catch_all is None or len(text) or (text.text or "").strip():
        return False
    if len(catch_all) != 1 or not _is_descent(catch_all[0], mode) or (catch_all.text or "").strip():
        return False
    if any(t.get("name") is not None or t.get("match") is None for t in all_templates):
        return False
    lowest = max(_priority(text), _priority(catch_all))
    for t in rules:
        match = t.get("match") or ""
        if (len(t) == 0 or not _is_descent(t[-1], mode) or _priority(t) is None or _priority(t) <= lowest
                or "current()" in match or "position()" in match or "last()" in match):
            return False
        body = etree.tostring(t, encoding="unicode")
        if "position()" in body or "last()" in body:
            return False
    # the mode is applied nowhere else than at the start of the walk and in the descents
    descents = {id(t[-1]) for t in rules} | {id(catch_all[0])}
    return all(a.get("select") == "/" or id(a) in descents for a in applies)


def _is_descent(el: etree._Element, mode: str) -> bool:
    return (el.tag == _APPLY and el.get("mode") == mode and el.get("select") in _DESCENT and len(el) == 0
            and set(el.attrib) == {"mode", "select"})


def _priority(template: etree._Element) -> float | None:
    try:
        return float(template.get("priority", ""))
    except ValueError:
        return None


def _as_expression(pattern: str) -> str:
    """The nodes ``pattern`` matches in a document, as an expression evaluated at the document node."""
    if pattern.startswith("/") and "|" not in pattern:
        return f"({pattern})"  # rooted: the expression selects exactly the nodes the pattern matches
    return f"//({pattern})"  # root(.)//(P), the definition of matching


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
