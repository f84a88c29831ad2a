"""Facts with a slot, goals and plans, events, and habits, in English and Chinese.

The slots: home city, hometown, job, employer, school, partner, a pet's or person's name, age and
weight goal.
A slot is what a newer statement replaces: "I moved to Shanghai" replaces "I live in Hangzhou"
(both `home_city` of `self`); "My dog is now called Max" replaces the dog's `name`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.understanding.health import NUM, find_weights
from agent.understanding.people import PARTNERS, RELATIONS_EN, RELATIONS_ZH

_PLACE_EN = r"(?P<v>(?!(?:a|an|the|my|our|this|that|here|there|home)\b)[A-Za-z][\w.'-]*(?:\s+(?-i:[A-Z])[\w.'-]*)*)"
_ORG_EN = r"(?P<v>(?!(?:a|an|the|my|our|this|that|home|work)\b)[A-Za-z0-9][\w&.'-]*(?:\s+(?-i:[A-Z0-9])[\w&.'-]*)*)"
_ZH_VALUE = r"(?P<v>[\u4e00-\u9fffA-Za-z0-9·]{1,12}?)"
JOBS_EN = (
    "nurse", "teacher", "engineer", "software engineer", "developer", "programmer", "doctor",
    "designer", "manager", "product manager", "project manager", "analyst", "data analyst",
    "data scientist", "accountant", "lawyer", "chef", "cook", "driver", "writer", "consultant",
    "scientist", "researcher", "architect", "pharmacist", "dentist", "salesman", "cashier",
    "waiter", "waitress", "artist", "photographer", "journalist", "editor", "professor",
    "lecturer", "tutor", "mechanic", "electrician", "plumber", "farmer", "pilot", "firefighter",
    "police officer", "secretary", "receptionist", "clerk", "banker", "trader", "freelancer",
    "entrepreneur", "intern", "therapist", "psychologist", "vet", "librarian", "translator",
    "coach", "personal trainer", "barista", "baker", "student", "graduate student", "phd student",
    "housewife", "stay-at-home mom", "stay-at-home dad", "retiree", "civil servant", "surgeon",
    "physiotherapist", "paramedic", "sales rep", "marketer", "recruiter", "musician", "actor",
)  # fmt: skip
_JOB_EN = "|".join(sorted(map(re.escape, JOBS_EN), key=len, reverse=True))
_JOB_ZH = (
    r"(?P<v>[\u4e00-\u9fff]{0,6}?(?:工程师|程序员|设计师|医生|护士|老师|教师|律师|会计|厨师|司机|销售|"
    r"经理|主管|分析师|研究员|科学家|建筑师|药剂师|记者|编辑|教授|公务员|学生|研究生|博士生|"
    r"大学生|高中生|初中生|自由职业者|创业者|实习生|咨询师|顾问|模特|演员|画家|摄影师|警察|"
    r"军人|工人|农民|店员|服务员|快递员|外卖员|主播|产品经理|运营|HR|hr|全职妈妈|家庭主妇|退休))"
)


def _numbered(pattern: str) -> str:
    """The pattern with its value groups renamed v1, v2, ... (`re` wants unique names)."""
    count = iter(range(1, 1000))
    return re.sub(r"\(\?P<v\d*>", lambda _: f"(?P<v{next(count)}>", pattern)


SLOTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "home_city",
        re.compile(
            _numbered(
                rf"\b(?:i|we)\s+(?:now\s+|currently\s+|still\s+)?(?:live|am living|'m living|reside)\s+in\s+{_PLACE_EN}|"
                rf"\b(?:i|we)\s+(?:just\s+|recently\s+|finally\s+)?(?:moved|relocated|have moved|'ve moved)\s+"
                rf"(?:back\s+)?to\s+{_PLACE_EN}|^(?:just\s+|recently\s+)?(?:moved|relocated)\s+to\s+{_PLACE_EN}|"
                rf"\b(?:i'?m|i am)\s+(?:now\s+)?based in\s+{_PLACE_EN}|"
                rf"(?:我|我们)(?:现在|目前|一直)?(?:住在|住|生活在|定居在?)\s*{_ZH_VALUE}(?=[，,。！!\s]|$|了|呢|啦|这边)|"
                rf"(?:搬到|搬去|搬回|迁到|定居)(?:了)?\s*{_ZH_VALUE}(?=了|[，,。！!\s]|$|啦|住)"
            ),
            re.IGNORECASE,
        ),
    ),
    (
        "hometown",
        re.compile(
            _numbered(
                rf"\b(?:i'?m|i am|i come)\s+(?:originally\s+)?from\s+{_PLACE_EN}|\bgrew up in\s+{_PLACE_EN}|"
                rf"(?:我)?(?:老家(?:是|在)|来自|是)\s*{_ZH_VALUE}人(?=[，,。！!\s]|$)|我老家(?:是|在){_ZH_VALUE}(?=[，,。！!\s]|$)"
            ),
            re.IGNORECASE,
        ),
    ),
    (
        "employer",
        re.compile(
            _numbered(
                rf"\b(?:i|we)\s+(?:now\s+|currently\s+|still\s+)?(?:work|am working|'m working)\s+(?:as\s+an?\s+[\w\s]+?\s+)?(?:at|for)\s+{_ORG_EN}|"
                rf"\b(?:start(?:ing|ed)?|join(?:ed|ing)?|got a job at|got an offer from|moving to|switched to)\s+(?:at\s+)?{_ORG_EN}(?=\s+(?:on|next|in|as|this)\b|[,.!]|$)|"
                rf"(?:我|我们)?(?:现在|目前)?在\s*{_ZH_VALUE}(?:工作|上班|实习)|(?:跳槽|入职|加入)(?:到|去|了)?{_ZH_VALUE}(?=了|[，,。！!\s]|$)"
            ),
            re.IGNORECASE,
        ),
    ),
    (
        "school",
        re.compile(
            _numbered(
                rf"\b(?:i|we)\s+(?:study|am studying|'m studying|go to school)\s+at\s+{_ORG_EN}|"
                rf"\b(?:i'?m|i am)\s+(?:a\s+)?(?:student|freshman|sophomore|junior|senior)\s+at\s+{_ORG_EN}|"
                rf"在\s*{_ZH_VALUE}(?:读书|上学|念书|读研|读博|读大[一二三四]|上大[一二三四]|读高[一二三]|读初[一二三]|读研[一二三]|上高[一二三]|上初[一二三]|读本科|读硕士|读博士)"
            ),
            re.IGNORECASE,
        ),
    ),
    (
        "job",
        re.compile(
            _numbered(
                rf"\b(?:i|we)\s+work\s+as\s+an?\s+(?P<v>[\w\s-]+?)(?=\s+(?:at|for|in|since)\b|[,.!?]|$)|"
                rf"\b(?:i'?m|i am|is|he'?s|she'?s|became|now)\s+(?:now\s+)?an?\s+(?P<v2>(?:[a-z-]+\s+){{0,2}}?(?:{_JOB_EN}))\b|"
                rf"\bas an?\s+(?P<v3>(?:[a-z-]+\s+){{0,2}}?(?:{_JOB_EN}))\b|"
                rf"(?:我|他|她)?(?:是|当)(?:一名|一个|一位|个|名)?{_JOB_ZH}|(?:我|他|她)?(?:做|干)(?P<v4>[\u4e00-\u9fff]{{1,6}}?)(?:的|工作)(?=[，,。！!\s]|$)"
            ),
            re.IGNORECASE,
        ),
    ),
    (
        "age",
        re.compile(
            _numbered(
                r"\b(?:i'?m|i am|i turned|turned)\s+(?P<v>\d{1,2})(?:\s+(?:years?\s+old|yo|now))?(?=\s*(?:and|,|\.|!|$|now|this))|"
                rf"(?:我)?(?:今年)?(?P<v2>{NUM})岁"
            ),
            re.IGNORECASE,
        ),
    ),
)

_PARTNER_EN = re.compile(
    r"\b(?i:my|our)\s+(?i:new\s+)?(?P<rel>(?i:wife|husband|girlfriend|boyfriend|partner|fianc[eé]e?|gf|bf))"
    r"(?:'s name is|\s+is called|\s+is named|\s+named|\s+called|,)?\s+(?P<v>[A-Z][a-z]+)\b",
)
_NAME_EN = re.compile(
    r"\b(?i:my|our)\s+(?i:new\s+|little\s+)?(?P<rel>\w+)(?:'s name is|\s+is called|\s+is named|\s+named|"
    r"\s+called|\s+is now called)\s+(?P<v>[A-Z][a-z]+)\b|\b(?i:my|our)\s+(?P<rel2>son|daughter|dog|cat|"
    r"brother|sister|puppy|kitten)\s+(?P<v2>[A-Z][a-z]+)\b",
)
_NAME_ZH = re.compile(
    rf"(?:我|我的|我家|我们家|现在的|新)?(?:的)?(?:一只|一条|只|条)?(?P<rel>{'|'.join(sorted(RELATIONS_ZH, key=len, reverse=True))})"
    rf"(?:的名字)?(?:叫|名叫|叫做|名字是)(?P<v>[\u4e00-\u9fffA-Za-z]{{1,4}}?)(?=[，,。！!\s]|$|了|呢|啦)"
)
_CALLED_ZH = re.compile(
    r"^(?:他|她|它)?(?:叫|名叫)(?P<v>[\u4e00-\u9fffA-Za-z]{1,4})(?=[，,。！!\s]|$|了|呢|啦)"
)
_WEIGHT_GOAL = re.compile(
    r"\b(?:goal|target)(?: weight)?\b|\bget (?:down|back) to\b|\breach\b|\bdown to\b|"
    r"目标|减到|瘦到|降到|减肥到|控制到|回到",
    re.IGNORECASE,
)
GOAL = re.compile(
    r"\b(?:i|we)(?:\s+|(?='))(?:really\s+|also\s+|still\s+)?(?:want to|wanna|plan to|am planning to|'m planning to|intend to|"
    r"hope to|aim to|am going to|'m going to|'m gonna|am gonna|will|'ll|would like to|'d like to|"
    r"am saving (?:up )?for|'m saving (?:up )?for|am trying to|'m trying to|have decided to|decided to)\b|"
    r"\bmy (?:goal|plan|dream|resolution) is\b|\bwe're going to\b|\b(?:i'?m|we'?re) going to\b|"
    r"打算|计划|准备|想要|想|要去|目标是|争取|希望|决定|要开始|将要",
    re.IGNORECASE,
)
EVENT_NOUNS = re.compile(
    r"\b(?:appointment|exam|interview|meeting|surgery|check-?up|wedding|birthday|party|"
    r"deadline|flight|test|operation|date)\b|考试|面试|会议|手术|体检|婚礼|生日|聚会|答辩|比赛|复查|期末|期中",
    re.IGNORECASE,
)
PAST_EVENT = re.compile(
    r"\b(?:i|we)\s+(?:just\s+)?(?:lost|gained|forgot|went|had|got|started|finished|passed|failed|"
    r"ran|visited|quit|left|broke up|graduated|was diagnosed|got married|got promoted|had a baby|"
    r"completed|won|bought|sold|moved out)\b|"
    r"(?:瘦了|胖了|减了|长了|重了|轻了|忘了|分手了|结婚了|离婚了|升职了|辞职了|毕业了|确诊|生了|"
    r"跑了|去了|看了医生|住院了|出院了|考过了|通过了|挂了)",
    re.IGNORECASE,
)
HABIT = re.compile(
    r"\b(?:usually|normally|typically|generally|always|often|every (?:day|night|morning|evening|week|weekend)|"
    r"each (?:day|night|morning)|most (?:days|nights|mornings)|on average|daily|a night|per night|"
    r"tend to)\b|每天|每晚|每周|每个?月|平时|一般|通常|经常|总是|天天|老是|常常|平均|每次",
    re.IGNORECASE,
)
STATE = re.compile(
    r"\b(?:my\s+)?(?:blood pressure|bp|blood sugar|cholesterol|uric acid)\s+(?:has been|is|was|'s)\s+"
    r"(?:a bit\s+|kinda\s+|a little\s+|quite\s+|pretty\s+|really\s+)?(?:high|low|up|elevated)|"
    r"(?:血压|血糖|血脂|尿酸|胆固醇|心率)(?:一直|最近|有点|有些|偏|比较|很|太)*(?:高|低)(?!压)|"
    r"\b(?:i|we)\s+(?:have|'ve got|have got)\s+(?:a|an|one|two|three|four|\d)\s+(?:kids?|children|sons?|"
    r"daughters?|dogs?|cats?|brothers?|sisters?|cars?|houses?)\b|"
    r"\bwe have (?:two|three|\d) kids\b|我(?:们)?(?:家)?有(?:一|两|三|四|\d)(?:个|只|条|辆|套)|"
    r"结婚(?:[一二三四五六七八九十\d]+)年|\bmarried for\b|\bi work night shifts?\b|\bnight shifts?\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Slot:
    """A fact with its slot, found in a clause."""

    attribute: str
    value: str
    start: int
    end: int
    subject: str | None = None
    """The relation it is about, when the slot is theirs (a dog's name); None: the clause's."""


def _value(match: re.Match[str]) -> str | None:
    for name, value in match.groupdict().items():
        if name.startswith("v") and value:
            return value.strip(" .,'")
    return None


def slots(clause: str, language: str) -> list[Slot]:
    """The slot facts said in the clause."""
    out: list[Slot] = []
    if match := _PARTNER_EN.search(clause):
        out.append(Slot("partner", match.group("v"), match.start(), match.end(), "self"))
    elif language == "zh" and (match := _NAME_ZH.search(clause)):
        relation = RELATIONS_ZH[match.group("rel")]
        if relation in PARTNERS:
            out.append(Slot("partner", match.group("v"), match.start(), match.end(), "self"))
        else:
            out.append(Slot("name", match.group("v"), match.start(), match.end(), relation))
    elif match := _NAME_EN.search(clause):
        word = (match.group("rel") or match.group("rel2")).lower()
        known = RELATIONS_EN.get(word)
        if known is not None:
            name = match.group("v") or match.group("v2") or ""
            attribute = "partner" if known in PARTNERS else "name"
            subject = "self" if known in PARTNERS else known
            out.append(Slot(attribute, name, match.start(), match.end(), subject))
    for attribute, pattern in SLOTS:
        match = pattern.search(clause)
        if match is None:
            continue
        value = _value(match)
        if value is None or (attribute == "employer" and _is_place(value)):
            continue
        if attribute == "age":
            number = re.sub(r"\D", "", value) or value
            value = number
        out.append(Slot(attribute, value, match.start(), match.end()))
    return out


def called(clause: str) -> str | None:
    """The name in a clause that only gives one (叫阿杰), for the person named just before."""
    match = _CALLED_ZH.match(clause.strip())
    return match.group("v") if match else None


def weight_goal(clause: str) -> Slot | None:
    """A weight to reach ("get down to 65kg", 想减到130斤, "goal weight is 150 lbs")."""
    cue = _WEIGHT_GOAL.search(clause)
    if cue is None:
        return None
    weights = find_weights(clause[cue.start() :])
    if weights:
        _, match = weights[-1]
        return Slot("weight_goal", match.group(0).strip(), cue.start(), cue.end() + match.end())
    number = re.search(rf"(?<![\d.])({NUM})\s*(?:斤|公斤|kg|lbs?)?", clause[cue.end() :])
    if number and re.search(r"weight|体重|斤|公斤|kg|lb", clause, re.IGNORECASE):
        return Slot("weight_goal", number.group(0).strip(), cue.start(), cue.end() + number.end())
    return None


def _is_place(value: str) -> bool:
    return bool(re.search(r"(?:市|省|区|县)$", value)) or value in _CITIES


_CITIES = frozenset(
    "北京 上海 广州 深圳 杭州 成都 重庆 南京 武汉 西安 天津 苏州 长沙 郑州 青岛 厦门 大连 沈阳 宁波 合肥 "
    "昆明 福州 济南 哈尔滨 香港 台北 东京 纽约 伦敦".split()
)
