"""What a clause does before what it says: asks, chats, supposes, denies, asks to forget.

Precision first: a clause under "if" / 如果, a question, a quote or a negation yields no record.
"""

from __future__ import annotations

import re

SMALL_TALK = re.compile(
    r"^(?:hi+|hey+(?: there)?|hello+|yo|morning|good (?:morning|night|evening|afternoon)|gn|"
    r"thanks?(?: you)?(?: so much| a lot)?|thx|ty|ok(?:ay)?(?: cool| thanks)?|cool|nice|great|"
    r"lol(?: ok)?|haha+|hehe+|yes|yeah|yep|no|nope|sure|bye|see you|got it|sounds good|"
    r"forget it|never ?mind|nvm|awesome|perfect|(?:it )?(?:does)n'?t matter|"
    r"你好呀?|您好|嗨|哈喽|早上好|早安|晚安|午安|谢谢(?:你|您)?(?:啦|了)?|多谢|太感谢了|感谢|好的?|好嘞|好滴|"
    r"嗯+|哦+|噢+|哈+|呵呵|嘿嘿|行|可以|没问题|明白了?|知道了|收到|拜拜|再见|算了|没事)"
    r"[\s!.~。！～]*$",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(?:what|how|why|when|where|which|who|whom|whose|should|shall|can|could|would|will|is|are|"
    r"am|do|does|did|any|anything|was|were|have you|has|may|might|recommend|suggest|tell me|give me|"
    r"help me|please (?:recommend|suggest|tell|help))\b",
    re.IGNORECASE,
)
_QUESTION_ZH = re.compile(
    r"[吗呢么]$|吗[?？]?$|什么|怎么|为什么|多少|多久|几[个点天次岁]|哪|是不是|是否|要不要|能不能|"
    r"可不可以|有没有|好不好|对不对|够不够|会不会|该不该|算不算|^(?:请)?(?:给我|帮我|你帮我)?(?:推荐|建议)|"
    r"^给我推荐|^推荐|^告诉我|^请问|如何|咋"
)
HYPOTHETICAL = re.compile(
    r"\b(?:if|suppose|supposing|assuming|imagine|in case|unless|wish|what if|hypothetically)\b|"
    r"如果|假如|要是|假设|万一|倘若|若是|的话|就好了|假使|设想",
    re.IGNORECASE,
)
NEGATION = re.compile(
    r"\b(?:not|no longer|never|don'?t|(?:does)n'?t|didn'?t|isn'?t|aren'?t|wasn'?t|haven'?t|"
    r"hasn'?t|no)\b|\bn't\b|没有|没|不是|并非|不再|别|未",
    re.IGNORECASE,
)
REPORTED = re.compile(
    r"\b(?:said|says|told me|tells me|according to (?:my|the) (?:doctor|nurse))\b|说|告诉我|跟我讲",
    re.IGNORECASE,
)

_FORGET_EN = re.compile(
    r"^(?:(?:please|pls|can you|could you|would you|hey|ok|also)[\s,]*)*"
    r"(?:forget|delete|erase|remove|drop|wipe)\s+(?:about\s+)?"
    r"(?:(?:everything|anything|all|what)\s+(?:i\s+(?:said|told you|mentioned)\s+)?(?:about|on|regarding)\s+)?"
    r"(?P<what>.+?)\s*(?:please|pls|thanks)?[.!?]*$",
    re.IGNORECASE,
)
_FORGET_ZH = re.compile(
    r"^(?:请|麻烦|你)?(?:帮我)?(?:把)?(?P<what>.+?)(?:都|全|全部)?(?:给我)?(?:忘掉|忘了吧|忘记吧|删掉|删除|清除|抹掉)"
    r"|^(?:请|你)?(?:忘掉|忘了|忘记|删掉|删除|别记着?|不要记住?|别再记)(?P<what2>.+?)(?:吧|了|的事|的事情)*$"
)
_FORGET_STRIP_ZH = re.compile(
    r"^(?:关于|有关)|(?:的事情?|的记录|的内容|相关的?|说过的|的信息|吧|了)+$"
)
_NOT_FORGET = re.compile(r"^(?:it|that|this|about it|me)$", re.IGNORECASE)


def is_small_talk(clause: str) -> bool:
    """A greeting, thanks, an acknowledgement: nothing to remember."""
    return bool(SMALL_TALK.match(clause.strip()))


def is_question(clause: str, end_mark: str, last: bool, first: bool = True) -> bool:
    """The clause asks (or asks for advice) rather than tells.

    Past the first clause of a sentence, "which ...", "when ..." relate more often than they ask.
    """
    text = clause.strip()
    if last and end_mark == "?":
        return True
    if first and _QUESTION_START.match(text):
        return True
    return bool(_QUESTION_ZH.search(text))


def forget_target(clause: str) -> str | None:
    """What a request to forget names ("my daughter", 我女儿), or None if it is not one.

    "I forgot my keys" and 我忘了吃药 are not requests: they say what the user forgot.
    """
    text = clause.strip()
    if re.match(r"^(?:i|我|我们)\b", text, re.IGNORECASE) or text.startswith(("我忘", "我老是忘")):
        return None
    if match := _FORGET_EN.match(text):
        what = re.sub(r"^(?:that|what)\s+", "", match.group("what").strip(), flags=re.IGNORECASE)
        return None if _NOT_FORGET.match(what) or "doesn" in what else what
    if match := _FORGET_ZH.match(text):
        what = (match.group("what") or match.group("what2") or "").strip()
        what = re.sub(r"^(?:关于|有关)", "", what)
        what = re.sub(r"^(?:我之前说的|我说过的|之前说的|我刚才说的)", "", what)
        what = _FORGET_STRIP_ZH.sub("", what).strip()
        return what or None
    return None
