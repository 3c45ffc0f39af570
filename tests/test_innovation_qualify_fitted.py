"""The fitted layer over the qualifier's rules (nqpf.innovation.qualify_fitted): hand-worked features,
the fit against scikit-learn, reproducibility of the shipped model, evidence, invariance and the CLI option."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from nqpf.cli import app
from nqpf.innovation.qualify import Qualification, Verdict, default_qualifier
from nqpf.innovation.qualify_fitted import (
    HYBRID_THRESHOLD,
    LABELS,
    RULE_FEATURES,
    FittedModel,
    FittedQualification,
    FittedQualifier,
    development_sets,
    fit,
    fit_logistic,
    fit_vocabulary,
    label_index,
    load_model,
    prepare,
    qualifier_for,
    qualify_all,
    rule_features,
    text_terms,
    tfidf,
)

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
runner = CliRunner()
ZH_QUALIFIES = ("一家民营企业研发基于人工智能的视觉质检系统，取代传统人工目检，生产效率提升40%、降低成本，"
                "让患者用上更安全、更实惠的药品。")
EN_QUALIFIES = ("A small private startup uses generative AI and digital twins to automate steel production, "
                "cutting costs and raising productivity, while reducing pollution for residents nearby.")


@pytest.fixture(scope="module")
def dev() -> tuple[pd.DataFrame, list[Qualification]]:
    """All four writers' development rows and the rules' results on them (about 10 s)."""
    data = development_sets(DATA)
    return data, qualify_all(data["text"].tolist())


def test_text_terms_hand_worked() -> None:
    # Chinese runs give character 1-3-grams; English words 1-2-grams; digits become 0; articles dropped
    assert text_terms("新工艺 the 2 new lines") == [
        "新", "工", "艺", "新工", "工艺", "新工艺", "0", "0 new", "new", "new lines", "lines"]
    assert text_terms("A plant built 10 kilns") == text_terms("The plant built 500 kilns")


def test_tfidf_equals_hand_and_sklearn() -> None:
    docs = [["a", "b", "b"], ["a", "c"], ["c", "c", "d"]]
    vocab, idf = fit_vocabulary(docs, min_df=2)
    assert vocab == ["a", "c"]
    assert idf == pytest.approx([math.log(4 / 3) + 1] * 2)
    m = tfidf(docs, vocab, idf).toarray()
    assert m[0] == pytest.approx([1.0, 0.0])  # one known term: unit length
    assert m[1] == pytest.approx([1 / math.sqrt(2)] * 2)
    c2 = (1 + math.log(2)) * idf[1]
    assert m[2] == pytest.approx([0.0, 1.0]) and c2 > 0
    texts = ["新工艺 取代 the old line", "新工艺 raises output", "old line kept, output up"]
    terms = [text_terms(t) for t in texts]
    vocab, idf = fit_vocabulary(terms, min_df=1)
    peer = TfidfVectorizer(analyzer=text_terms, sublinear_tf=True, min_df=1)
    ref = peer.fit_transform(texts)
    order = [peer.vocabulary_[t] for t in vocab]
    assert np.abs(tfidf(terms, vocab, idf).toarray() - ref.toarray()[:, order]).max() < 1e-12


def test_fit_equals_sklearn_on_real_rows(dev: tuple[pd.DataFrame, list[Qualification]]) -> None:
    data, qs = dev
    m = (data["writer"] == 2).to_numpy()  # writer 2's 72 rows
    sub = [q for q, k in zip(qs, m, strict=True) if k]
    y = label_index(data.loc[m, "label"].tolist())
    for kind, solver in (("rules", "newton-cholesky"), ("text", "newton-cg"), ("both", "newton-cg")):
        model = fit(sub, data.loc[m, "label"].tolist(), kind=kind, c=3.0)
        x = model.design(sub)
        peer = LogisticRegression(C=3.0, tol=1e-12, max_iter=100000, solver=solver)
        peer.fit(x.toarray() if kind == "rules" else x, y)
        assert np.abs(peer.coef_ - model.coef).max() < 1e-6, kind
        assert np.abs(peer.intercept_ - peer.intercept_.mean() - model.intercept).max() < 1e-6, kind
        # first-order condition for the intercepts: mean probabilities equal the class shares
        p = model.predict_proba(sub)
        assert p.mean(axis=0) == pytest.approx(np.bincount(y, minlength=3) / len(y), abs=1e-8)


def test_rule_features_read_the_rules() -> None:
    q = default_qualifier().qualify(ZH_QUALIFIES)
    f = dict(zip(RULE_FEATURES, rule_features(q), strict=True))
    assert f["disruption:met"] == 1.0 and f["disruption:score"] == q.criteria["disruption"].score
    assert f["rule:qualifies"] == 1.0 and f["rules:confidence"] == q.confidence
    assert f["signal:conventional"] == 0.0


def test_shipped_model_is_reproducible_from_the_development_sets(dev: tuple[pd.DataFrame, list[Qualification]]) -> None:
    shipped = load_model()
    data, qs = dev
    assert {k: v["rows"] for k, v in shipped.meta["fitted_on"].items()} == data.groupby("source").size().to_dict()
    assert {k: v["sha256"] for k, v in shipped.meta["fitted_on"].items()} == \
        data.groupby("source")["sha256"].first().to_dict(), "development sets changed: run benchmarks/fit_qualifier.py"
    # the optimum is unique (strictly convex in W, centred intercepts): started from the shipped coefficients,
    # the fit on today's rules and data must stay there; a change of the rules moves it (fit from zero: below)
    again = prepare(qs, kind=shipped.kind)
    assert again.vocab == shipped.vocab
    assert np.abs(again.rule_mean - shipped.rule_mean).max() < 1e-12, "rules changed: run benchmarks/fit_qualifier.py"
    w, b = fit_logistic(again.design(qs), label_index(data["label"].tolist()), 3, shipped.c,
                        start=(shipped.coef, shipped.intercept))
    assert np.abs(w - shipped.coef).max() < 1e-6, "rules changed since the fit: run benchmarks/fit_qualifier.py"
    assert np.abs(b - shipped.intercept).max() < 1e-6
    twice = fit(qs[::7], data["label"].tolist()[::7], kind="both", c=1.0)
    assert twice.to_json() == fit(qs[::7], data["label"].tolist()[::7], kind="both", c=1.0).to_json()
    assert FittedModel.from_json(twice.to_json()).to_json() == twice.to_json()


def test_fitted_qualification_lists_rules_and_features() -> None:
    rules = default_qualifier().qualify(ZH_QUALIFIES)
    r = FittedQualifier().qualify(ZH_QUALIFIES)
    assert isinstance(r, FittedQualification) and isinstance(r, Qualification)
    assert r.rule_verdict is rules.verdict and r.rule_confidence == rules.confidence
    assert r.reasons[0].en.startswith(f"rules: {rules.verdict.value}; model: {r.verdict.value}")
    assert r.reasons[0].zh.startswith("规则：")
    assert r.phrases == rules.phrases and "取代" in r.phrases  # the rules' evidence is still listed
    assert r.scores == rules.scores  # each criterion keeps its score
    assert r.confidence == pytest.approx(r.probabilities[r.verdict.value]) and r.confidence == max(r.probabilities.values())
    assert sum(r.probabilities.values()) == pytest.approx(1.0)
    assert r.contributions and all(w > 0 for _, w in r.contributions)
    model = load_model()
    assert {f for f, _ in r.contributions} <= set(model.feature_names)
    texts = [f[len("text:"):] for f, _ in r.contributions if f.startswith("text:")]
    assert all(t in text_terms(r.text) for t in texts)  # every text feature listed occurs in the text
    d = r.to_dict()
    assert d["rules_verdict"] == rules.verdict.value and d["features"][0]["feature"] == r.contributions[0][0]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (ZH_QUALIFIES, ZH_QUALIFIES.replace("一家民营企业", "一家大型国有企业")),
        (ZH_QUALIFIES, ZH_QUALIFIES.replace("一家民营企业", "一家小微外资企业")),
        (EN_QUALIFIES, EN_QUALIFIES.replace("A small private startup", "A large state-owned multinational")),
    ],
)
def test_scale_and_ownership_do_not_matter(a: str, b: str) -> None:
    fq = FittedQualifier()
    qa, qb = fq.qualify(a), fq.qualify(b)
    assert qa.verdict is qb.verdict and qa.probabilities == qb.probabilities and qa.contributions == qb.contributions


@pytest.mark.parametrize("override", [None, HYBRID_THRESHOLD], ids=["fitted", "hybrid"])
def test_scale_and_ownership_never_change_a_fitted_verdict(dev: tuple[pd.DataFrame, list[Qualification]],
                                                           override: float | None) -> None:
    data, _ = dev
    fq = FittedQualifier(override=override)
    sample = data.iloc[::9]
    for r in sample.itertuples(index=False):
        if r.lang == "zh":
            a, b = (f"一家{w}企业。{r.text}" for w in ("国有大型", "民营小微"))
        else:
            a, b = (f"{w} firm. {r.text}" for w in ("A large state-owned", "An SME"))
        qa, qb = fq.qualify(a), fq.qualify(b)
        assert qa.verdict is qb.verdict and qa.confidence == qb.confidence, r.id
        assert qa.ignored and qb.ignored


def test_cli_model_option(tmp_path: Path) -> None:
    res = runner.invoke(app, ["innovation", "qualify", ZH_QUALIFIES, "--model", "fitted", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["model"] == "fitted" and out["rules_verdict"] == "qualifies" and out["features"]
    assert out["verdict"] in LABELS and out["confidence"] == max(out["probabilities"].values())
    res = runner.invoke(app, ["innovation", "qualify", ZH_QUALIFIES, "--model", "fitted"])
    assert res.exit_code == 0 and "Rules' verdict / 规则结论" in res.output and "对结论贡献最大的特征" in res.output
    res = runner.invoke(app, ["innovation", "qualify", ZH_QUALIFIES, "--model", "neural"])
    assert res.exit_code == 2 and "'neural' is not known; use one of: rules, fitted" in res.output
    assert "Traceback" not in res.output
    csv = tmp_path / "b.csv"
    pd.DataFrame({"id": ["x1", "x2"], "text": [ZH_QUALIFIES, EN_QUALIFIES]}).to_csv(csv, index=False)
    out_csv = tmp_path / "r.csv"
    res = runner.invoke(app, ["innovation", "qualify", "--batch", str(csv), "--out", str(out_csv), "--model", "fitted",
                              "--no-progress"])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out_csv)
    fq = FittedQualifier()
    assert got["verdict"].tolist() == [fq.qualify(t).verdict.value for t in (ZH_QUALIFIES, EN_QUALIFIES)]
    assert got["rule"].str.startswith("fitted:").all()


def test_unknown_labels_and_kinds_are_refused() -> None:
    q = default_qualifier().qualify(ZH_QUALIFIES)
    with pytest.raises(ValueError, match="unknown labels"):
        fit([q], ["maybe"])
    with pytest.raises(ValueError, match="use one of rules, text, both"):
        fit([q], [Verdict.QUALIFIES.value], kind="deep")
    w, b = fit_logistic(np.eye(3), np.array([0, 1, 2]), 3, 1.0)
    assert np.allclose(w.sum(axis=0), 0.0, atol=1e-8) and abs(b.sum()) < 1e-12  # centred, as the optimum implies


def _one_term_model(z_qualifies: float) -> FittedModel:
    """A text model with one term ``x`` whose log-odds for *qualifies* are ``z_qualifies`` (others 0)."""
    n = len(RULE_FEATURES)
    return FittedModel("text", 1.0, LABELS, np.array([[z_qualifies], [0.0], [0.0]]), np.zeros(3), np.zeros(n),
                       np.ones(n), ["x"], np.array([1.0]))


def test_hybrid_hand_worked() -> None:
    # "x" alone: tf-idf row [1.0]; scores (ln 8, 0, 0) give p = (0.8, 0.1, 0.1); the rules say too short
    rules = default_qualifier().qualify("x")
    assert rules.verdict is Verdict.INSUFFICIENT_EVIDENCE
    c = rules.confidence
    model = _one_term_model(math.log(8))
    over = FittedQualifier(model, override=0.75).qualify("x")  # 0.8 > 0.75: the model's verdict wins
    assert over.verdict is Verdict.QUALIFIES and over.rule.startswith("hybrid:model:")
    assert over.probabilities["qualifies"] == pytest.approx(0.8)
    assert over.confidence == pytest.approx(((1 - c) / 2 + 0.8) / 2)  # linear pool of the two experts
    assert over.reasons[0].en.startswith("model overrides the rules: rules insufficient_evidence; model qualifies")
    assert over.reasons[0].zh.startswith("模型推翻规则") and over.to_dict()["model"] == "hybrid"
    stand = FittedQualifier(model, override=0.85).qualify("x")  # 0.8 is not above 0.85: the rules stand
    assert stand.verdict is Verdict.INSUFFICIENT_EVIDENCE and stand.rule.startswith("hybrid:rules:")
    assert stand.confidence == pytest.approx((c + 0.1) / 2)
    assert stand.reasons[0].en.startswith("the rules stand: rules insufficient_evidence; model qualifies (p = 0.80")
    agree = FittedQualifier(_one_term_model(-math.log(8)), override=0.75).qualify("x")  # p = (1/17, 8/17, 8/17)
    assert agree.verdict is Verdict.INSUFFICIENT_EVIDENCE
    assert agree.confidence == pytest.approx((c + 8 / 17) / 2)
    fitted = FittedQualifier(model).qualify("x")  # no threshold: the model decides
    assert fitted.verdict is Verdict.QUALIFIES and fitted.confidence == pytest.approx(0.8)
    with pytest.raises(ValueError, match="threshold in"):
        FittedQualifier(model, override=1.5)


def test_hybrid_is_the_rules_unless_the_model_is_confident(dev: tuple[pd.DataFrame, list[Qualification]]) -> None:
    _, qs = dev
    sample = qs[::5]
    hybrid = FittedQualifier(override=HYBRID_THRESHOLD).from_rules(sample)
    shipped = qualifier_for("hybrid")
    assert isinstance(shipped, FittedQualifier) and shipped.override == HYBRID_THRESHOLD
    prob = load_model().predict_proba(sample)
    for q, h, p in zip(sample, hybrid, prob, strict=True):
        top = LABELS[int(np.argmax(p))]
        expect = top if (top != q.verdict.value and p.max() > HYBRID_THRESHOLD) else q.verdict.value
        assert h.verdict.value == expect
        assert h.phrases == q.phrases and h.scores == q.scores
    assert sum(h.verdict is not q.verdict for q, h in zip(sample, hybrid, strict=True)) >= 1


def test_qualify_many_equals_one_call_each() -> None:
    texts = [ZH_QUALIFIES, EN_QUALIFIES, "x", "某钢厂新增两座与原有高炉相同的高炉，产能翻番。", {"text": ZH_QUALIFIES, "规模": "大型"}]
    for q in (default_qualifier(), FittedQualifier(), FittedQualifier(override=HYBRID_THRESHOLD)):
        many, one = q.qualify_many(texts), [q.qualify(t) for t in texts]
        assert [(r.verdict, r.rule, r.phrases) for r in many] == [(r.verdict, r.rule, r.phrases) for r in one]
        assert [r.confidence for r in many] == pytest.approx([r.confidence for r in one], abs=1e-12)
    assert FittedQualifier().qualify_many([]) == []
