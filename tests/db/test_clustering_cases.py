"""Dedup and clustering on near-duplicate Chinese items, on each backend: the same page behind
different tracking parameters is stored once, reposts with added comments and traditional
copies join the first item's case, another matter opens its own, a later repost attaches, a
closed case in aftercare reopens and one past it does not; metrics crossing a band upgrade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.parse.entries import FeedItem
from models.parse.topics import Topic
from models.policy import Stage, WorkCalendar
from models.policy.states import EventKind
from models.repo.cases import case_obligations, case_timeline
from models.repo.items import StoreContext, StoreResult, store_items
from models.repo.snapshots import snapshot_open_cases
from models.repo.sources import sync_sources
from models.store.presets import default_policy
from models.store.tables import Case, Item, MetricSnapshot

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SCHOOL = Topic(id="school", include_any=("学校", "中学"), category="inquiry")
ORIGINAL = "某中学食堂饭菜变质，多名学生腹泻，家长要求学校给个说法"


def item(url: str, title: str, clicks: int = 10, text: str = "") -> FeedItem:
    return FeedItem(url=url, title=title, summary=text, published_at=T0, clicks=clicks)


def store(
    session: Session, items: list[FeedItem], at: datetime, source: str = "forum"
) -> StoreResult:
    ctx = StoreContext(
        source_id=source,
        topics=[SCHOOL],
        policy=default_policy(),
        calendar=WorkCalendar.default(),
        now=at,
    )
    return store_items(session, items=items, ctx=ctx)


class _Source:
    def __init__(self, sid: str) -> None:
        self.id, self.kind, self.name, self.url = sid, "rss", sid, f"http://{sid}.test/"


FIRST_RUN = [
    item("http://bbs.city.cn/t/1?utm_source=wx", ORIGINAL),
    item("http://bbs.city.cn/t/1?spm=a.b&from=timeline", ORIGINAL),  # same page
    item("http://weibo.test/p/9", f"转发：{ORIGINAL}。太过分了！大家帮忙转！"),
    item("http://tw.news.test/a", "某中學食堂飯菜變質 多名學生腹瀉 家長要求學校給個說法"),
    item("http://bbs.city.cn/t/2", "某中学门口交通拥堵，家长接送孩子困难，希望学校协调交警"),
    item("http://bbs.city.cn/t/3", "今日天气晴，气温适宜"),
]


def test_near_duplicates_cluster_into_one_case(engine: Engine) -> None:
    with Session(engine) as session:
        sync_sources(session, [_Source("forum")])
        first = store(session, FIRST_RUN, T0)
        session.commit()
        assert (first.new_items, first.duplicates) == (5, 1)
        assert len(first.cases_opened) == 2
        food, traffic = first.cases_opened
        assert sorted(first.cases_attached) == [food, food]
        urls = session.exec(select(Item.url).where(Item.case_id == food)).all()
        assert sorted(urls) == [
            "http://bbs.city.cn/t/1?utm_source=wx",
            "http://tw.news.test/a",
            "http://weibo.test/p/9",
        ]
        unmatched = session.exec(select(Item).where(Item.url == "http://bbs.city.cn/t/3")).one()
        assert unmatched.case_id is None and unmatched.signature is None

        later = store(
            session,
            [item("http://qq.test/x", f"{ORIGINAL}（网友评论：学校回应了吗）")],
            T0 + timedelta(hours=5),
        )
        assert later.cases_attached == [food] and later.cases_opened == []
        session.commit()
        kinds = [e.kind for e in case_timeline(session, food)]
        assert kinds.count(EventKind.ITEM_ATTACHED) == 4
        assert traffic != food


def test_aftercare_reopens_a_closed_case_and_past_it_a_new_case_opens(engine: Engine) -> None:
    with Session(engine) as session:
        sync_sources(session, [_Source("forum")])
        [case_id] = store(session, [item("http://a.test/1", ORIGINAL)], T0).cases_opened
        case = session.get(Case, case_id)
        assert case is not None
        case.stage, case.closed_at = Stage.closed, T0 + timedelta(days=1)
        session.add(case)
        session.commit()

        in_aftercare = T0 + timedelta(days=2)
        again = store(session, [item("http://b.test/2", f"转发 {ORIGINAL}")], in_aftercare)
        assert again.cases_reopened == [case_id]
        session.commit()
        session.refresh(case)
        assert case.stage != Stage.closed
        assert EventKind.REOPENED in [e.kind for e in case_timeline(session, case_id)]

        case.stage, case.closed_at = Stage.closed, in_aftercare
        session.add(case)
        session.commit()
        # Within the clustering window but past the 7-day aftercare: a new case.
        window_ctx_time = in_aftercare + timedelta(days=8)
        ctx = StoreContext(
            source_id="forum",
            topics=[SCHOOL],
            policy=default_policy(),
            calendar=WorkCalendar.default(),
            now=window_ctx_time,
            window=timedelta(days=30),
        )
        late = store_items(session, items=[item("http://c.test/3", f"再转 {ORIGINAL}")], ctx=ctx)
        assert len(late.cases_opened) == 1 and late.cases_opened[0] != case_id


def test_clicks_crossing_a_band_upgrade_the_case_and_shorten_deadlines(engine: Engine) -> None:
    policy, calendar = default_policy(), WorkCalendar.default()
    with Session(engine) as session:
        sync_sources(session, [_Source("forum")])
        [case_id] = store(session, [item("http://a.test/1", ORIGINAL, clicks=50)], T0).cases_opened
        assert snapshot_open_cases(session, now=T0, policy=policy, calendar=calendar) == []
        before = {o.key: o.due_at for o in case_obligations(session, case_id)}
        session.commit()

        later = T0 + timedelta(minutes=30)
        run = store(session, [item("http://a.test/1?utm_medium=x", ORIGINAL, clicks=3500)], later)
        assert run.updated == 1
        [upgrade] = snapshot_open_cases(session, now=later, policy=policy, calendar=calendar)
        session.commit()
        assert (upgrade.case_id, upgrade.from_grade, upgrade.to_grade) == (case_id, "g3", "g1")
        after = {o.key: o.due_at for o in case_obligations(session, case_id)}
        assert any(after[k] < before[k] for k in before)
        snapshots = session.exec(
            select(MetricSnapshot)
            .where(MetricSnapshot.case_id == case_id)
            .order_by(col(MetricSnapshot.id))
        ).all()
        assert [(s.clicks, s.grade) for s in snapshots] == [(50, "g3"), (3500, "g1")]
        assert snapshot_open_cases(session, now=later, policy=policy, calendar=calendar) == []


def test_manual_registration_always_makes_or_joins_a_case(engine: Engine) -> None:
    from models.repo.registration import register_manual_item

    policy, calendar = default_policy(), WorkCalendar.default()
    with Session(engine) as session:
        sync_sources(session, [_Source("forum")])
        [case_id] = store(session, [item("http://a.test/1", ORIGINAL)], T0).cases_opened
        kwargs: dict[str, Any] = {
            "topics": (SCHOOL,),
            "policy": policy,
            "calendar": calendar,
            "actor": "王芳",
        }
        joined = register_manual_item(
            session, title=f"家长群转发：{ORIGINAL}", text="", now=T0, **kwargs
        )
        alone = register_manual_item(
            session, title="微信群传言某小区停水三天", text="", now=T0, category="rumour", **kwargs
        )
        session.commit()
        assert joined.case_id == case_id and joined.created
        assert alone.case_id not in (None, case_id)
        case = session.get(Case, alone.case_id)
        assert case is not None and case.category == "rumour" and case.topic_id is None
