"""Seeded generator of a Jekyll ``_posts/`` corpus shaped like a Chinese news site.

Usage::

    python bench/corpus.py --posts 100000 --seed 1 --out bench/out/corpus

writes ``OUT/_posts/YYYY-MM-DD-<slug>.md`` and ``OUT/config.yaml``. The output is a
pure function of ``(posts, seed)``: every random choice comes from one
``random.Random(seed)`` (string seeds are hashed with SHA-512, never ``hash()``), and
nothing reads the clock.

Shape (see ``bench/README.md``):

* dates uniform over 2019-01-01 .. 2023-12-31; 60 % ``YYYY-MM-DD HH:MM:SS +0800``,
  30 % naive ``YYYY-MM-DD HH:MM:SS``, 10 % date only; the file name carries the day;
* categories Zipf(s=1.1) over ``category_pool(N)`` names, 15 % of posts with two
  space-separated categories in one string; tags Zipf(s=1.1) over ``tag_pool(N)``
  names, 1-3 per post (a plain string for one, a flow list for several);
* body: raw HTML paragraphs, images, comments, then a Markdown autolink, relative and
  protocol-relative Markdown links, sometimes a Markdown list; size lognormal with a
  median of ~6 KB (UTF-8), clipped to 40 KB.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

#: Bump when the output for a given (posts, seed) changes; the runner keys its cache on it.
GENERATOR_VERSION = 1

ZIPF_S = 1.1
CATEGORIES_AT_100K = 2000
TAGS_AT_100K = 5000
POOL_EXPONENT = 0.7  # pools grow sub-linearly: N**0.7, anchored at 100k posts

START = datetime(2019, 1, 1)
SPAN_SECONDS = (datetime(2024, 1, 1) - START).days * 86400  # five years

BODY_MEDIAN_BYTES = 6000
BODY_SIGMA = 0.6  # lognormal sigma: p90 ~ 13 KB, p99 ~ 24 KB, 40 KB clip at ~3.2 sigma
BODY_MIN_BYTES = 600
BODY_MAX_BYTES = 40000
PARAGRAPH_POOL = 4096

CONFIG_YAML = """\
site:
  title: Bench site
  url: https://bench.example.com
source: .
output: public
timezone: Asia/Shanghai
cache:
  path: .feeds-cache
"""

# Pinyin syllables for ASCII slugs. None of them, nor any concatenation of two or more,
# is a YAML 1.1 special plain scalar (yes/no/on/off/true/false/null/~) or a number.
SYLLABLES = (
    "zhong guo you zheng kuai di bao cai jing xin wen ren min ri jiao yu ke ji "
    "jian kang wen hua ti shang hai bei tian jin guang zhou shen chuan hang su "
    "zhe jiang shan dong xi nan fang yang fa zhan gong ye nong qi che fang chan "
    "jin rong zheng quan neng yuan huan bao lv hai wai guo ji mei ti wang luo "
    "shi pin yin le you xi dian ying lu chang hui yi zhi ku yan jiu hao kan qing "
    "nian sheng huo jia ju lian meng tong xun shu ma chuang xin"
).split()

# Common words and phrases of Chinese news prose; sentences are drawn from these.
WORDS = (
    "发展 经济 建设 推动 高质量 坚持 创新 改革 开放 社会 国家 全面 加快 推进 深化 企业 "
    "市场 服务 工作 重要 提升 实现 加强 完善 体系 产业 数字 科技 人民 群众 政府 部门 "
    "落实 政策 措施 项目 投资 消费 城市 乡村 振兴 生态 环境 保护 安全 稳定 质量 效益 "
    "能力 水平 机制 制度 管理 治理 现代化 基础 设施 交通 物流 快递 邮政 行业 网络 平台 "
    "数据 信息 技术 研发 人才 教育 医疗 卫生 健康 文化 旅游 体育 能源 绿色 低碳 转型 "
    "升级 合作 交流 共同 国际 全球 区域 协调 战略 规划 目标 任务 成效 显著 持续 稳步 "
    "增长 同比 环比 百分点 亿元 万人 以上 其中 今年 去年 近年来 目前 记者 了解到 表示 "
    "指出 强调 要求 会议 召开 举行 活动 开展 启动 正式 发布 报告 显示 调查 研究 专家 "
    "认为 未来 趋势 机遇 挑战 问题 解决 困难 支持 帮助 保障 民生 就业 收入 居民 家庭 "
    "社区 基层 干部 党员 组织 领导 责任 担当 作为 守正 坚定不移 高质量发展 新时代 "
    "新征程 新格局 主动 积极 有效 进一步 不断 着力 大力 切实 扎实 努力 全力 统筹 "
    "协同 融合 联动 一体化 示范 试点 经验 模式 路径 方向 重点 关键 核心 领域 环节 "
    "链条 供应链 产业链 价值链 创新链 营商环境 市场主体 中小企业 龙头企业 金融 银行 "
    "资本 证券 保险 利率 价格 成本 利润 收益 规模 总量 结构 布局 园区 基地 中心 "
    "实验室 工程 建成 投用 开工 竣工 运营 运行 上线 覆盖 惠及 带动 辐射 引领 促进 "
    "助力 赋能 打造 构建 形成 培育 壮大 优化 调整 提高 降低 减少 扩大 增加 释放 "
    "激发 活力 动力 潜力 韧性 底线 红线 风险 防范 化解 应对 处置 监测 预警 检查 "
    "督导 考核 评估 宣传 引导 舆论 媒体 新闻 报道 采访 现场 一线 岗位 职工 员工 "
    "客户 用户 消费者 农民 学生 老人 儿童 妇女 青年 志愿者 爱心 温暖 幸福 美好 生活"
).split()

# Chinese pieces for the minority of Chinese category names and for tags.
CN_TOPICS = (
    "中国邮政 快递报 财经 科技 体育 娱乐 国际 国内 社会 教育 健康 汽车 房产 旅游 文化 "
    "军事 法治 环保 农业 能源 金融 证券 互联网 数码 手机 游戏 电影 音乐 时尚 美食 "
    "地方 城市 乡村 民生 交通 物流 电商 医疗 养老 就业 人才 创业 政务 党建 理论 评论 "
    "北京 上海 广州 深圳 杭州 南京 成都 武汉 西安 重庆 天津 苏州 长沙 郑州 青岛 "
    "湖南 湖北 广东 浙江 江苏 山东 四川 河南 河北 福建 安徽 江西 云南 贵州 广西"
).split()
TAG_SUFFIXES = ("新闻", "新闻", "新闻", "新闻", "快讯", "资讯", "动态", "报道", "观察", "视点")
CN_CATEGORY_SUFFIXES = ("频道", "新闻", "资讯", "", "")
ASCII_TAG_WORDS = (
    "AI 5G tech news iPhone Android cloud fintech EV chip data app video live sport "
    "global China Asia market stock crypto game film music travel food health"
).split()

SPAN_CLASSES = ("x", "bjh-p", "font-14", "text")
LIST_ITEMS = ("相关阅读", "延伸阅读", "推荐", "专题", "往期回顾")


@dataclass(frozen=True)
class Vocabulary:
    """Everything drawn once per corpus: names, their Zipf weights, paragraph pool."""

    categories: list[str]
    category_cum: list[float]
    tags: list[str]
    tag_cum: list[float]
    paragraphs: list[bytes]  # each a complete HTML block, UTF-8 encoded


@dataclass
class CorpusStats:
    """What a generated corpus looks like; printed by the CLI and stored by the runner."""

    posts: int
    seed: int
    category_pool: int
    tag_pool: int
    categories_used: int = 0
    tags_used: int = 0
    two_category_posts: int = 0
    body_bytes: list[int] = field(default_factory=list, repr=False)
    total_bytes: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, float | int]:
        """Flat numbers for printing and JSON."""
        b = sorted(self.body_bytes) or [0]
        return {
            "posts": self.posts,
            "seed": self.seed,
            "category_pool": self.category_pool,
            "categories_used": self.categories_used,
            "tag_pool": self.tag_pool,
            "tags_used": self.tags_used,
            "two_category_posts": self.two_category_posts,
            "body_bytes_median": int(statistics.median(b)),
            "body_bytes_p90": b[min(len(b) - 1, int(0.90 * len(b)))],
            "body_bytes_p99": b[min(len(b) - 1, int(0.99 * len(b)))],
            "body_bytes_max": b[-1],
            "total_mb": round(self.total_bytes / 1e6, 1),
            "seconds": round(self.seconds, 2),
        }


def category_pool(n_posts: int) -> int:
    """Number of distinct category names to draw from: 2,000 at 100k posts, ~N**0.7."""
    return max(20, round(CATEGORIES_AT_100K * float((n_posts / 100_000) ** POOL_EXPONENT)))


def tag_pool(n_posts: int) -> int:
    """Number of distinct tag names to draw from: 5,000 at 100k posts, ~N**0.7."""
    return max(50, round(TAGS_AT_100K * float((n_posts / 100_000) ** POOL_EXPONENT)))


def zipf_cum_weights(n: int, s: float = ZIPF_S) -> list[float]:
    """Cumulative Zipf weights for ranks 1..n, for ``random.choices(cum_weights=...)``."""
    return list(itertools.accumulate(1.0 / (k**s) for k in range(1, n + 1)))


def _unique(
    rng: random.Random, make: Callable[[random.Random], str], n: int, taken: set[str]
) -> list[str]:
    """``n`` distinct names from the callable ``make(rng)``, in draw order."""
    out: list[str] = []
    while len(out) < n:
        name = make(rng)
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out


def _category_name(rng: random.Random) -> str:
    """``zhongguoyouzhengkuaidibao``, ``21caijingAPP``, or (10 %) ``财经频道``."""
    r = rng.random()
    if r < 0.10:
        return "".join(rng.sample(CN_TOPICS, rng.randint(1, 2))) + rng.choice(CN_CATEGORY_SUFFIXES)
    name = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 6)))
    if r < 0.16:
        name = f"{rng.randint(1, 99)}{name}"
    if rng.random() < 0.08:
        name += rng.choice(("APP", "TV", "news", "Online"))
    return name


def _tag_name(rng: random.Random) -> str:
    """Mostly ``中国邮政快递报新闻``-like; 12 % ASCII such as ``fintech-5G``."""
    if rng.random() < 0.12:
        a, b = rng.sample(ASCII_TAG_WORDS, 2)
        return f"{a}-{b}" if rng.random() < 0.7 else f"{a}{b.capitalize()}"
    return "".join(rng.sample(CN_TOPICS, rng.randint(1, 3))) + rng.choice(TAG_SUFFIXES)


def _sentence(rng: random.Random) -> str:
    """A clause-punctuated sentence of 4-24 words ending in 。."""
    words = rng.choices(WORDS, k=rng.randint(4, 24))
    for i in range(3, len(words) - 1, rng.randint(3, 6)):
        words[i] += "，"
    if rng.random() < 0.1:
        words.insert(rng.randrange(len(words)), f"{rng.randint(2, 98)}.{rng.randint(0, 9)}%")
    return "".join(words) + "。"


def _paragraph(rng: random.Random) -> bytes:
    """One raw-HTML block: a <p>, a <p><span>, an indented <p>, or a centred image."""
    r = rng.random()
    if r < 0.06:
        return (
            f'<center><img src="https://img.example.com/{rng.randint(2019, 2023)}/'
            f'{rng.getrandbits(40):010x}.jpg" alt="" /></center>'
        ).encode()
    text = "".join(_sentence(rng) for _ in range(rng.randint(1, 5)))
    if r < 0.20:
        html = f'<p><span class="{rng.choice(SPAN_CLASSES)}">{text}</span></p>'
    elif r < 0.28:
        html = f'<p style="text-indent:2em;">{text}</p>'
    else:
        html = f"<p>{text}</p>"
    return html.encode()


def build_vocabulary(n_posts: int, rng: random.Random) -> Vocabulary:
    """Draw category names, tag names and the paragraph pool (in that order)."""
    taken: set[str] = set()
    categories = ["zhongguoyouzhengkuaidibao", "21caijingAPP"]
    taken.update(categories)
    categories += _unique(rng, _category_name, category_pool(n_posts) - len(categories), taken)
    tags = ["中国邮政快递报新闻"]
    taken.add(tags[0])
    tags += _unique(rng, _tag_name, tag_pool(n_posts) - len(tags), taken)
    paragraphs = [_paragraph(rng) for _ in range(PARAGRAPH_POOL)]
    return Vocabulary(
        categories=categories,
        category_cum=zipf_cum_weights(len(categories)),
        tags=tags,
        tag_cum=zipf_cum_weights(len(tags)),
        paragraphs=paragraphs,
    )


def _zipf_distinct(rng: random.Random, names: list[str], cum: list[float], k: int) -> list[str]:
    """``k`` distinct Zipf-distributed names (redraws on a repeat)."""
    total = cum[-1]
    out: list[str] = []
    while len(out) < k:
        name = names[bisect.bisect(cum, rng.random() * total)]
        if name not in out:
            out.append(name)
    return out


def _title(rng: random.Random) -> str:
    """1-4 space-separated groups of 2-4 words, like ``主动作为 守正创新 坚定不移走高质量发展``."""
    return " ".join(
        "".join(rng.choices(WORDS, k=rng.randint(2, 4))) for _ in range(rng.randint(1, 4))
    )


def _slug(rng: random.Random, serial: int) -> str:
    """An ASCII pinyin slug, unique through the base-36 serial at the end."""
    digits = ""
    n = serial
    while True:
        n, d = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[d] + digits
        if n == 0:
            break
    words = ["".join(rng.choices(SYLLABLES, k=rng.randint(1, 3))) for _ in range(rng.randint(1, 3))]
    return "-".join(words) + "-" + digits


def format_date(when: datetime, form: str) -> str:
    """The front-matter date in one of the three forms: ``tz``, ``naive`` or ``date``."""
    if form == "tz":
        return when.strftime("%Y-%m-%d %H:%M:%S +0800")
    if form == "naive":
        return when.strftime("%Y-%m-%d %H:%M:%S")
    return when.strftime("%Y-%m-%d")


def _trailer(rng: random.Random, serial: int) -> bytes:
    """The Markdown tail: autolink, relative and protocol-relative links, maybe a list."""
    parts = []
    if rng.random() < 0.3:
        items = [
            f"- {rng.choice(LIST_ITEMS)}：[{_title(rng)}](/news/{rng.randint(1, 99999)}.html)"
            for _ in range(rng.randint(2, 5))
        ]
        parts.append("\n".join(items))
    parts.append(f"原文链接：<http://www.example.com/news/{serial}.html>")
    parts.append("[返回](../news/) | [首页](//www.example.com/)")
    return "\n\n".join(parts).encode()


def render_post(
    rng: random.Random, vocab: Vocabulary, when: datetime, form: str, serial: int
) -> tuple[str, bytes, int]:
    """One post: ``(file name, file bytes, body bytes)``."""
    cats = _zipf_distinct(
        rng, vocab.categories, vocab.category_cum, 2 if rng.random() < 0.15 else 1
    )
    r = rng.random()
    n_tags = 1 if r < 0.5 else 2 if r < 0.85 else 3
    tags = _zipf_distinct(rng, vocab.tags, vocab.tag_cum, n_tags)
    tag_field = tags[0] if n_tags == 1 else "[" + ", ".join(tags) + "]"
    head = (
        "---\n"
        "layout: post\n"
        f'title: "{_title(rng)}"\n'
        f"date: {format_date(when, form)}\n"
        f"categories: {' '.join(cats)}\n"
        f"tags: {tag_field}\n"
        "---\n"
    ).encode()

    target = min(
        BODY_MAX_BYTES,
        max(BODY_MIN_BYTES, int(rng.lognormvariate(math.log(BODY_MEDIAN_BYTES), BODY_SIGMA))),
    )
    trailer = _trailer(rng, serial)
    blocks: list[bytes] = []
    if rng.random() < 0.3:
        blocks.append(f"<!-- 来源：{rng.choice(CN_TOPICS)} 编辑：{serial % 97} -->".encode())
    size = len(trailer) + sum(len(b) + 2 for b in blocks)
    pool = vocab.paragraphs
    while size < target:
        p = pool[rng.randrange(PARAGRAPH_POOL)]
        if size + len(p) - target > target - size or size + len(p) + 3 > BODY_MAX_BYTES:
            break  # stop at whichever side of the target is nearer
        blocks.append(p)
        size += len(p) + 2
    blocks.append(trailer)
    body = b"\n\n".join(blocks) + b"\n"
    name = f"{when:%Y-%m-%d}-{_slug(rng, serial)}.md"
    return name, head + b"\n" + body, len(body)


def generate(n_posts: int, seed: int, out: Path) -> CorpusStats:
    """Write ``out/_posts/*.md`` and ``out/config.yaml``; return the stats."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    vocab = build_vocabulary(n_posts, rng)
    stats = CorpusStats(
        posts=n_posts, seed=seed, category_pool=len(vocab.categories), tag_pool=len(vocab.tags)
    )
    posts_dir = out / "_posts"
    posts_dir.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(CONFIG_YAML, encoding="utf-8")
    cat_seen: Counter[str] = Counter()
    tag_seen: Counter[str] = Counter()
    forms = ("tz", "naive", "date")
    form_cum = (0.6, 0.9, 1.0)
    for serial in range(n_posts):
        when = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        form = forms[bisect.bisect(form_cum, rng.random())]
        name, data, body_len = render_post(rng, vocab, when, form, serial)
        with open(posts_dir / name, "wb") as f:
            f.write(data)
        stats.body_bytes.append(body_len)
        stats.total_bytes += len(data)
    # Count names back from the files' front matter lines (cheap, and checks what was written).
    for path in posts_dir.iterdir():
        cats, tags = _read_names(path)
        cat_seen.update(cats)
        tag_seen.update(tags)
        stats.two_category_posts += len(cats) == 2
    stats.categories_used = len(cat_seen)
    stats.tags_used = len(tag_seen)
    stats.seconds = time.perf_counter() - t0
    return stats


def _read_names(path: Path) -> tuple[list[str], list[str]]:
    """Categories and tags of a generated post, from its front matter lines (no YAML)."""
    cats: list[str] = []
    tags: list[str] = []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            if line.startswith("---"):
                break
            if line.startswith("categories: "):
                cats = line[len("categories: ") :].split()
            elif line.startswith("tags: "):
                value = line[len("tags: ") :].strip()
                tags = value.strip("[]").split(", ") if value.startswith("[") else [value]
    return cats, tags


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, required=True, help="number of posts")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--out", type=Path, required=True, help="site folder to create")
    args = ap.parse_args(argv)
    posts_dir = args.out / "_posts"
    if posts_dir.exists() and any(os.scandir(posts_dir)):
        print(f"{posts_dir} is not empty; pick a new --out or delete it first", file=sys.stderr)
        return 2
    stats = generate(args.posts, args.seed, args.out)
    for key, value in stats.summary().items():
        print(f"{key:>20}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
