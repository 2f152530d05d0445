"""The built-in grade schemes of the seeds (seeds-spec §2.1), as code.

Policies name one of these by id (``scheme = "three_grade"``) or define their own levels inline.
Only what a seed states measurably becomes a rule; qualitative criteria with no measurable
proxy (an emergency, "attention fairly high") are left to people, so ``evaluate_grade`` never
reaches those levels on its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from models.policy.grades import (
    Condition,
    Criterion,
    GradeLevel,
    GradeRule,
    GradeScheme,
    MediaLevel,
    Metric,
)

__all__ = ["BUILTIN_SCHEMES", "COLOURS", "FOUR_LEVEL", "NUMERIC", "THREE_GRADE", "TIERS"]


def _at_least(metric: Metric, n: int, note: str) -> Criterion:
    return Criterion((Condition(metric, minimum=n),), note)


def _between(metric: Metric, low: int, high: int, note: str) -> Criterion:
    return Criterion((Condition(metric, minimum=low, maximum=high),), note)


def _media(levels: tuple[MediaLevel, ...], note: str) -> Criterion:
    return Criterion((Condition(Metric.media_level, media_levels=frozenset(levels)),), note)


def _flag(metric: Metric, note: str) -> Criterion:
    return Criterion((Condition(metric),), note)


THREE_GRADE = GradeScheme(
    id="three_grade",
    title="三级分级（S1-4 华宁公路分局；DESIGN §3 默认）",
    levels=(
        GradeLevel("g1", "一级", 1, ("特别重大", "重大", "红")),
        GradeLevel("g2", "二级", 2, ("较大", "严重", "橙", "黄")),
        GradeLevel("g3", "三级", 3, ("一般", "蓝")),
    ),
    rules=(
        GradeRule(
            "g1",
            (
                _media(
                    (MediaLevel.central, MediaLevel.national_portal), "中央级媒体或全国门户网站"
                ),
                _at_least(Metric.clicks, 3000, "点击 ≥3000"),
                _at_least(Metric.comments, 500, "跟帖 ≥500"),
                _at_least(Metric.mainstream_sites, 6, "主流网站 >5 家"),
            ),
            "S1-4§3; S1-8; DESIGN §3",
        ),
        GradeRule(
            "g2",
            (
                _media((MediaLevel.provincial, MediaLevel.city), "省级媒体或市内主要网站"),
                _between(Metric.clicks, 1000, 2999, "点击 1000–2999"),
                _between(Metric.comments, 100, 499, "跟帖 100–499"),
                _flag(Metric.traditional_media, "传统媒体关注"),
            ),
            "S1-4§3; S1-8; S1-13; DESIGN §3",
        ),
    ),
)

FOUR_LEVEL = GradeScheme(
    id="four_level",
    title="四级分级（S1-6 嘉祥县城市管理局）",
    levels=(
        GradeLevel("g1", "特别重大", 1, ("一级",)),
        GradeLevel("g2", "重大", 2, ("二级",)),
        GradeLevel("g3", "较大", 3, ("三级",)),
        GradeLevel("g4", "一般", 4, ("四级",)),
    ),
    rules=(
        GradeRule(
            "g2",
            (
                _flag(Metric.traditional_media, "有主流媒体（电视、报刊）介入报道"),
                Criterion(
                    (Condition(Metric.sensitive_period), Condition(Metric.sites, minimum=2)),
                    "重要节点的敏感信息迅速发酵",
                ),
            ),
            "S1-6 分级 3",
        ),
        GradeRule("g3", (_at_least(Metric.sites, 2, "在不同网站出现"),), "S1-6 分级 2"),
    ),
)

NUMERIC = GradeScheme(
    id="numeric",
    title="数量阈值分级（S1-8 金盆山学校）",
    levels=(
        GradeLevel("g1", "特别重大", 1, ("一级",)),
        GradeLevel("g2", "重大", 2, ("二级",)),
        GradeLevel("g3", "一般", 3, ("一般关注", "三级")),
    ),
    rules=(
        GradeRule(
            "g1",
            (
                _at_least(Metric.clicks, 3000, "点击率3000人次以上"),
                _at_least(Metric.comments, 500, "跟帖评论500篇以上"),
                _at_least(Metric.mainstream_sites, 5, "5家以上主流网站报道转发（以上含本数）"),
            ),
            "S1-8 网络舆情分类",
        ),
        GradeRule(
            "g2",
            (
                _between(Metric.clicks, 1000, 2999, "点击率1000-2999人次"),
                _between(Metric.comments, 100, 499, "跟帖评论100-499篇"),
                _between(Metric.mainstream_sites, 1, 4, "5家以下主流网站报道转发"),
            ),
            "S1-8 网络舆情分类",
        ),
    ),
)

COLOURS = GradeScheme(
    id="colours",
    title="四色预警（S1-13 漯河市纪委）",
    levels=(
        GradeLevel("red", "红色", 1, ("红", "特别严重", "一级")),
        GradeLevel("orange", "橙色", 2, ("橙", "严重", "二级")),
        GradeLevel("yellow", "黄色", 3, ("黄", "较重", "三级")),
        GradeLevel("blue", "蓝色", 4, ("蓝", "一般", "四级")),
    ),
    rules=(
        GradeRule(
            "red",
            (_media((MediaLevel.central, MediaLevel.national_portal), "媒体高度关注"),),
            "S1-13 (三)",
        ),
        GradeRule("orange", (_flag(Metric.traditional_media, "传统媒体开始关注"),), "S1-13 (三)"),
    ),
)

TIERS = GradeScheme(
    id="tiers",
    title="三档分级，无量化标准（S0-7 应急管理局）",
    levels=(
        GradeLevel("g1", "特别重大", 1, ("一级",)),
        GradeLevel("g2", "重大或较大", 2, ("重大", "较大", "二级")),
        GradeLevel("g3", "一般", 3, ("三级",)),
    ),
)

BUILTIN_SCHEMES: Mapping[str, GradeScheme] = {
    s.id: s for s in (THREE_GRADE, FOUR_LEVEL, NUMERIC, COLOURS, TIERS)
}
