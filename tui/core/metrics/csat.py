"""Survey answers: CSAT (§B.6) and customer-reported FCR (§B.5), moved to the root ticket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .config import MetricsConfig
from .events import Event
from .rates import rate, ratio
from .tickets import TicketFacts
from .times import Period


@dataclass(frozen=True)
class Answer:
    """A survey event on a root ticket, with the agent it is attributed to."""

    ticket: str
    ts: int
    agent: str | None
    event: Event


@dataclass
class SurveyBook:
    ratings: dict[str, Answer]  # the latest csat_response per root ticket
    surveys: list[Answer]  # every csat_sent
    fcr_answers: dict[str, Answer]  # the latest fcr_survey_response per root ticket

    def csat(self, period: Period, config: MetricsConfig, agent: Callable[[str | None], bool]) -> dict:
        """`Csat` of the ratings and surveys in `period` whose agent passes `agent`."""
        scores = [a.event.data["score"] for a in self.ratings.values() if a.ts in period and agent(a.agent)]
        satisfied = sum(1 for score in scores if score >= config.csat_satisfied_min)
        surveyed = {a.ticket for a in self.surveys if a.ts in period and agent(a.agent)}
        responded = sum(1 for ticket in surveyed if ticket in self.ratings)
        return {
            "n": len(scores),
            "satisfied": satisfied,
            "pct": ratio(100 * satisfied, len(scores)),
            "mean": ratio(sum(scores), len(scores)),
            "surveyed": len(surveyed),
            "responded": responded,
            "response_rate": ratio(responded, len(surveyed)),
            "low_n": len(scores) < config.csat_min_n,
        }

    def customer_fcr(self, period: Period, agent: Callable[[str | None], bool]) -> dict:
        answers = [a for a in self.fcr_answers.values() if a.ts in period and agent(a.agent)]
        return rate(sum(1 for a in answers if a.event.data["resolved"]), len(answers))


def build_survey_book(facts: dict[str, TicketFacts]) -> SurveyBook:
    ratings: dict[str, Answer] = {}
    surveys: list[Answer] = []
    fcr_answers: dict[str, Answer] = {}
    for ticket in facts.values():
        root = facts[ticket.record.root]
        for event in ticket.record.of_type("csat_response", "csat_sent", "fcr_survey_response"):
            if event.type == "fcr_survey_response":
                _keep_latest(fcr_answers, Answer(root.id, event.ts, root.first_handler, event))
                continue
            answer = Answer(root.id, event.ts, root.history.resolver_at(event.ts), event)
            if event.type == "csat_sent":
                surveys.append(answer)
            else:
                _keep_latest(ratings, answer)
    return SurveyBook(ratings, surveys, fcr_answers)


def _keep_latest(latest: dict[str, Answer], answer: Answer) -> None:
    current = latest.get(answer.ticket)
    if current is None or answer.event.order > current.event.order:
        latest[answer.ticket] = answer


def everyone(_: str | None) -> bool:
    return True


def only(agent_id: str) -> Callable[[str | None], bool]:
    return lambda agent: agent == agent_id
