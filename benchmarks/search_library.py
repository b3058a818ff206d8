"""A generated conversation library for the search benchmark: English, Chinese and mixed.

``write_library(directory, conversations, seed)`` writes ``conversations`` JSON files in
chattui's format (about 100 messages each, 20-180), deterministic for a seed. Words follow a
Zipf distribution over a vocabulary of real words (so queries like ``proxy`` or ``代理`` are
common) and ~30,000 made-up ones (so rare words exist too: :func:`vocabulary` tells which).
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass
from pathlib import Path

from chattui.core.models import Conversation, Message, Role

__all__ = ["Vocabulary", "vocabulary", "write_library"]


def _words(text: str) -> list[str]:
    return text.split()


ENGLISH = _words(
    "the to of and a in is it you that for on with as this be are can use your if or an by "
    "from not will have more at one all which when how so what there each also new should "
    "model server proxy request response stream token client error file config setting key "
    "python code function value list data query index search cache test build run deploy "
    "network timeout retry version update install package module class object string number "
    "table column database schema memory thread worker queue event message user assistant "
    "reply prompt context window budget cost price performance latency terminal screen theme "
    "keyboard shortcut layout width height scroll render markdown block line text unicode "
    "chinese english translate summary email letter draft review bug fix debug log trace"
)

CHINESE_WORDS = _words(
    "代理 服务器 配置 网络 数据库 模型 请求 响应 客户端 错误 文件 设置 密钥 代码 函数 数据 "
    "查询 索引 搜索 缓存 测试 构建 运行 部署 超时 重试 版本 更新 安装 模块 对象 字符串 内存 "
    "线程 队列 消息 用户 助手 回复 提示 上下文 窗口 预算 成本 性能 延迟 终端 屏幕 主题 键盘 "
    "快捷键 布局 宽度 高度 滚动 渲染 文本 中文 英文 翻译 摘要 邮件 草稿 审查 修复 调试 日志 "
    "我们 你们 他们 这个 那个 可以 需要 如果 因为 所以 但是 已经 现在 然后 问题 方法 时候 "
    "一个 没有 什么 怎么 为什么 应该 使用 通过 进行 工作 系统 功能 程序 开发 项目 用户界面"
)

COMMON_HANZI = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
    "子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体"
    "制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内"
    "数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提"
    "直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计"
    "别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海"
    "口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身"
    "车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石"
    "记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青"
    "省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型"
)

_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


@dataclass(frozen=True)
class Vocabulary:
    """The generator's words, most frequent first."""

    english: list[str]
    chinese: list[str]

    def rare_english(self, count: int, seed: int = 1) -> list[str]:
        """Made-up words from the tail (a few dozen occurrences in 1M messages)."""
        return random.Random(seed).sample(self.english[15_000:25_000], count)

    def rare_chinese_pairs(self, count: int, seed: int = 1) -> list[str]:
        """Two characters that rarely meet (across word boundaries only, if at all)."""
        rng = random.Random(seed)
        return ["".join(rng.sample(COMMON_HANZI[300:], 2)) for _ in range(count)]


def vocabulary(seed: int = 0) -> Vocabulary:
    rng = random.Random(seed)
    made_up: list[str] = []
    seen = set(ENGLISH)
    while len(made_up) < 30_000:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            made_up.append(word)
    chinese = list(CHINESE_WORDS)
    chinese_seen = set(chinese)
    while len(chinese) < 8000:
        word = "".join(rng.choice(COMMON_HANZI) for _ in range(rng.choice((1, 2, 2, 2, 3))))
        if word not in chinese_seen:
            chinese_seen.add(word)
            chinese.append(word)
    return Vocabulary(ENGLISH + made_up, chinese)


def _zipf_weights(count: int) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank**1.05) for rank in range(1, count + 1)))


class _Writer:
    def __init__(self, vocab: Vocabulary, seed: int) -> None:
        self.rng = random.Random(seed)
        self.vocab = vocab
        self.en_weights = _zipf_weights(len(vocab.english))
        self.zh_weights = _zipf_weights(len(vocab.chinese))

    def english(self) -> str:
        words = self.rng.choices(
            self.vocab.english, cum_weights=self.en_weights, k=self.rng.randint(6, 18)
        )
        return " ".join(words).capitalize() + self.rng.choice((".", ".", ".", "?", "!"))

    def chinese(self) -> str:
        words = self.rng.choices(
            self.vocab.chinese, cum_weights=self.zh_weights, k=self.rng.randint(5, 14)
        )
        return "".join(words) + self.rng.choice(("。", "。", "，", "？"))

    def message(self, language: str, sentences: int) -> str:
        parts = []
        for _ in range(sentences):
            lang = language if language != "mixed" else self.rng.choice(("en", "zh"))
            parts.append(self.english() if lang == "en" else self.chinese())
        joiner = " " if language == "en" else ""
        return joiner.join(parts)

    def conversation(self, index: int, start: float) -> Conversation:
        rng = self.rng
        language = rng.choices(("en", "zh", "mixed"), (5, 3, 2))[0]
        created = start + index * 600.0
        conversation = Conversation(
            id=f"bench{index:06d}",
            title=self.message(language, 1)[:40],
            created=created,
            updated=created,
            model="gpt-4o-mini",
        )
        for turn in range(rng.randint(10, 90)):
            at = created + turn * 30.0
            user = Message(Role.USER, self.message(language, rng.randint(1, 2)), created=at)
            reply = Message(
                Role.ASSISTANT, self.message(language, rng.randint(2, 6)), created=at + 5
            )
            conversation.add(user)
            conversation.add(reply)
        conversation.updated = created + 3000.0
        return conversation


def write_library(directory: Path, conversations: int, seed: int = 0) -> int:
    """Write the library into ``directory``; return the number of messages."""
    directory.mkdir(parents=True, exist_ok=True)
    writer = _Writer(vocabulary(seed), seed)
    messages = 0
    for index in range(conversations):
        conversation = writer.conversation(index, 1.6e9)
        messages += len(conversation.messages)
        data = json.dumps(conversation.to_dict(), ensure_ascii=False, indent=1)
        (directory / f"{conversation.id}.json").write_text(data, "utf-8")
    return messages
