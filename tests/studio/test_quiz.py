"""Quiz mode, through the studio: questions about what each step computed, hints, scores."""

from __future__ import annotations

import pytest

from bp_studio.studio import Studio, StudioError
from bp_studio.studio.quiz import KINDS, Quiz, close_enough


def worked() -> Studio:
    s = Studio()
    s.use_example("worked_example")
    return s


def test_each_kind_is_asked_about_what_the_step_just_computed():
    for kind in KINDS:
        s = worked()
        s.start_quiz([kind])
        asked = None
        for _ in range(6):
            s.next_layer()
            if s.quiz.question is not None:
                asked = s.quiz.question
                break
        assert asked is not None, kind
        assert asked.kind == kind
        moment = s.moment()
        if kind == "z":
            assert (
                asked.value
                == moment.forward_layers[asked.selection.layer - 1].z[0, asked.selection.unit]
            )
        if kind == "update":
            assert s.step_count == 1  # asked once the update was done
        s.reveal()


def test_the_worked_examples_first_hidden_z_checks_to_the_digits_shown():
    s = worked()
    s.start_quiz(["z"])
    s.next_layer()
    question = s.quiz.question
    assert question.selection.kind == "node" and question.selection.layer == 1
    value = question.value  # 0.3775 or 0.3925: z of a hidden unit of Mazur's example
    assert round(value, 4) in (0.3775, 0.3925)
    with pytest.raises(StudioError, match="answer the question first"):
        s.next_layer()
    first = s.answer(0.5)
    assert not first.correct and first.hint_level == 1
    assert first.hint.startswith("z = Σ")  # the equation
    second = s.answer(0.4)
    assert not second.correct and second.hint_level == 2
    assert "0.15 × 0.05" in second.hint or "0.25 × 0.05" in second.hint  # numbers plugged in
    right = s.answer(round(value, 4))
    assert right.correct and s.quiz.question is None
    assert s.quiz.scores["z"] == [1, 1]
    s.next_layer()  # stepping goes on


def test_reveal_counts_as_asked_not_right_and_scores_are_saved(tmp_path):
    s = worked()
    s.start_quiz(["delta", "gradient"])
    while s.quiz.question is None:
        s.next_layer()
    assert s.quiz.question.kind in ("delta", "gradient")
    kind = s.quiz.question.kind
    value = s.reveal()
    assert value == pytest.approx(value)
    assert s.quiz.scores[kind] == [0, 1]
    path = tmp_path / "quiz.bpsession"
    s.save(path)
    again = Studio.open(path)
    assert again.quiz.enabled and again.quiz.kinds == ("delta", "gradient")
    assert again.quiz.scores[kind] == [0, 1]


def test_answers_and_saved_quizzes_are_checked():
    s = worked()
    with pytest.raises(StudioError, match="no question"):
        s.answer(1.0)
    with pytest.raises(StudioError, match="quiz kinds"):
        s.start_quiz(["weights"])
    s.start_quiz(["a"])
    s.next_layer()
    for bad in ("0.5", float("nan"), True):
        with pytest.raises(StudioError):
            s.answer(bad)
    for data, message in (
        ({"kinds": ["x"]}, "quiz.kinds"),
        ({"scores": {"z": [3, 2]}}, "quiz.scores.z"),
        ({"enabled": "yes"}, "quiz.enabled"),
    ):
        with pytest.raises(ValueError, match=message):
            Quiz.from_dict(data)


def test_close_enough_is_the_digits_shown():
    assert close_enough(0.5933, 0.593269992, 4)
    assert close_enough(0.593, 0.593269992, 4)
    assert not close_enough(0.59, 0.593269992, 4)
    assert close_enough(-0.7414, -0.741365069, 4)
    assert not close_enough(0.7414, -0.741365069, 4)
    assert close_enough(0.00004, 0.0, 4) and not close_enough(0.001, 0.0, 4)


def test_a_run_drops_the_open_question_unscored():
    s = worked()
    s.start_quiz(["z"])
    s.next_layer()
    assert s.quiz.question is not None
    with pytest.raises(StudioError, match="answer the question first"):
        s.step()  # stepping waits for the answer ...
    told = []
    s.events.quiz_changed.connect(lambda: told.append(True))
    s.run(20)  # ... a run moves on: the question no longer belongs to the step shown
    assert s.quiz.question is None and told
    assert all(asked == 0 for _, asked in s.quiz.scores.values())
