"""The printed papers of a case (调解协议书, 卷宗): who gets the parties' full identity on them
(those who may reveal it, each showing logged), and counts written out in Chinese."""

from dataclasses import dataclass

from . import permissions, workflow
from .selectors import PartyView, party_views

DIGITS = "零一二三四五六七八九"
UNITS = ((1000, "千"), (100, "百"), (10, "十"))


def chinese_numeral(n: int) -> str:
    """A count as written in a document: 2 -> 两, 3 -> 三, 10 -> 十, 12 -> 十二, 20 -> 二十,
    105 -> 一百零五 (0 <= n < 10 000). "一式两份", never "一式二份" or "一式2份"."""
    if not 0 <= n < 10_000:
        raise ValueError(n)
    if n == 2:
        return "两"
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n - 10] if n > 10 else "")
    out, gap = "", False
    for value, unit in UNITS:
        digit, n = divmod(n, value)
        if digit:
            out += ("零" if gap else "") + DIGITS[digit] + unit
            gap = False
        elif out:
            gap = True
    if n:
        out += ("零" if gap else "") + DIGITS[n]
    return out


@dataclass
class Paper:
    parties: list[PartyView]
    full: bool  # the parties' whole phone and ID numbers are on it (a logged disclosure)


def parties_on_paper(*, case, parties, actor, how: str, ip_address=None) -> Paper:
    """The parties as a printed paper shows them: in full to whoever may reveal personal data
    on the case — each showing recorded as a disclosure (`how`) — masked to everyone else."""
    parties = list(parties)
    full = permissions.can(actor, "reveal_personal_data", case)
    if full:
        workflow.disclose_on_paper(case=case, parties=parties, actor=actor, how=how, ip_address=ip_address)
    return Paper(parties=party_views(parties, revealed_ids={p.pk for p in parties} if full else ()), full=full)
