"""PySpark DataFrames, classic and Spark Connect, stay on Spark end to end: the audit's figures
equal pandas', reweighing adds a lazy weight column equal row by row to pandas' weights and to
the formula computed by hand, and resampling returns a lazy Spark DataFrame whose cells have
exactly pandas' counts. A real local Spark (local[2]) runs them; one JVM serves both flavours
(the classic session loads Spark Connect's server plugin and a Connect session talks to it)."""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

import audit
from audit.exceptions import ConfigError, DataError
from tests.conftest import FIXED_TIME

pytestmark = [
    pytest.mark.slow,
    # PySpark 4.3 warns that it does not fully support pandas 3 on every pandas conversion.
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

SPEC = audit.AuditSpec(
    sensitive_features=("sex", "race", "age", "workclass"),
    label="income",
    favorable=">50K",
    prediction="pred",
    sample_weight="fnlwgt",
    bins={"age": [25, 45, 65]},
    reference={"sex": "Male"},
    max_depth=2,
    min_group_size=1,
)
CELL = ["sex", "race", "income"]
FLAVOURS = ["classic", "connect"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def sessions():
    java = shutil.which("java")
    if java is None:
        pytest.skip("Java is not installed: PySpark needs a Java 17 runtime (`java` on PATH)")
    version = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    if version.returncode != 0:
        pytest.skip(f"Java is not installed: `java -version` failed ({version.returncode})")
    from pyspark.sql import SparkSession
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    port = _free_port()
    classic = (
        SparkSession.builder.master("local[2]")
        .appName("biasaudit-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        # pyspark 4.3's Arrow path of toPandas() fails on pandas 3 (a removed copy= keyword).
        .config("spark.sql.execution.arrow.pyspark.enabled", "false")
        .config("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin")
        .config("spark.connect.grpc.binding.address", "127.0.0.1")
        .config("spark.connect.grpc.binding.port", str(port))
        .getOrCreate()
    )
    classic.sparkContext.setLogLevel("ERROR")
    # SparkSession.builder.remote() refuses to start next to a classic session; Connect's
    # own builder connects to the server the plugin started in the same JVM.
    connect = ConnectSession.builder.remote(f"sc://127.0.0.1:{port}").getOrCreate()
    yield {"classic": classic, "connect": connect}
    connect.stop()
    classic.stop()


@pytest.fixture(scope="module")
def data(adult: pd.DataFrame) -> pd.DataFrame:
    columns = ["sex", "race", "age", "workclass", "income", "fnlwgt", "education_num"]
    df = adult[columns].head(12_000).copy()  # Spark's cost here is per job, not per row
    df["pred"] = np.where(df["education_num"] >= 13, ">50K", "<=50K")
    df["score"] = (df["education_num"] + (df["age"] % 7) / 10.0).astype("float64")
    df.insert(0, "row_id", np.arange(len(df), dtype=np.int64))
    return df


@pytest.fixture(scope="module")
def frames(sessions, data, tmp_path_factory):
    """The same rows as a classic and a Spark Connect DataFrame, read from one Parquet file
    (missing values as nulls)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path_factory.mktemp("spark") / "adult.parquet"
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False), path)
    return {name: s.read.parquet(str(path)) for name, s in sessions.items()}


def _collect(sdf) -> pd.DataFrame:
    """A Spark DataFrame's rows in pandas (collect(): toPandas() warns on pandas 3)."""
    return pd.DataFrame([row.asDict() for row in sdf.collect()], columns=sdf.columns)


def _is_spark_frame(obj, flavour: str) -> bool:
    module = type(obj).__module__
    return module.startswith(
        "pyspark.sql.connect" if flavour == "connect" else "pyspark.sql.classic"
    ) and hasattr(obj, "sparkSession")


def _assert_close(got, want, path="") -> None:
    """Equal structures; floats equal to 1e-12 (Spark adds the sums in another order)."""
    if isinstance(want, dict):
        assert isinstance(got, dict), path
        assert sorted(got) == sorted(want), path
        for key in want:
            _assert_close(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list | tuple):
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _assert_close(g, w, f"{path}[{i}]")
    elif isinstance(want, float) and not isinstance(want, bool):
        assert isinstance(got, float | int), path
        if math.isnan(want):
            assert math.isnan(got), path
        else:
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12), path
    else:
        assert got == want, path


def _comparable(result: audit.AuditResult) -> dict:
    out = result.to_dict()
    for volatile in ("source", "versions", "created_at"):
        out.pop(volatile)
    return out


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_audit_figures_equal_pandas(flavour, frames, data):
    expected = _comparable(audit.audit(data, spec=SPEC, created_at=FIXED_TIME))
    result = audit.audit(frames[flavour], spec=SPEC, created_at=FIXED_TIME)
    assert result.source.engine == ("pyspark[connect]" if flavour == "connect" else "pyspark")
    # The workclass column's missing values reach Spark as nulls, and count as missing there.
    assert expected["missing_by_attribute"]["workclass"] == data["workclass"].isna().sum() > 0
    _assert_close(_comparable(result), expected)


def _hand_weights(df: pd.DataFrame, keys: list[str]) -> pd.Series:
    """w = P(g) P(y) / P(g, y) from plain value counts (Kamiran & Calders), per row."""
    n = len(df)
    fav = df["income"] == ">50K"
    group = df[keys].astype(str).agg("|".join, axis=1)
    p_g = group.map(group.value_counts() / n)
    p_y = fav.map(fav.value_counts() / n)
    cell = group + "#" + fav.astype(str)
    p_gy = cell.map(cell.value_counts() / n)
    return (p_g * p_y / p_gy).astype("float64")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_reweighing_is_a_lazy_column_equal_to_pandas_and_the_formula(flavour, frames, data):
    sdf = frames[flavour]
    kw = {
        "sensitive_features": ["sex", "race"],
        "label": "income",
        "favorable": ">50K",
        "min_group_size": 1,
    }
    result = audit.mitigate(sdf, method="reweighing", **kw)
    assert _is_spark_frame(result.data, flavour)
    assert result.data.columns == [*sdf.columns, "mitigation_weight"]
    got = _collect(result.data.select("row_id", "mitigation_weight")).sort_values("row_id")
    assert got["row_id"].tolist() == data["row_id"].tolist()
    weights = got["mitigation_weight"].to_numpy()
    pandas = audit.mitigate(data, method="reweighing", **kw).data["mitigation_weight"]
    np.testing.assert_allclose(weights, pandas.to_numpy(), rtol=1e-12, atol=0)
    hand = _hand_weights(data, ["sex", "race"])
    np.testing.assert_allclose(weights, hand.to_numpy(), rtol=1e-12, atol=0)
    assert result.after.dimension("sex", "race").demographic_parity_difference.value == (
        pytest.approx(0.0, abs=1e-12)
    )


def test_reweighing_multiplies_the_sample_weight_row_by_row(frames, data):
    kw = {
        "sensitive_features": ["sex"],
        "label": "income",
        "favorable": ">50K",
        "min_group_size": 1,
        "sample_weight": "fnlwgt",
        "weight_column": "w",
    }
    out = audit.mitigate(frames["classic"], method="reweighing", **kw).data
    got = _collect(out.select("row_id", "fnlwgt", "w")).sort_values("row_id")
    want = audit.mitigate(data, method="reweighing", **kw).data["w"].to_numpy()
    np.testing.assert_allclose(got["w"].to_numpy(), want, rtol=1e-12, atol=0)
    # The hand formula with weights: factor = W_g W_y / (W W_gy), times the row's own weight.
    w = data["fnlwgt"].astype(float)
    fav = data["income"] == ">50K"
    total = w.sum()
    w_g = data["sex"].map(w.groupby(data["sex"]).sum())
    w_y = fav.map(w.groupby(fav).sum())
    w_gy = w.groupby([data["sex"], fav]).transform("sum")
    np.testing.assert_allclose(
        got["w"].to_numpy(), (w * w_g * w_y / (total * w_gy)).to_numpy(), rtol=1e-12
    )


def _cell_counts(frame: pd.DataFrame) -> dict[tuple, int]:
    keys = frame[CELL].astype(object).where(frame[CELL].notna(), None)
    return {tuple(k): int(v) for k, v in keys.value_counts(dropna=False).items()}


@pytest.mark.parametrize(
    ("flavour", "method", "size"),
    [
        ("classic", "uniform", "keep"),  # cells above and below their targets: ranks, explode
        ("classic", "uniform", "undersample"),  # no row repeated: ranks and a filter
        ("connect", "uniform", "keep"),
    ],
)
def test_resampling_stays_on_spark_with_pandas_cell_counts(flavour, method, size, frames, data):
    kw = {
        "sensitive_features": ["sex", "race"],
        "label": "income",
        "favorable": ">50K",
        "min_group_size": 1,
        "method": method,
        "size": size,
        "random_state": 7,
        "score": "score" if method == "preferential" else None,
    }
    result = audit.mitigate(frames[flavour], **kw)
    assert _is_spark_frame(result.data, flavour)
    got = _collect(result.data)
    want = audit.mitigate(data, **kw).data
    assert len(got) == len(want) == result.plan.n_rows_after
    assert _cell_counts(got) == _cell_counts(want)
    for cell in result.plan.cells:
        key = (*cell.key, ">50K" if cell.favorable else "<=50K")
        assert _cell_counts(got)[key] == cell.target
    # Every output row is an input row, every column as it was.
    original = data.set_index("row_id").loc[got["row_id"]].reset_index()
    pd.testing.assert_frame_equal(
        got[data.columns].reset_index(drop=True), original[data.columns], check_dtype=False
    )


def test_preferential_sampling_moves_the_most_borderline_rows_first(frames, data):
    """Cells above their target lose their most borderline rows (favourable rows with low
    scores, unfavourable rows with high ones); cells below it duplicate them first."""
    kw = {
        "sensitive_features": ["sex", "race"],
        "label": "income",
        "favorable": ">50K",
        "min_group_size": 1,
        "method": "preferential",
        "size": "keep",
        "score": "score",
        "random_state": 1,
    }
    result = audit.mitigate(frames["classic"], **kw)
    got = _collect(result.data.select("row_id", *CELL))
    assert _cell_counts(got) == _cell_counts(audit.mitigate(data, **kw).data)
    copies = got["row_id"].value_counts()
    directions = set()
    for cell in result.plan.cells:
        label = ">50K" if cell.favorable else "<=50K"
        rows = data[
            (data["sex"] == cell.key[0]) & (data["race"] == cell.key[1]) & (data["income"] == label)
        ]
        m = rows["row_id"].map(copies).fillna(0).to_numpy()
        assert m.sum() == cell.target
        if cell.target % cell.n == 0:
            continue
        more = m > cell.target // cell.n  # the rows that got the extra copy
        score = rows["score"].to_numpy()
        # Kept (under target) or duplicated (over target): the borderline rows go first.
        borderline_first = cell.favorable == (cell.target > cell.n)
        low, high = (score[more], score[~more]) if borderline_first else (score[~more], score[more])
        assert low.max() <= high.min()
        directions.add(cell.target > cell.n)
    assert directions == {True, False}


def test_spark_resampling_errors_are_typed(frames, sessions):
    from sklearn.linear_model import LogisticRegression

    kw = {
        "sensitive_features": ["sex"],
        "label": "income",
        "favorable": ">50K",
        "min_group_size": 1,
    }
    with pytest.raises(ConfigError, match="ranker needs the rows in memory"):
        audit.mitigate(frames["classic"], method="preferential", ranker=LogisticRegression(), **kw)
    holes = sessions["classic"].createDataFrame(
        pd.DataFrame(
            {"sex": ["F", "M"] * 4, "income": [">50K", ">50K", "<=50K", "<=50K"] * 2}
        ).assign(score=[0.1, None, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    )
    with pytest.raises(DataError, match="score column 'score' has missing values"):
        audit.mitigate(holes, method="preferential", score="score", **kw)


def test_resampling_a_shuffled_frame_picks_the_same_rows_each_time(frames):
    """After a shuffle Spark's row order changes between runs; the rows chosen do not (the
    key hashes the row's values, not its position)."""
    shuffled = frames["classic"].repartition(3, "race")
    kw = {
        "sensitive_features": ["sex", "race"],
        "label": "income",
        "favorable": ">50K",
        "min_group_size": 1,
    }
    result = audit.mitigate(shuffled, method="uniform", random_state=3, **kw)
    first = sorted(_collect(result.data.select("row_id"))["row_id"])
    again = sorted(_collect(result.data.select("row_id"))["row_id"])
    assert first == again
    assert len(first) == result.plan.n_rows_after
    assert len(set(first)) < len(first)  # some rows are repeated


@pytest.mark.parametrize("keys_in_python", [200_000, 0])
def test_resampled_frame_is_a_projection_of_the_input(
    keys_in_python, frames, data, capsys, monkeypatch
):
    """The cuts are found once, in mitigate() (from aggregations of the row hashes, or, when
    too many hashes would reach Python, from a window over narrow columns); the lazy result
    has no window and no shuffle, so materialising it costs about one scan."""
    from audit.mitigation import spark

    monkeypatch.setattr(spark, "_MOST_KEYS", keys_in_python)
    kw = {"sensitive_features": ["sex", "race"], "label": "income", "favorable": ">50K"}
    kw["min_group_size"] = 1
    result = audit.mitigate(frames["classic"], method="uniform", random_state=5, **kw)
    capsys.readouterr()
    result.data.explain()
    plan = capsys.readouterr().out
    assert "Generate explode" in plan  # cells above their targets get copies
    assert "Window" not in plan
    assert "Exchange" not in plan
    got = _collect(result.data.select(*CELL))
    want = audit.mitigate(data, method="uniform", random_state=5, **kw).data
    assert _cell_counts(got) == _cell_counts(want)


def test_equal_rows_at_a_cut_are_ranked_one_by_one(sessions, capsys):
    """Rows of a cell that are all equal share one key, so no cut can split them: every row
    is ranked instead, and the counts are still exact."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], 3000, p=[0.3, 0.7]),
            "income": rng.choice([">50K", "<=50K"], 3000, p=[0.25, 0.75]),
        }
    )
    df.loc[df["sex"] == "M", "income"] = np.where(
        rng.random(int((df["sex"] == "M").sum())) < 0.4, ">50K", "<=50K"
    )
    kw = {"sensitive_features": ["sex"], "label": "income", "favorable": ">50K"}
    sdf = sessions["classic"].createDataFrame(df)
    result = audit.mitigate(sdf, method="uniform", random_state=2, **kw)
    got = _collect(result.data).value_counts().to_dict()
    want = audit.mitigate(df, method="uniform", random_state=2, **kw).data.value_counts()
    assert got == want.to_dict()
    assert any(c.target % c.n for c in result.plan.cells)  # a cut was needed
    capsys.readouterr()
    result.data.explain()
    assert "Window" in capsys.readouterr().out


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_missingness_and_proxies_count_on_spark_as_on_pandas(flavour, frames, data):
    from audit.missingness import missingness
    from audit.proxies import proxies

    spec = {"sensitive_features": ["sex", "race"], "label": "income", "favorable": ">50K"}
    features = ["workclass", "age"]
    on_spark = missingness(frames[flavour], features=features, **spec)
    on_pandas = missingness(data, features=features, **spec)
    for a, b in zip(on_spark.tables, on_pandas.tables, strict=True):
        assert [(g.key, g.n, g.missing) for g in a.groups] == [
            (g.key, g.n, g.missing) for g in b.groups
        ]
    assert sum(g.missing for g in on_spark.table("workclass", "sex").groups) > 0
    p_spark = proxies(frames[flavour], features=features, **spec)
    p_pandas = proxies(data, features=features, **spec)
    for a, b in zip(p_spark.items, p_pandas.items, strict=True):
        assert (a.feature, a.target, a.levels) == (b.feature, b.target, b.levels)
        assert a.association.cramers_v == pytest.approx(b.association.cramers_v, rel=1e-9)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_audit_with_health_on_spark_reconstructs_as_on_pandas(flavour, frames, data):
    spec = {"sensitive_features": ["sex"], "label": "income", "favorable": ">50K",
            "features": ["workclass", "age", "education_num"], "health": True}  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", audit.AuditWarning)
        on_spark = audit.audit(frames[flavour], **spec).health
        on_pandas = audit.audit(data, **spec).health
    assert on_spark.notes == ()
    assert on_spark.sample_rows == len(data)  # fewer rows than proxy_sample: all of them
    for a, b in zip(on_spark.reconstruction, on_pandas.reconstruction, strict=True):
        # the same rows in another order: other folds, so AUCs agree to sampling noise
        assert dict(a.by_feature) == pytest.approx(dict(b.by_feature), abs=0.01)
    sampled = audit.audit(frames[flavour], **{**spec, "proxy_sample": 3000}).health
    again = audit.audit(frames[flavour], **{**spec, "proxy_sample": 3000}).health
    assert sampled.sample_rows == 3000
    assert sampled.reconstruction == again.reconstruction  # seeded


def test_multiclass_reweighing_and_resampling_equal_pandas(frames, data):
    """A multi-class label without a favourable value (race, by sex): one weight per class
    equal to pandas' row by row, and resampled cells of every class with pandas' counts."""
    kw = {"sensitive_features": ["sex"], "label": "race", "min_group_size": 1}
    want = audit.mitigate(data, **kw).data["mitigation_weight"].to_numpy()
    got = _collect(
        audit.mitigate(frames["classic"], **kw).data.select("row_id", "mitigation_weight")
    )
    got = got.sort_values("row_id")["mitigation_weight"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    kw |= {"method": "uniform", "random_state": 3}
    result = audit.mitigate(frames["classic"], **kw)
    rows = _collect(result.data.select("row_id", "sex", "race"))
    expected = audit.mitigate(data, **kw).data
    # Spark ranks rows by a hash of their values, not their position: other rows, same counts
    counts = rows.groupby(["sex", "race"]).size()
    assert counts.to_dict() == expected.groupby(["sex", "race"]).size().to_dict()
    for cell in result.plan.cells:
        assert counts.get((*cell.key, cell.label), 0) == cell.target
